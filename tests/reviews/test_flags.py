"""Health claims and side-effect reports are flagged for moderation, with the words found."""
import pytest

from shop.extensions import db
from shop.reviews.flags import detect_flags
from shop.reviews.models import PENDING, Entry


@pytest.mark.parametrize("text,claims", [
    ("This cures insomnia, I swear.", ["cures insomnia"]),
    ("It treats neuropathy better than my pills", ["treats neuropathy"]),
    ("Cured my restless legs!", ["cured my restless"]),
    ("It prevents migraines", ["prevents migraines"]),
    ("Heals the body", ["heals the body"]),
    ("I stopped taking my sleeping pills", ["stopped taking my sleeping pills"]),
])
def test_disease_claims_are_flagged_with_the_words(text, claims):
    assert detect_flags(text)["health_claim"] == claims


@pytest.mark.parametrize("text,effects", [
    ("Vivid dreams the first week", ["vivid dreams"]),
    ("I got a rash and palpitations", ["rash", "palpitations"]),
    ("Some nausea, and a HEADACHE in the morning", ["nausea", "headache"]),
    ("Felt groggy at first", ["groggy"]),
])
def test_side_effects_are_flagged_with_the_words(text, effects):
    assert detect_flags(text)["side_effect"] == effects


def test_plain_praise_is_not_flagged():
    assert detect_flags("Lovely capsules, easy to swallow, I sleep well.") == {}


def test_a_flagged_post_waits_in_the_moderation_queue_with_its_words(mag_rr, post_entry, app, make_staff):
    from shop.reviews.moderation import moderation_queue, publish_entry

    # given
    clean = post_entry(body="Easy to swallow.").get_json()["id"]
    flagged = post_entry(kind="question", rating=..., body="Is the vivid dreams thing normal? It cured my insomnia."
                         ).get_json()["id"]
    # when
    queue = moderation_queue()
    # then: oldest first, both pending (nothing is published without a person), words shown
    assert [e.id for e in queue] == [clean, flagged]
    entry = queue[1]
    assert entry.status == PENDING and entry.flagged
    assert entry.flags == {"health_claim": ["cured my insomnia"], "side_effect": ["vivid dreams"]}
    assert queue[0].flags == {} and not queue[0].flagged
    assert entry.product.slug == "mag-rr"
    # and a person may still publish it after reading it
    staff, _ = make_staff("support")
    publish_entry(flagged, staff)
    db.session.commit()
    assert db.session.get(Entry, flagged).status == "published"


def test_no_code_path_publishes_without_a_person(mag_rr, make_entry):
    from shop.reviews.moderation import InvalidEntryTransition, set_status

    entry = make_entry(mag_rr, status=PENDING, body="Gave me a rash", flags={"side_effect": ["rash"]})
    with pytest.raises(InvalidEntryTransition):
        set_status(entry, "published", staff=None)
    with pytest.raises(InvalidEntryTransition):
        set_status(make_entry(mag_rr), PENDING, staff=None)


def test_the_staff_api_shows_flags(mag_rr, post_entry, client, staff_headers):
    post_entry(kind="question", rating=..., body="Palpitations after the second week, is that normal?")
    items = client.get("/api/v1/admin/questions", headers=staff_headers("support")).get_json()["items"]
    assert items[0]["flags"] == {"side_effect": ["palpitations"]}
    assert items[0]["status"] == "pending"
