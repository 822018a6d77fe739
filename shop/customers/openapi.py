"""`POST /account/login` in the OpenAPI document. The route is a page's (`shop.customers.views`:
a browser's form gets a redirect), not an API blueprint's, and it also takes JSON; what a JSON
client sends and gets is declared here, through apispec's public `path()`."""
from apispec import APISpec
from werkzeug.routing import Map, Rule

from shop.customers.schemas import SignInRequestSchema, SignInSentSchema

SIGN_IN_PATH = "/account/login"


def document_sign_in(spec: APISpec) -> None:
    rule = Rule(SIGN_IN_PATH, methods=["POST"], endpoint="account.login")
    Map([rule])  # binds the rule: flask-smorest's plugin reads the path (and its parameters) from one
    spec.path(rule=rule, operations={"post": {
        "tags": ["account_api"],
        "summary": "Email a one-time sign-in link to an address.",
        "description": (
            "Answers 202 with the same body for every well-formed address, whether or not it ever "
            "ordered, and emails it a link that works once, for 15 minutes. Opening the link (a page "
            "with a button) sets the `customer_session` cookie that `/api/v1/account/...` reads. "
            "Limited per client (ACCOUNT_LOGIN_RATE_LIMIT) and per address "
            "(ACCOUNT_LOGIN_RATE_LIMIT_EMAIL). The account page's form posts here too "
            "(`application/x-www-form-urlencoded` with a CSRF token) and is answered with a redirect; "
            "any other body is answered as JSON."),
        "requestBody": {"required": True, "content": {"application/json": {"schema": SignInRequestSchema}}},
        "responses": {
            "202": {"description": "A link is on its way, if the address can receive email",
                    "content": {"application/json": {"schema": SignInSentSchema}}},
            "422": {"$ref": "#/components/responses/UNPROCESSABLE_ENTITY"},
            "429": {"description": "Too many links asked for, from this client or for this address",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "default": {"$ref": "#/components/responses/DEFAULT_ERROR"},
        },
    }})
