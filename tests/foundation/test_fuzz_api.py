"""Hostile input at every /api/v1 operation of the OpenAPI document: never a 5xx, always the shape.

The operations are read from `/api/openapi.json`, so routes added later are fuzzed too. For each
one, hypothesis builds requests from what the document declares (path and query parameters, the
JSON body's fields) filled with SQL metacharacters, markup, NUL bytes, lone surrogates, huge and negative numbers,
10,000-character strings and values of the wrong type; POST operations also get bodies that are
not JSON at all. Requests carry, at random, a valid staff token and a valid order token, so the
fuzzing reaches past authentication. Every 4xx must have the exact error shape of API.md and
leave the database as it was.
"""
import json
import os
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from shop import create_app
from shop.extensions import db
from shop.orders.models import DELIVERED

# A few hundred examples in all by default; FUZZ_EXAMPLES=200 for a deeper run by hand.
EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "16"))
METHODS = ("get", "post", "put", "patch", "delete")
ERROR_FIELDS = {"code", "status", "message", "errors"}

# Operations whose 5xx is known and owned elsewhere: {("POST", "/api/v1/..."): "why"}. Each one
# runs as an expected failure until fixed, so the suite stays green and the gap stays visible.
KNOWN_5XX: dict[tuple[str, str], str] = {}

