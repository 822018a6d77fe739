"""The storefront: `create_app()` builds the web app (and the worker's app context)."""
import logging
import os
import sys

from flask import Flask

from shop import config as shop_config
from shop.extensions import api, csrf, db, limiter, login_manager, migrate


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, error handlers, commands."""
    project_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        instance_path=shop_config.read("SHOP_INSTANCE_PATH") or os.path.join(project_root, "instance"),
        instance_relative_config=True,
        template_folder=os.path.join(project_root, "templates"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    try:
        settings = shop_config.from_environment(app.instance_path)
        settings.update(test_config or {})
        shop_config.finalise(settings, app.instance_path)
    except shop_config.ConfigError as exc:
        # The web app, the worker and every CLI command stop here: say why on one line first.
        print(f"shop: refusing to start: {exc}", file=sys.stderr)
        raise
    app.config.from_mapping(settings)
    app.config.update(_api_settings())
    logging.basicConfig(level=logging.INFO)

    _init_extensions(app)
    _register_blueprints(app)

    from shop.cli import register_commands
    from shop.errors import register_error_handlers
    from shop.templating import init_templating

    from shop.observability import init_observability

    init_templating(app)
    init_observability(app)
    register_error_handlers(app)
    register_commands(app)
    from shop import unit_of_work

    unit_of_work.init_app(app)  # last: the commit runs before every other after-request function
    return app


def _api_settings() -> dict:
    return {
        "API_TITLE": "Shop API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        # Docs are served by our own page (no third-party CDN; works offline, fits the CSP).
        "OPENAPI_SWAGGER_UI_PATH": None,
        "OPENAPI_REDOC_PATH": None,
    }


def _init_extensions(app: Flask) -> None:
    from shop.framework import init_framework

    db.init_app(app)
    init_framework(app)
    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    api.init_app(app)
    from shop.security import init_security
    from shop.worker_bridge import init_celery

    init_security(app)
    init_celery(app)


def _register_blueprints(app: Flask) -> None:
    from shop import models  # noqa: F401  every model registered before anything maps
    from shop.accounts import login  # noqa: F401  the session's user loader
    from shop.api_docs import bp as api_docs_bp
    from shop.catalog.api import blp as catalog_api
    from shop.pages.seo import bp as seo_bp
    from shop.catalog.views import bp as catalog_bp
    from shop.media.views import bp as media_bp
    from shop.pages.views import bp as pages_bp
    from shop import guarantee
    from shop.guarantee.api import admin_blp as guarantee_admin_api, blp as guarantee_api
    from shop.guarantee.views import bp as guarantee_bp
    from shop.followups import signals as followup_signals
    from shop.followups.views import bp as followups_bp
    from shop.promotions import signals as promotion_signals
    from shop.catalog import alerts as catalog_alerts
    from shop.fulfilment.api import blp as fulfilment_api
    from shop.admin import bp as admin_bp
    from shop.health import bp as health_bp
    from shop.cart.views import bp as cart_bp
    from shop import customers
    from shop.customers.api import blp as account_api
    from shop.customers.views import bp as account_bp
    from shop.orders.api import checkout_blp, orders_blp
    from shop.orders.views import bp as orders_bp
    from shop.payments.api import blp as stripe_api
    from shop.payments.staff_api import blp as staff_refunds_api
    from shop.reviews.api import admin_blp as reviews_admin_api, blp as reviews_api
    from shop.reviews.views import bp as reviews_bp
    from shop.subscriptions.views import bp as subscriptions_bp

    api.register_blueprint(catalog_api)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(seo_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(api_docs_bp)
    app.register_blueprint(health_bp)
    api.register_blueprint(checkout_blp)
    api.register_blueprint(orders_blp)
    api.register_blueprint(stripe_api)
    app.register_blueprint(cart_bp)
    app.register_blueprint(orders_bp)
    api.register_blueprint(fulfilment_api)
    api.register_blueprint(staff_refunds_api)
    app.register_blueprint(followups_bp)
    followup_signals.connect()
    promotion_signals.connect()
    catalog_alerts.connect()
    guarantee.init_app(app)
    api.register_blueprint(guarantee_api)
    api.register_blueprint(guarantee_admin_api)
    app.register_blueprint(guarantee_bp)
    api.register_blueprint(reviews_api)
    api.register_blueprint(reviews_admin_api)
    app.register_blueprint(reviews_bp)
    app.register_blueprint(admin_bp)
    customers.init_app(app)
    api.register_blueprint(account_api)
    app.register_blueprint(account_bp)
    app.register_blueprint(subscriptions_bp)
