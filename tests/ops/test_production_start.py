"""Production refuses to start on published development secrets: the web server, the worker and
the flask CLI alike stop with a message naming the setting and a non-zero exit."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize("command", [
    [str(BIN / "flask"), "--app", "shop", "db", "current"],
    [str(BIN / "gunicorn"), "--bind", "127.0.0.1:0", "--workers", "1", "shop:create_app()"],
    [str(BIN / "celery"), "-A", "worker", "worker", "--pool", "solo"],
], ids=["flask", "gunicorn", "celery"])
def test_every_process_refuses_the_readmes_webhook_secret(tmp_path, command):
    # given production configured with the README's stand-in webhook secret
    env = {"PATH": os.environ["PATH"], "SHOP_ENV": "production", "SECRET_KEY": "k" * 64,
           "DATABASE_URL": "postgresql+psycopg://shop@127.0.0.1:1/shop", "STRIPE_SECRET_KEY": "sk_live_own",
           "STRIPE_WEBHOOK_SECRET": "whsec_local_standin", "SHOP_INSTANCE_PATH": str(tmp_path)}
    # when the process starts
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    # then it stops, saying why
    assert result.returncode != 0
    assert "shop: refusing to start: STRIPE_WEBHOOK_SECRET is a published development value" in result.stderr
