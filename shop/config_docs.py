"""docs/operations/settings.md, generated from the registry in shop.config:

    python -m shop.config_docs > docs/operations/settings.md
"""
import sys

HEADER = """# Settings

Every setting is an environment variable of the same name (a `.env` file in the working
directory is read in development). They are declared in one place, `shop/config.py`, and this
page is generated from it: `python -m shop.config_docs > docs/operations/settings.md`.

With `SHOP_ENV=production` the app, the worker and every `flask` command refuse to start
(a message naming the setting, a non-zero exit) when a setting marked *required in production*
is unset or holds a value published for local development (such as the Stripe stand-in's
`sk_test_local_standin` / `whsec_local_standin`), and on SQLite unless
`ALLOW_SQLITE_IN_PRODUCTION=true`.

| variable | type | default | what it does |
| --- | --- | --- | --- |
"""


def _default(setting) -> str:
    if setting.shown_default is not None:
        shown = setting.shown_default
    elif setting.default is None:
        shown = "unset"
    elif isinstance(setting.default, bool):
        shown = f"`{str(setting.default).lower()}`"
    else:
        shown = f"`{setting.default}`"
    if setting.required_in_production:
        shown += " in development; **required in production**"
    return shown


def markdown(settings) -> str:
    rows = [f"| `{s.name}` | {s.type.label} | {_default(s)} | {s.description} |" for s in settings]
    return HEADER + "\n".join(rows) + "\n"


if __name__ == "__main__":
    from shop.config import SETTINGS

    sys.stdout.write(markdown(SETTINGS))
