"""Who a "helpful" vote is from (`identify_voter`), and where a permalink leads (`place_of_entry`)."""
import pytest

from shop.errors import NotFound
from shop.reviews.models import KIND_QUESTION, PENDING, REJECTED
from shop.reviews.services import identify_voter, place_of_entry

AGENT = "Firefox"


def test_a_browser_keeps_its_identity_through_its_cookie(app):
    with app.app_context():
        # given a first vote from a browser without a cookie
        first = identify_voter(None, "203.0.113.5", AGENT)
        # when it votes again with the cookie it was given, from elsewhere
        again = identify_voter(first.visitor, "198.51.100.7", "Another agent")
    # then it is the same voter
    assert again == first


def test_without_a_cookie_a_browser_is_known_by_its_address_and_agent(app):
    with app.app_context():
        one = identify_voter(None, "203.0.113.5", AGENT)
        same_place = identify_voter(None, "203.0.113.5", AGENT)
        other_agent = identify_voter(None, "203.0.113.5", "Another agent")
        other_address = identify_voter(None, "203.0.113.6", AGENT)
    assert same_place.digest == one.digest
    assert len({one.digest, other_agent.digest, other_address.digest}) == 3


@pytest.mark.parametrize("cookie", ["", "forged", "abc.def", "0123456789abcdef0123456789abcdef.bad-signature"])
def test_a_forged_or_broken_cookie_counts_as_none(app, cookie):
    with app.app_context():
        assert identify_voter(cookie, "203.0.113.5", AGENT) == identify_voter(None, "203.0.113.5", AGENT)


def test_a_cookie_signed_under_another_secret_is_not_believed(make_app):
    elsewhere = make_app(SECRET_KEY="another-secret-key-of-enough-length")
    with elsewhere.app_context():
        foreign = identify_voter(None, "198.51.100.7", AGENT).visitor
    here = make_app()
    with here.app_context():
        assert identify_voter(foreign, "203.0.113.5", AGENT) == identify_voter(None, "203.0.113.5", AGENT)


def test_a_vote_records_nothing_that_reads_back_as_the_visitor(app):
    with app.app_context():
        voter = identify_voter(None, "203.0.113.5", AGENT)
    assert "203.0.113.5" not in voter.digest and len(voter.digest) == 64
    assert voter.visitor.split(".")[0] not in voter.digest


def test_a_permalink_leads_to_the_page_of_its_thread(app, mag_rr, make_entry):
    question = make_entry(mag_rr, kind=KIND_QUESTION)
    reply = make_entry(mag_rr, kind=KIND_QUESTION, parent=question)
    place = place_of_entry(mag_rr, reply.id, per_page=10)
    assert (place.entry_id, place.kind, place.page) == (reply.id, KIND_QUESTION, 1)


def test_only_what_the_public_sees_has_a_place(app, mag_rr, make_product, make_entry):
    other = make_product(slug="other")
    pending = make_entry(mag_rr, status=PENDING)
    rejected = make_entry(mag_rr, status=REJECTED)
    reply_of_rejected = make_entry(mag_rr, parent=rejected)
    published = make_entry(mag_rr)
    for entry_id in (pending.id, rejected.id, reply_of_rejected.id, 987654, 0):
        with pytest.raises(NotFound):
            place_of_entry(mag_rr, entry_id, per_page=10)
    with pytest.raises(NotFound):
        place_of_entry(other, published.id, per_page=10)
