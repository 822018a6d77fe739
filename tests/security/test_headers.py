"""Security headers on pages and API answers; no template relies on inline script or style."""
import pathlib
import re

import pytest

TEMPLATES = pathlib.Path(__file__).resolve().parents[2] / "templates"
# Email templates are exempt: mail clients need inline styles, and the admin previews them in a
# sandboxed frame with a policy of its own (no script).
PAGE_TEMPLATES = sorted(p for p in TEMPLATES.rglob("*.html") if "emails" not in p.parts)


def _policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.strip() for d in header.split(";") if d.strip()}


@pytest.mark.parametrize("path", ["/", "/products", "/products/mag-rr", "/admin/login", "/cart",
                                  "/api/v1/products", "/api/v1/products/no-such-product", "/healthz"])
def test_every_answer_carries_the_security_headers(client, mag_rr, path):
    # when
    response = client.get(path)
    # then
    assert response.status_code < 500
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = _policy(response)
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert "'unsafe-inline'" not in policy.get("style-src", policy["default-src"])
    assert policy["object-src"] == "object-src 'none'"
    # HSTS belongs to production only: a developer's http://127.0.0.1 must keep working.
    assert "Strict-Transport-Security" not in response.headers
    # and each header is said once, however many times the page was served before
    again = client.get(path)
    for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"):
        assert len(again.headers.getlist(name)) == 1, name


def test_production_adds_hsts_and_secure_cookies(make_app):
    app = make_app(SHOP_ENV="production", ALLOW_SQLITE_IN_PRODUCTION=True, PUBLIC_URL="https://shop.test")
    client = app.test_client()
    # when: over HTTPS (behind the proxy that terminates TLS)
    response = client.get("/healthz", base_url="https://shop.test")
    plain = client.get("/cart", base_url="http://shop.test")
    # then
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    assert plain.status_code in (301, 302) and plain.headers["Location"] == "https://shop.test/cart"
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize("template", PAGE_TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_use_no_inline_script_or_style(template):
    source = template.read_text()
    scripts = re.findall(r"<script\b([^>]*)>", source, flags=re.I)
    assert all('type="application/ld+json"' in attrs for attrs in scripts), "inline <script> (CSP refuses it)"
    assert not re.search(r"\sstyle\s*=", source, flags=re.I), "style= attribute (CSP refuses it)"
    assert not re.search(r"<style\b", source, flags=re.I), "<style> element (CSP refuses it)"
    assert not re.search(r"\son[a-z]+\s*=", source, flags=re.I), "on*= event handler (CSP refuses it)"
