"""The Flask class the shop runs on: Flask, with two costs of every request paid once instead.

- Flask asks `inspect.iscoroutinefunction` of every hook and view on every request (a dozen
  times per request here); the answer never changes for a function, so it is remembered.
- The session cookie's signing serializer is built once per set of keys, not twice per request.

Both are pure caches: behaviour is Flask's own. Its JSON parser also refuses a lone surrogate
(`shop.text_input`).
"""
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from shop.text_input import JSONProvider

_MAX_REMEMBERED = 4096  # hooks and views are a few hundred; a bound all the same


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the serializer kept while the keys stay the same."""

    def __init__(self):
        self._serializer: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._serializer
        if cached is None or cached[0] != keys:
            cached = self._serializer = (keys, super().get_signing_serializer(app))
        return cached[1]


class ShopFlask(Flask):
    json_provider_class = JSONProvider

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.session_interface = SessionInterface()
        self._sync: dict[Callable, Callable] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._sync[func]
        except KeyError:
            pass
        except TypeError:  # unhashable callable
            return super().ensure_sync(func)
        result = super().ensure_sync(func)
        if len(self._sync) < _MAX_REMEMBERED:
            self._sync[func] = result
        return result
