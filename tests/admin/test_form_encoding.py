"""Every admin form, sent bytes that are not UTF-8 (a surrogate, %ED%A0%80): a 400 page, never a 500.

The routes come from `app.url_map`, so a form added later is covered too.
"""
from sqlalchemy import func, select

from shop.extensions import db
from shop.orders.models import OrderEvent
from tests.admin.test_access import admin_routes, url_for_rule

BAD = "%ED%A0%80"


def test_no_admin_form_accepts_text_that_is_not_unicode(web, staff_client, admin_world):
    # given an admin signed in, and one of everything an admin form can act on
    client, _ = staff_client("admin")
    events_before = db.session.scalar(select(func.count()).select_from(OrderEvent))
    posts = [(rule, url_for_rule(rule, admin_world)) for endpoint, rule, method in admin_routes(web)
             if method == "POST" and endpoint not in ("admin.logout", "admin.login")]
    assert len(posts) > 20
    for rule, url in posts:
        # when a form arrives whose every field holds a lone surrogate's bytes
        fields = ["name", "email", "note", "body", "reason", "carrier", "tracking_number", "slug", "price",
                  "amount", "currency", "rows-0-name", "rows-0-amount", "rows-0-note", "q", "published"]
        body = "&".join(f"{name}=a{BAD}" for name in fields)
        response = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
        # then the answer is the 400 page, not an error of ours
        assert response.status_code == 400, (rule.rule, response.status_code)
        assert response.mimetype == "text/html", rule.rule
    # and nothing happened to any order
    assert db.session.scalar(select(func.count()).select_from(OrderEvent)) == events_before
