"""The production settings fail closed and pass Django's deployment checks (issue #11)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py with the production settings and exactly the deployment variables in `env`."""
    unset = ("SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "DATABASE_URL", "ALLOW_PLAIN_HTTP", "DJANGO_ALLOW_ASYNC_UNSAFE")
    environ = {k: v for k, v in os.environ.items() if k not in unset}
    environ.update({"DJANGO_SETTINGS_MODULE": "config.settings.production", **env})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )


GOOD = {
    "SECRET_KEY": secrets.token_urlsafe(60),
    "ALLOWED_HOSTS": "loyalty.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/boomerang",
}


def test_check_deploy_is_clean():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **GOOD)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "Set the SECRET_KEY environment variable"),
        ("ALLOWED_HOSTS", "Set the ALLOWED_HOSTS environment variable"),
        ("DATABASE_URL", "Set DATABASE_URL"),
    ],
)
def test_a_missing_setting_stops_the_process(missing, message):
    result = manage("check", **{k: v for k, v in GOOD.items() if k != missing})
    assert result.returncode != 0
    assert message in result.stderr


def test_the_development_key_is_refused():
    result = manage("check", **{**GOOD, "SECRET_KEY": "dev-only-insecure-key-change-me"})
    assert result.returncode != 0 and "not the development key" in result.stderr


def test_plain_http_only_when_asked_for():
    show = "from django.conf import settings as s; print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    assert manage("shell", "-c", show, **GOOD).stdout.split()[-4:] == ["False", "True", "True", "31536000"]
    plain = manage("shell", "-c", show, **GOOD, ALLOW_PLAIN_HTTP="true")
    assert plain.stdout.split()[-4:] == ["False", "False", "False", "0"]
    assert manage("shell", "-c", show, **GOOD, DEBUG="true").stdout.split()[-4] == "False"  # DEBUG stays off


def test_the_app_serves_its_own_compressed_static_files_with_hashed_names(tmp_path):
    env = {**GOOD, "ALLOW_PLAIN_HTTP": "true", "STATIC_ROOT": str(tmp_path), "ALLOWED_HOSTS": "testserver"}
    collected = manage("collectstatic", "--noinput", "-v0", **env)
    assert collected.returncode == 0, collected.stderr
    fetch = (
        "import re; from django.test import Client; c = Client();"
        "page = c.get('/accounts/login/').content.decode();"
        "css = re.search(r'/static/css/boomerang\\.[0-9a-f]{12}\\.css', page).group(0);"
        "r = c.get(css, HTTP_ACCEPT_ENCODING='gzip');"
        "print(r.status_code, r['Content-Type'], r.get('Content-Encoding'), 'immutable' in r['Cache-Control'])"
    )
    result = manage("shell", "-c", fetch, **env)
    assert result.stdout.split()[-4:] == ["200", "text/css;", "gzip", "True"] or result.stdout.split()[-5:] == [
        "200", "text/css;", 'charset="utf-8"', "gzip", "True"
    ], result.stdout + result.stderr  # fmt: skip
