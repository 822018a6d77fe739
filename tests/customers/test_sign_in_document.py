"""`POST /account/login` is in the OpenAPI document, and answers JSON clients as it says."""
import pytest

from tests.customers.conftest import sent_to

JANE = "jane@example.com"
ERROR_FIELDS = {"code", "status", "message", "errors"}


def _operation(client) -> tuple[dict, dict]:
    document = client.get("/api/openapi.json").get_json()
    return document["paths"]["/account/login"]["post"], document["components"]["schemas"]


def test_the_document_declares_the_json_sign_in(client):
    operation, schemas = _operation(client)
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    sent = operation["responses"]["202"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schemas[body]["required"] == ["email"]
    assert set(schemas[sent]["properties"]) == {"status", "message"}
    assert {"202", "422", "429"} <= set(operation["responses"])
    assert "security" not in operation  # anyone may ask; the link is the proof


def test_a_json_client_gets_the_documented_answer_and_the_link(client):
    answer = client.post("/account/login", json={"email": JANE})
    assert answer.status_code == 202 and set(answer.get_json()) == {"status", "message"}
    assert sent_to(JANE) == 1


@pytest.mark.parametrize("body", [
    {"data": b"\x00\x01", "content_type": "application/octet-stream"},
    {"data": "jane@example.com", "content_type": "text/plain"},
    {"data": '{"email": ', "content_type": "application/json"},
    {},
])
def test_a_body_that_is_no_form_is_refused_in_the_api_error_shape(client, body):
    answer = client.post("/account/login", **body)
    assert answer.status_code == 422 and answer.mimetype == "application/json"
    assert set(answer.get_json()) == ERROR_FIELDS and "email" in answer.get_json()["errors"]
    assert sent_to(JANE) == 0


def test_the_page_and_its_form_stay_pages(client):
    assert client.get("/account/login").mimetype == "text/html"
    refused = client.post("/account/login", data={"email": "not an address"})
    assert refused.status_code == 422 and refused.mimetype == "text/html"
    sent = client.post("/account/login", data={"email": JANE})
    assert sent.status_code == 303 and sent_to(JANE) == 1
