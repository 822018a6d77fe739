"""Errors in Stripe's JSON shape, for the API and the control endpoints alike."""
from flask import Flask, request
from werkzeug.exceptions import HTTPException

from stripe_standin.api import json_response
from stripe_standin.params import StripeError


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(StripeError)
    def stripe_error(exc: StripeError):
        return json_response(exc.body, exc.status)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code == 404 and request.path.startswith("/v1/"):
            message = (f"Unrecognized request URL ({request.method}: {request.path}). The local "
                       "stand-in speaks only the part of Stripe's API this shop uses.")
        else:
            message = exc.description
        return json_response({"error": {"type": "invalid_request_error", "code": None,
                                        "message": message, "param": None}}, exc.code or 500)
