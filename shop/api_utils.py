"""Helpers shared by every /api/v1 blueprint."""
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import BadRequest

from shop.extensions import csrf
from shop.text_input import MESSAGE as LONE_SURROGATE, has_lone_surrogate, may_hold_surrogate


class ArgumentsParser(FlaskParser):
    """webargs' Flask parser, refusing a JSON body that holds a lone surrogate (shop.text_input).

    `load_json` is the loader webargs documents for custom parsers to override.
    """

    def load_json(self, req, schema):
        data = super().load_json(req, schema)
        if may_hold_surrogate(req.get_data(cache=True)) and has_lone_surrogate(data):
            refusal = BadRequest(LONE_SURROGATE)
            refusal.data = {"messages": {"json": {"_schema": [LONE_SURROGATE]}}}
            raise refusal
        return data


_parser = ArgumentsParser()


def api_blueprint(name: str, import_name: str, url_prefix: str, description: str) -> Blueprint:
    """An /api/v1 blueprint: JSON in, JSON out, authenticated by token, so no CSRF cookie."""
    blp = Blueprint(name, import_name, url_prefix="/api/v1" + url_prefix, description=description)
    blp.ARGUMENTS_PARSER = _parser
    csrf.exempt(blp)
    return blp
