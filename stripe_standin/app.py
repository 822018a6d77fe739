"""The stand-in's Flask app: Stripe's API under /v1, the hosted pay page, the control endpoints."""
from flask import Flask, request

from stripe_standin import api, control, pay_page, portal
from stripe_standin.errors import register_error_handlers


def create_app(standin) -> Flask:
    """The app serving `standin` (a `server.StandIn`, which views reach through
    `current_app.extensions["stripe_standin"]`)."""
    app = Flask(__name__)
    app.extensions["stripe_standin"] = standin
    app.register_blueprint(api.bp)
    app.register_blueprint(pay_page.bp)
    app.register_blueprint(control.bp)
    app.register_blueprint(portal.bp)
    register_error_handlers(app)

    @app.after_request
    def save_state(response):
        if request.method != "GET":
            standin.save_state()
        return response

    return app