HOSTILE_TEXT = [
    "", " ", "'", '"', "`", ";", "--", "\\", "%", "_", "%%", "\\%", "' OR '1'='1", "1; DROP TABLE products; --",
    "\" OR 1=1 --", "') UNION SELECT password_hash FROM staff --", "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "{{7*7}}", "${jndi:ldap://x/a}", "../../../../etc/passwd", "%00", "\x00",
    "a\x00b", "\ud7ff\ue000", "😀" * 20, "\u202eevil", "NaN", "Infinity", "-Infinity", "null", "true", "[]", "{}",
    "-1", "0", "1e309", "99999999999999999999999999999", "-99999999999999999999999999999", "0x1F", "1.5",
    "x" * 10_000, "é" * 5_000, "\r\nSet-Cookie: a=b",
]
# Lone surrogates: JSON can write them ("\ud800"); no encoder can. Only in JSON bodies (a URL
# cannot carry one; test_lone_surrogates sends the bytes that would decode to one).
LONE_SURROGATES = ["a\ud800", "\udc00", "\udfff\ud800", "x\ud83d"]
HOSTILE_NUMBERS = [0, -1, -(2**31), 2**31, 2**63, -(2**63) - 1, 10**30, -(10**30), 1.5, -0.0, 1e308]


def hostile_scalars():
    return st.one_of(
        st.sampled_from(HOSTILE_TEXT),
        st.text(max_size=60),
        st.sampled_from(HOSTILE_NUMBERS),
        st.integers(min_value=-(10**25), max_value=10**25),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.none(),
    )


def hostile_json():
    return st.recursive(
        hostile_scalars() | st.sampled_from(LONE_SURROGATES),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(
            st.text(max_size=12) | st.sampled_from(LONE_SURROGATES), children, max_size=4),
        max_leaves=10,
    )


def pytest_generate_tests(metafunc):
    if "operation" in metafunc.fixturenames:
        operations = _operations()
        metafunc.parametrize("operation", operations, ids=[f"{o['method']} {o['path']}" for o in operations])


def _operations() -> list[dict]:
    """Every operation of the OpenAPI document, with its parameters and JSON body fields."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "CELERY_BROKER_URL": "memory://"})
    spec = app.test_client().get("/api/openapi.json").get_json()
    schemas = spec.get("components", {}).get("schemas", {})
    operations = []
    for path, item in sorted(spec["paths"].items()):
        for method, operation in item.items():
            if method not in METHODS:
                continue
            parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            operations.append({
                "method": method.upper(), "path": path,
                "path_params": {p["name"]: p.get("schema", {}).get("type") for p in parameters if p["in"] == "path"},
                "query_params": [p["name"] for p in parameters if p["in"] == "query"],
                "body_fields": list(_resolve(body, schemas).get("properties", {})),
            })
    return operations


def _resolve(schema: dict, schemas: dict) -> dict:
    ref = schema.get("$ref")
    return schemas.get(ref.rsplit("/", 1)[-1], {}) if ref else schema


@pytest.fixture
def world(app, mag_rr, make_order, make_staff):
    """Something for every route to find: a product, a delivered order and its token, staff."""
    order, order_token = make_order(mag_rr, status=DELIVERED)
    _, staff_token = make_staff("admin")
    return {"order_id": order.id, "order_token": order_token, "staff_token": staff_token}


def _fingerprint():
    """Rows per table, plus what the money and stock columns say: a 4xx must change none of it."""
    db.session.rollback()
    tables = [t.name for t in db.metadata.sorted_tables]
    counts = db.session.execute(text("SELECT " + ", ".join(f'(SELECT count(*) FROM "{t}")' for t in tables))).one()
    state = db.session.execute(text(
        "SELECT (SELECT coalesce(sum(stock), 0) + coalesce(sum(price), 0) FROM products),"
        " (SELECT string_agg(status, ',') FROM orders), (SELECT coalesce(sum(refunded_total), 0) FROM orders)"
        if db.engine.dialect.name == "postgresql" else
        "SELECT (SELECT coalesce(sum(stock), 0) + coalesce(sum(price), 0) FROM products),"
        " (SELECT group_concat(status) FROM orders), (SELECT coalesce(sum(refunded_total), 0) FROM orders)"
    )).one()
    db.session.rollback()
    return dict(zip(tables, counts)), tuple(state)


@st.composite
def requests(draw, operation, world):
    """One hostile request for `operation`: (method, url, headers, body kwargs)."""
    path = operation["path"]
    for name, kind in operation["path_params"].items():
        if kind == "integer":
            value = draw(st.one_of(st.just(world["order_id"]), st.just(1), st.sampled_from(HOSTILE_NUMBERS),
                                   st.sampled_from(["abc", "1 OR 1=1", "-5", "1e3", "%2e%2e"])))
        else:
            value = draw(st.one_of(st.just("mag-rr"), st.sampled_from(HOSTILE_TEXT[:-3]), st.text(max_size=30)))
        path = path.replace("{" + name + "}", quote(str(value), safe="") or "x")
    names = operation["query_params"] + draw(st.lists(st.sampled_from(["q", "page", "id", "__proto__"]), max_size=1))
    query = {name: draw(hostile_scalars().map(lambda v: "" if v is None else str(v)))
             for name in names if draw(st.booleans())}
    headers = {}
    if draw(st.booleans()):
        headers["Authorization"] = draw(st.sampled_from([
            f"Bearer {world['staff_token']}", "Bearer ' OR '1'='1", "Bearer ", "Basic YWRtaW46YWRtaW4=", "Bearer " + "x" * 5000]))
    if draw(st.booleans()):
        headers["X-Order-Token"] = draw(st.sampled_from([world["order_token"], "' OR 1=1 --", "", "x" * 5000]))
    body = {}
    if operation["method"] != "GET":
        body = draw(st.one_of(
            _json_body(operation["body_fields"]).map(lambda data: {"data": _dumps(data), "content_type": "application/json"}),
            hostile_json().map(lambda data: {"data": _dumps(data), "content_type": "application/json"}),
            st.sampled_from(['{"a": ', "{'single': 'quotes'}", "[1, 2,", "\x00\x01", "null", '"just a string"',
                             "{" * 1000 + "}" * 1000, "[" * 5000]).map(lambda raw: {"data": raw, "content_type": "application/json"}),
            st.binary(max_size=200).map(lambda raw: {"data": raw, "content_type": "application/octet-stream"}),
            st.text(max_size=200).map(lambda raw: {"data": raw, "content_type": "text/plain"}),
            st.just({"data": "email=a%40b.c&items=1", "content_type": "application/x-www-form-urlencoded"}),
            st.just({"data": "x" * 200_000, "content_type": "application/json"}),
            st.just({}),
        ))
    return operation["method"], path, query, headers, body


def _json_body(fields: list[str]):
    if not fields:
        return st.dictionaries(st.text(max_size=10), hostile_json(), max_size=3)
    return st.fixed_dictionaries({}, optional={name: hostile_json() for name in fields})


def _dumps(data) -> str:
    return json.dumps(data, allow_nan=True)


def _check(response, method, path):
    where = f"{method} {path}"
    assert response.status_code < 500, f"{where} answered {response.status_code}: {response.get_data(as_text=True)[:500]}"
    if response.status_code < 400:
        return
    assert response.mimetype == "application/json", where
    body = response.get_json()
    assert set(body) == ERROR_FIELDS, (where, body)
    assert body["code"] == response.status_code, (where, body)
    assert isinstance(body["status"], str) and isinstance(body["message"], str), (where, body)
    assert isinstance(body["errors"], dict), (where, body)
    for field, messages in body["errors"].items():
        assert isinstance(field, str) and isinstance(messages, list), (where, body)
        assert all(isinstance(m, str) for m in messages), (where, body)
    raw = response.get_data(as_text=True)
    assert "Traceback" not in raw and "sqlalchemy" not in raw.lower(), (where, raw[:500])


def test_no_operation_answers_5xx_or_an_unshaped_4xx(operation, world, client, request):
    known = KNOWN_5XX.get((operation["method"], operation["path"]))
    if known:
        request.applymarker(pytest.mark.xfail(reason=known, strict=False))

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(st.data())
    def fuzz(data):
        method, path, query, headers, body = data.draw(requests(operation, world))
        before = _fingerprint()
        response = client.open(path, method=method, query_string=query, headers=headers, **body)
        _check(response, method, operation["path"])
        if 400 <= response.status_code < 500:
            assert _fingerprint() == before, f"{method} {path} answered {response.status_code} but changed data"

    fuzz()
