"""The two commands of API.md: `seed-demo` (idempotent) and `staff create` (last line: the token)."""
from sqlalchemy import func, select

from shop.accounts.auth import staff_token_required
from shop.accounts.models import ApiToken, Staff
from shop.catalog.models import Ingredient, Product, TitrationStep
from shop.extensions import db


def _counts():
    db.session.rollback()
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Product, Ingredient, TitrationStep))


def test_seed_demo_loads_the_demo_catalogue(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "[1/3] Mag R&R: added" in result.output
    mag = db.session.scalar(select(Product).where(Product.slug == "mag-rr"))
    assert (mag.capsules_per_bottle, mag.serving_capsules, mag.guarantee_days) == (90, 3, 60)
    assert [(s.day, s.capsules, s.kind) for s in mag.titration_steps] == [
        (0, 1, "dose"), (7, 2, "dose"), (14, 3, "dose"), (30, 3, "checkin"), (60, 3, "checkin")]
    names = " ".join(i.name for i in mag.ingredients)
    for compound in ("magnesium glycinate", "B6", "GABA", "5-HTP", "Melatonin"):
        assert compound in names
    assert len(mag.ingredients) == 8
    others = db.session.scalars(select(Product).where(Product.slug != "mag-rr")).all()
    assert len(others) >= 2 and any(not p.titration_steps for p in others)


def test_seed_demo_twice_adds_nothing(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo"])
    once = _counts()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0
    assert "already there" in result.output and "(0 products added)" in result.output
    assert _counts() == once


def test_staff_create_prints_a_working_token_last(app, client):
    @app.get("/api/v1/_test/fulfilment")
    @staff_token_required("fulfilment")
    def fulfilment_only():
        return {"ok": True}

    # when a fulfilment member is created on the command line
    result = app.test_cli_runner().invoke(
        args=["staff", "create", "pack@example.com", "--role", "fulfilment", "--password", "long enough pw"])
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("token: ")
    token = last.removeprefix("token: ")
    # then the member exists with a hashed token, and the token opens the role's routes
    staff = db.session.scalar(select(Staff).where(Staff.email == "pack@example.com"))
    assert staff.role == "fulfilment"
    assert token not in {t.token_hash for t in db.session.scalars(select(ApiToken))}
    assert client.get("/api/v1/_test/fulfilment", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/api/v1/_test/fulfilment").status_code == 401
    assert client.get("/api/v1/_test/fulfilment", headers={"Authorization": f"Bearer {token}x"}).status_code == 401


def test_a_token_of_the_wrong_role_is_403(app, client):
    @app.get("/api/v1/_test/fulfilment")
    @staff_token_required("fulfilment")
    def fulfilment_only():
        return {"ok": True}

    result = app.test_cli_runner().invoke(args=["staff", "create", "help@example.com", "--role", "support"])
    token = result.output.strip().splitlines()[-1].removeprefix("token: ")
    response = client.get("/api/v1/_test/fulfilment", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert set(response.get_json()) == {"code", "status", "message", "errors"}


def test_staff_create_refuses_a_bad_role_or_a_duplicate(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["staff", "create", "x@example.com", "--role", "owner"]).exit_code != 0
    assert runner.invoke(args=["staff", "create", "x@example.com", "--role", "admin"]).exit_code == 0
    again = runner.invoke(args=["staff", "create", "x@example.com", "--role", "admin"])
    assert again.exit_code != 0
    assert "token:" not in again.output
