"""Every setting is declared once (shop.config.SETTINGS): the docs' table and the code follow it."""
import ast
import pathlib

from shop.config import SETTINGS
from shop.config_docs import markdown

ROOT = pathlib.Path(__file__).resolve().parents[2]
SETTINGS_PAGE = ROOT / "docs" / "operations" / "settings.md"
REGENERATE = "python -m shop.config_docs > docs/operations/settings.md"


def test_the_settings_page_is_the_registry():
    # given the registry, when the page is generated from it, then it is the page in the docs
    assert SETTINGS_PAGE.read_text(encoding="utf-8") == markdown(SETTINGS), f"out of date: run `{REGENERATE}`"


def _reads_of_the_environment(path: pathlib.Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") \
                and isinstance(node.value, ast.Name) and node.value.id == "os":
            lines.append(node.lineno)
    return lines


def test_only_shop_config_reads_the_environment():
    # given the application's code (the Stripe stand-in is a development tool of its own)
    sources = [p for folder in ("shop", "worker") for p in (ROOT / folder).rglob("*.py")
               if "stripe_standin" not in p.parts and p != ROOT / "shop" / "config.py"]
    # then none of it reads an environment variable: settings come from the app's config
    readers = {str(p.relative_to(ROOT)): lines for p in sources if (lines := _reads_of_the_environment(p))}
    assert readers == {}


def test_each_setting_is_declared_once_with_a_description():
    names = [setting.name for setting in SETTINGS]
    assert len(names) == len(set(names))
    assert all(setting.description.strip() for setting in SETTINGS)
