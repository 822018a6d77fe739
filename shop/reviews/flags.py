"""Words a supplement store must not publish unread: disease claims and side-effect reports.

A claim ("cured my insomnia") would be the store making a drug claim in its customers' words;
a side effect ("vivid dreams", "palpitations") is something support should follow up. Neither
is refused: both are flagged with the words found, for the moderator to judge.
"""
import re

from shop.reviews.models import FLAG_HEALTH_CLAIM, FLAG_SIDE_EFFECT

# A verb of cure, with up to two following words so the moderator sees what was claimed.
_CLAIM_VERBS = (
    r"cur(?:e|es|ed|ing)",
    r"treat(?:s|ed|ing)?",
    r"prevent(?:s|ed|ing)?",
    r"heal(?:s|ed|ing)?",
    r"revers(?:e|es|ed|ing)",
    r"diagnos(?:e|es|ed|ing|is)",
    r"got rid of",
)
_CLAIM = re.compile(
    r"\b(?:" + "|".join(_CLAIM_VERBS) + r")\b(?:[ \t]+(?:my|your|his|her|their|the|of|for|me|it))?"
    r"(?:[ \t]+[a-z][a-z'-]*)?",
    re.IGNORECASE,
)
_CLAIM_PHRASES = re.compile(
    r"\b(?:(?:off|stopped|quit|replaced|instead of)\s+(?:taking\s+)?(?:my\s+)?"
    r"(?:meds|medication|medications|prescription|pills|sleeping pills))\b",
    re.IGNORECASE,
)

_SIDE_EFFECTS = re.compile(
    r"\b(?:vivid dreams?|nightmares?|bad dreams?|rash(?:es)?|hives|itch(?:y|ing)?|palpitations?|"
    r"heart (?:racing|pounding)|racing heart|chest pains?|shortness of breath|nause(?:a|ous|ated)|"
    r"vomit(?:ing|ed)?|headaches?|migraines?|dizz(?:y|iness)|diarrh(?:o)?ea|"
    r"(?:upset|sore) stomach|stomach (?:ache|upset|cramps?|pains?)|stomachache|"
    r"grogg(?:y|iness)|hangover|allergic(?: reaction)?|swelling|swollen|tingling|numbness|"
    r"side[ -]effects?|made me (?:sick|ill)|felt (?:sick|ill))\b",
    re.IGNORECASE,
)


def _matches(pattern: re.Pattern, text: str) -> list[str]:
    found: list[str] = []
    for match in pattern.finditer(text):
        words = " ".join(match.group(0).lower().split())
        if words not in found:
            found.append(words)
    return found


def detect_flags(text: str) -> dict[str, list[str]]:
    """{"health_claim": [...], "side_effect": [...]}, each key present only when something matched."""
    flags = {}
    claims = _matches(_CLAIM, text) + _matches(_CLAIM_PHRASES, text)
    if claims:
        flags[FLAG_HEALTH_CLAIM] = claims
    side_effects = _matches(_SIDE_EFFECTS, text)
    if side_effects:
        flags[FLAG_SIDE_EFFECT] = side_effects
    return flags
