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
database_url = SettingType("URL", lambda _name, raw: normalise_database_url(raw))
