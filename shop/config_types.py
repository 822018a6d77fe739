"""The types of settings: how an environment variable's text becomes a value, and its name in the docs."""
from dataclasses import dataclass
from typing import Any, Callable


class ConfigError(RuntimeError):
    """The settings cannot run a store safely; the message says which one and why."""


@dataclass(frozen=True)
class SettingType:
    label: str  # as the settings table shows it
    convert: Callable[[str, str], Any]  # (name, raw text) -> value; raises ConfigError

    def parse(self, name: str, raw: str) -> Any:
        return self.convert(name, raw)


def _text(_name: str, raw: str) -> str:
    return raw


def _number(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _flag(name: str, raw: str) -> bool:
    word = raw.strip().lower()
    if word not in _TRUE | _FALSE:
        raise ConfigError(f"{name} must be true or false, got {raw!r}")
    return word in _TRUE


# Two-letter codes that name no country a parcel can go to (Unicode's "unknown", the EU, the UN,
# pseudo-locales); every other ISO 3166-1 alpha-2 code Babel knows is accepted.
_NOT_COUNTRIES = frozenset({"ZZ", "QO", "EU", "EZ", "UN", "XA", "XB"})


def _country_codes(name: str, raw: str) -> tuple[str, ...]:
    """"US, ca" → ("US", "CA"): ISO 3166-1 alpha-2 codes, upper-cased, each once, in order."""
    from babel import Locale  # imported when a setting is read, never at import time

    known = {code for code in Locale("en").territories if len(code) == 2 and code.isalpha()}
    codes: list[str] = []
    for part in raw.split(","):
        code = part.strip().upper()
        if not code:
            continue
        if code not in known or code in _NOT_COUNTRIES:
            raise ConfigError(f"{name} must list ISO 3166-1 country codes such as US,CA; {part.strip()!r} is not one")
        if code not in codes:
            codes.append(code)
    if not codes:
        raise ConfigError(f"{name} must name at least one country (ISO 3166-1 codes such as US,CA)")
    return tuple(codes)


def normalise_database_url(url: str) -> str:
    """Operators paste `postgres://` URLs from their host; SQLAlchemy wants the driver named."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


TEXT = SettingType("text", _text)
NUMBER = SettingType("whole number", _number)
FLAG = SettingType("true/false", _flag)
URL = SettingType("URL", lambda _name, raw: raw.rstrip("/"))
COUNTRIES = SettingType("country codes", _country_codes)
database_url = SettingType("URL", lambda _name, raw: normalise_database_url(raw))
