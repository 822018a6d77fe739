"""Schemathesis against /api/openapi.json, in process on the WSGI app with a seeded database.

Every operation of the document gets generated requests, valid and invalid; each answer must be
no 5xx, carry a status code the document declares for that operation, and match the declared
schema and content type. Runs when schemathesis is installed (`make security` installs it);
SCHEMA_EXAMPLES raises the number of examples per operation for a deeper run by hand.
"""
import os

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shop.orders.models import DELIVERED  # noqa: E402

EXAMPLES = int(os.environ.get("SCHEMA_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def seeded(app, mag_rr, make_order, make_staff):
    """A published product, a delivered order with its token and an admin token."""
    order, order_token = make_order(mag_rr, status=DELIVERED)
    _, staff_token = make_staff("admin")
    headers = {"Authorization": f"Bearer {staff_token}", "X-Order-Token": order_token}
    return {"headers": headers, "path": {"order_id": order.id, "id": order.id, "slug": mag_rr.slug}}


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every operation in the document, read from an app with no database."""
    from shop import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "CELERY_BROKER_URL": "memory://"})
    spec = app.test_client().get("/api/openapi.json").get_json()
    return [(method.upper(), path) for path, item in sorted(spec["paths"].items())
            for method in item if method in ("get", "post", "put", "patch", "delete")]


@pytest.mark.parametrize(("method", "path"), _operations(), ids=lambda v: v)
def test_every_operation_answers_as_documented(app, seeded, method, path):
    operation = schemathesis.openapi.from_wsgi("/api/openapi.json", app)[path][method]
    known = {name: value for name, value in seeded["path"].items() if "{" + name + "}" in path}
    strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
    if known:  # the seeded order and product, so generation gets past 404 too
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known))
    try:
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))
    except Exception:  # noqa: BLE001 - nothing in this operation can be made invalid
        pass

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(strategies))
    def answers_as_documented(case):
        case.call_and_validate(headers=seeded["headers"], checks=CHECKS)

    answers_as_documented()
