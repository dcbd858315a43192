import os
import subprocess
import sys
from pathlib import Path

import pytest

from forum import config

ROOT = Path(__file__).resolve().parent.parent


def run_django_setup(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    clean.update(env, DJANGO_SETTINGS_MODULE="forum.settings")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_settings_refuse_to_start_without_secret_key_when_debug_is_off():
    result = run_django_setup(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_settings_start_with_a_secret_key_when_debug_is_off():
    assert run_django_setup(DEBUG="0", SECRET_KEY="x" * 50).returncode == 0


def test_settings_start_without_a_secret_key_in_debug():
    assert run_django_setup(DEBUG="1").returncode == 0


def test_secure_cookies_and_headers_when_debug_is_off(settings):
    assert settings.DEBUG is False
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE
    assert settings.SECURE_HSTS_SECONDS > 0


def test_every_page_carries_a_csp_that_forbids_inline_script(anonymous_client):
    response = anonymous_client.get("/")
    policy = response["Content-Security-Policy"]
    directives = dict(
        ([*part.strip().split(" ", 1), ""])[:2] for part in policy.split(";") if part.strip()
    )
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.content.decode()


@pytest.mark.parametrize(
    ("url", "backend", "options"),
    [
        ("console:", "console.EmailBackend", {}),
        (
            "smtp://u:p%40ss@mail.example.org:2525",
            "smtp.EmailBackend",
            {
                "host": "mail.example.org",
                "port": 2525,
                "username": "u",
                "password": "p@ss",
                "use_tls": False,
                "use_ssl": False,
            },
        ),
        (
            "smtp+tls://mail.example.org",
            "smtp.EmailBackend",
            {"host": "mail.example.org", "port": 25, "use_tls": True},
        ),
        ("file:var/mail", "filebased.EmailBackend", {"file_path": str(ROOT / "var/mail")}),
    ],
)
def test_email_url_becomes_a_mailer(url, backend, options):
    mailer = config.mailers(url, ROOT)["default"]
    assert mailer["BACKEND"].endswith(backend)
    assert options.items() <= mailer.get("OPTIONS", {}).items()


def test_unknown_email_scheme_is_refused_clearly():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="not supported"):
        config.mailers("pigeon://coop", ROOT)
