"""The OpenAPI document says which credential each operation needs, so clients need no prose."""


def _document(client):
    return client.get("/api/openapi.json").get_json()


def test_the_document_declares_the_order_token_the_staff_bearer_and_the_customer_cookie_schemes(client):
    schemes = _document(client)["components"]["securitySchemes"]

    assert schemes["orderToken"] == {**schemes["orderToken"], "type": "apiKey", "in": "header",
                                     "name": "X-Order-Token"}
    assert schemes["staffToken"]["type"] == "http"
    assert schemes["staffToken"]["scheme"] == "bearer"
    assert schemes["customerSession"] == {**schemes["customerSession"], "type": "apiKey", "in": "cookie",
                                          "name": "customer_session"}


def test_every_operation_names_the_credential_it_needs(client):
    paths = _document(client)["paths"]
    seen = set()
    for path, operations in paths.items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            if path.startswith("/api/v1/admin/"):
                assert operation.get("security") == [{"staffToken": []}], (method, path)
                seen.add("staff")
            elif path.startswith("/api/v1/orders/"):
                assert operation.get("security") == [{"orderToken": []}], (method, path)
                seen.add("order")
            elif path.startswith("/api/v1/account/"):
                assert operation.get("security") == [{"customerSession": []}], (method, path)
                seen.add("account")
            else:
                assert "security" not in operation, (method, path)
    assert seen == {"staff", "order", "account"}
