"""What the production package installs: the shop and its worker, not the development tools."""
import tomllib
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_production_package_leaves_out_the_stripe_standin():
    # given the packages pyproject.toml tells setuptools to install
    include = CONFIG["tool"]["setuptools"]["packages"]["find"]["include"]
    # when setuptools looks for them in the repository
    packages = find_packages(str(ROOT), include=include)
    # then the shop and the worker are in, the Stripe stand-in is not
    assert {"shop", "shop.payments", "worker"} <= set(packages)
    assert not [p for p in packages if p.split(".")[-1] == "stripe_standin"]


def test_development_tools_are_not_runtime_dependencies():
    runtime = [d.split("=")[0].split("[")[0] for d in CONFIG["project"]["dependencies"]]
    assert "honcho" not in runtime
    assert any(d.startswith("honcho==") for d in CONFIG["project"]["optional-dependencies"]["dev"])


def test_the_image_copies_no_development_tool():
    copied = [line.split()[1] for line in (ROOT / "Dockerfile").read_text().splitlines()
              if line.startswith("COPY")]
    assert "stripe_standin" not in " ".join(copied) and "." not in copied
