"""Two moderators publishing the same review at once count its rating once (PostgreSQL row lock)."""
import threading

import pytest

from shop.extensions import db
from shop.reviews.models import PENDING, PUBLISHED, Entry


@pytest.mark.postgres
def test_concurrent_publishing_counts_the_rating_once(app, mag_rr, make_entry, make_staff):
    from shop.reviews.moderation import publish_entry

    # given a pending review and two members of staff
    review = make_entry(mag_rr, status=PENDING, rating=5)
    staff_ids = [make_staff("support")[0].id for _ in range(2)]
    barrier = threading.Barrier(2)
    errors = []

    def moderate(staff_id):
        with app.app_context():
            try:
                from shop.accounts.models import Staff

                staff = db.session.get(Staff, staff_id)
                barrier.wait(timeout=10)
                publish_entry(review.id, staff)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    # when both publish at the same moment
    threads = [threading.Thread(target=moderate, args=(staff_id,)) for staff_id in staff_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then
    assert errors == []
    db.session.expire_all()
    assert db.session.get(Entry, review.id).status == PUBLISHED
    assert (mag_rr.rating_count, mag_rr.rating_sum) == (1, 5)
