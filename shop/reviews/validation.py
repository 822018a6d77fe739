"""What a review, question or reply may contain; shared by the JSON API and the page forms.

The three messages are part of the public contract (API.md) and appear word for word in both.
"""
import re
import unicodedata
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

REQUIRED = "Required field missing"
EMAIL_INVALID = "Email address invalid"
WEBSITE_INVALID = "Website address invalid"
RATING_INVALID = "Rating must be a whole number from 1 to 5"

NAME_MAX = 80
EMAIL_MAX = 254
WEBSITE_MAX = 200
BODY_MAX = 4000


def too_long(limit: int) -> str:
    return f"At most {limit} characters"


_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})+$", re.IGNORECASE)
_UNSAFE_IN_URL = re.compile(r"[\s<>\"'`\\{}|^]")


def clean_text(value: str | None) -> str:
    """Trimmed plain text: Windows line ends unified, control characters (other than newline
    and tab) removed, since they only ever serve to confuse a reader or a terminal."""
    if value is None:
        return ""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return value.strip()


def normalise_email(value: str) -> str:
    """The address lower-cased, or ValueError(EMAIL_INVALID). Deliverability is not checked:
    that would make a DNS query per post."""
    if len(value) > EMAIL_MAX:
        raise ValueError(EMAIL_INVALID)
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(EMAIL_INVALID) from exc
    return result.normalized.lower()


def normalise_website(value: str) -> str:
    """An http(s) address with a real host name, or ValueError(WEBSITE_INVALID).

    "example.com" is read as "https://example.com"; anything else (javascript:, data:,
    addresses with spaces or quotes) is refused, so the link on the page is always harmless.
    """
    if len(value) > WEBSITE_MAX or _UNSAFE_IN_URL.search(value):
        raise ValueError(WEBSITE_INVALID)
    if "://" not in value:
        value = "https://" + value
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  raises ValueError on a malformed port
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError) as exc:
        raise ValueError(WEBSITE_INVALID) from exc
    if parts.scheme.lower() not in ("http", "https") or parts.username or parts.password:
        raise ValueError(WEBSITE_INVALID)
    if not _HOSTNAME.match(host) or len(value) > WEBSITE_MAX:
        raise ValueError(WEBSITE_INVALID)
    return value
