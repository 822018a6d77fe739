"""Reading request parameters the way Stripe does, and Stripe's error shape.

The SDK form-encodes everything, GET and POST alike: nested objects as `a[b][c]=v` and arrays
always indexed, `line_items[0][quantity]=2`. Every value arrives as a string; the endpoint says
which ones are integers.
"""
import re
from collections.abc import Iterable

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


class StripeError(Exception):
    """An error answered in Stripe's shape: {"error": {"type", "code", "message", "param"}}."""

    def __init__(self, message: str, *, status: int = 400, type: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None, **extra):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type, "code": code, "message": message, "param": param,
                               **extra}}


class InvalidParameter(StripeError):
    """A request refused while its parameters are read, before the endpoint runs.

    Stripe saves no idempotent result for these: the same key may be used again with corrected
    parameters (see `IdempotencyKeys`).
    """


def missing(param: str) -> InvalidParameter:
    return InvalidParameter(f"Missing required param: {param}.", code="parameter_missing",
                            param=param)


def invalid(param: str, message: str) -> InvalidParameter:
    return InvalidParameter(message, code="parameter_invalid", param=param)


def unknown_parameter(param: str) -> InvalidParameter:
    return InvalidParameter(f"Received unknown parameter: {param}", code="parameter_unknown",
                            param=param)


def no_such(kind: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(f"No such {kind}: '{object_id}'", status=404, code="resource_missing",
                       param=param)


def decode(pairs: Iterable[tuple[str, str]]) -> dict:
    """`[("a[b][0][c]", "1")]` → `{"a": {"b": [{"c": "1"}]}}`; `a[]=x` appends to a list."""
    root: dict = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if not match:
            raise invalid(key, f"Invalid parameter name: {key}")
        path = [match.group(1)] + re.findall(r"\[([^\[\]]*)\]", match.group(2))
        node = root
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if part == "":  # `expand[]=x`: append
                part = str(len(node))
            if last:
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise invalid(key, f"Invalid parameter: {key} mixes a value and an object")
                node = child
    return _lists(root)


def _lists(node):
    """Objects whose keys are all indexes 0..n-1 are arrays."""
    if not isinstance(node, dict):
        return node
    converted = {k: _lists(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        indexes = sorted(int(k) for k in converted)
        if indexes == list(range(len(indexes))):
            return [converted[str(i)] for i in indexes]
    return converted


def integer(params: dict, name: str, *, required: bool = False, minimum: int | None = None,
            maximum: int | None = None, default: int | None = None, label: str | None = None):
    label = label or name
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise missing(label)
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise invalid(label, f"Invalid integer: {raw}") from None
    if minimum is not None and value < minimum:
        raise invalid(label, f"This value must be greater than or equal to {minimum}.")
    if maximum is not None and value > maximum:
        raise invalid(label, f"This value must be less than or equal to {maximum}.")
    return value


def text(params: dict, name: str, *, required: bool = False, max_length: int = 5000,
         label: str | None = None) -> str | None:
    label = label or name
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise missing(label)
        return None
    if not isinstance(raw, str):
        raise invalid(label, f"Invalid string: {label} must be a string")
    if len(raw) > max_length:
        raise invalid(label, f"Invalid string: must be at most {max_length} characters")
    return raw


def one_of(params: dict, name: str, values: tuple[str, ...], *, default: str | None = None,
           required: bool = False, label: str | None = None):
    """An enum parameter: one of `values` (Stripe names them all when it refuses another)."""
    label = label or name
    raw = text(params, name, required=required, label=label)
    if raw is None:
        return default
    if raw not in values:
        listed = ", ".join(values[:-1]) + f", or {values[-1]}" if len(values) > 1 else values[0]
        raise invalid(label, f"Invalid {label}: must be one of {listed}")
    return raw


def metadata(params: dict, name: str = "metadata") -> dict:
    """Stripe's metadata: up to 50 string keys; an empty value unsets the key."""
    raw = params.get(name)
    if raw is None or raw == "":
        return {}
    if not isinstance(raw, dict):
        raise invalid(name, "Invalid object: metadata must be a hash of keys to strings")
    if len(raw) > 50:
        raise invalid(name, "Metadata can have up to 50 keys.")
    for key, value in raw.items():
        if len(key) > 40 or not isinstance(value, str) or len(value) > 500:
            raise invalid(f"{name}[{key}]", "Metadata keys are at most 40 characters and values "
                                            "strings of at most 500 characters.")
    return {k: v for k, v in raw.items() if v != ""}


def merged_metadata(current: dict, params: dict) -> dict:
    """An update's metadata merged into the object's: an empty value removes its key, and
    `metadata=""` removes them all, as at Stripe."""
    given = params.get("metadata")
    if given == "":
        return {}
    kept = metadata(params)
    cleared = {k for k, v in given.items() if v == ""} if isinstance(given, dict) else set()
    return {k: v for k, v in {**current, **kept}.items() if k not in cleared}


def expand(params: dict) -> set[str]:
    raw = params.get("expand") or []
    return set(raw if isinstance(raw, list) else [raw])


def boolean(params: dict, name: str, *, default: bool | None = None,
            label: str | None = None) -> bool | None:
    """The SDK sends booleans as "true" / "false"; Stripe refuses anything else."""
    label = label or name
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if raw not in ("true", "false"):
        raise invalid(label, f"Invalid boolean: {raw}")
    return raw == "true"


def currency(params: dict, name: str, *, required: bool = False,
             label: str | None = None) -> str | None:
    """A three-letter ISO currency code, lower-cased as Stripe answers it."""
    label = label or name
    raw = text(params, name, required=required, label=label)
    if raw is None:
        return None
    if len(raw) != 3 or not raw.isalpha():
        raise invalid(label, f"Invalid currency: {raw}")
    return raw.lower()


def only(params: dict, accepted: set[str], prefix: str = "") -> None:
    """Refuse the first parameter (in name order) that the endpoint does not take."""
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise unknown_parameter(f"{prefix}[{unknown[0]}]" if prefix else unknown[0])


def hash_of(params: dict, name: str) -> dict:
    """A nested object parameter (`a[b]=...`): {} when absent, refused when not an object."""
    raw = params.get(name)
    if raw is None or raw == "":
        return {}
    if not isinstance(raw, dict):
        raise invalid(name, f"Invalid object: {name}")
    return raw
