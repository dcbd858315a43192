import json
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


def settings_in_a_fresh_process(*names: str, **env: str) -> dict:
    """Return settings `names` as a fresh process builds them from `env` (DEBUG off)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "DB_")) and k not in {"DEBUG", "TRUSTED_PROXIES"}
    }
    clean.update({"DEBUG": "0", "SECRET_KEY": "x" * 50, **env})
    clean["DJANGO_SETTINGS_MODULE"] = "forum.settings"
    code = (
        "import json, sys; from django.conf import settings; "
        "print(json.dumps({n: getattr(settings, n, None) for n in sys.argv[1:]}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *names],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_forwarded_proto_is_trusted_only_with_trusted_proxies():
    alone = settings_in_a_fresh_process("SECURE_PROXY_SSL_HEADER", "TRUSTED_PROXIES")
    assert alone == {"SECURE_PROXY_SSL_HEADER": None, "TRUSTED_PROXIES": []}
    proxied = settings_in_a_fresh_process(
        "SECURE_PROXY_SSL_HEADER", "TRUSTED_PROXIES", TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8"
    )
    assert proxied == {
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "TRUSTED_PROXIES": ["127.0.0.1/32", "10.0.0.0/8"],
    }


def test_a_trusted_proxy_that_is_not_an_address_is_refused_at_start_up():
    result = run_django_setup(DEBUG="1", TRUSTED_PROXIES="proxy.example.org")
    assert result.returncode != 0
    assert "TRUSTED_PROXIES: 'proxy.example.org' is not an IP address" in result.stderr


def test_hsts_subdomains_and_preload_are_settings_with_preload_off_by_default():
    names = ("SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD")
    assert settings_in_a_fresh_process(*names) == {
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
    }
    assert settings_in_a_fresh_process(
        *names, SECURE_HSTS_INCLUDE_SUBDOMAINS="0", SECURE_HSTS_PRELOAD="1"
    ) == {"SECURE_HSTS_INCLUDE_SUBDOMAINS": False, "SECURE_HSTS_PRELOAD": True}


def start_up_output(command: list[str], **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    clean.update({"DEBUG": "0", "SECRET_KEY": "x" * 50, "SECURE_SSL_REDIRECT": "0", **env})
    clean["DJANGO_SETTINGS_MODULE"] = "forum.settings"
    result = subprocess.run(
        [sys.executable, *command], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )
    return result.stdout + result.stderr


@pytest.mark.parametrize(
    "command",
    [["manage.py", "check"], ["-c", "import forum.asgi"]],
    ids=["system-check", "server-start"],
)
def test_without_database_and_redis_urls_start_up_says_sqlite_and_single_process(command):
    output = start_up_output(command)
    assert "forum.W001" in output and "Running on SQLite" in output
    assert "forum.W002" in output and "Running as a single process" in output


def test_with_database_and_redis_urls_start_up_says_neither():
    output = start_up_output(
        ["manage.py", "check"],
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/unused",
        REDIS_URL="redis://127.0.0.1:6379/11",
    )
    assert "forum.W001" not in output and "forum.W002" not in output


def test_start_up_stays_quiet_about_embedded_defaults_in_debug():
    assert "forum.W00" not in start_up_output(["manage.py", "check"], DEBUG="1")


def test_https_redirect_without_trusted_proxies_is_pointed_out_at_start_up():
    command = ["manage.py", "check"]
    assert "forum.W003" in start_up_output(command, SECURE_SSL_REDIRECT="1")
    assert "forum.W003" not in start_up_output(
        command, SECURE_SSL_REDIRECT="1", TRUSTED_PROXIES="127.0.0.1"
    )


def test_postgres_without_psycopg_pool_is_pointed_out_at_start_up():
    without_pool = (
        "import importlib.util as u; find = u.find_spec; "
        "u.find_spec = lambda name, *a: None if name == 'psycopg_pool' else find(name, *a); "
        "import django; django.setup(); from django.conf import settings; "
        "print('pool' in settings.DATABASES['default']['OPTIONS']); "
        "from django.core.management import call_command; call_command('check')"
    )
    postgres = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused"}
    output = start_up_output(["-c", without_pool], **postgres)
    assert output.startswith("False") and "forum.W004" in output
    assert "forum.W004" not in start_up_output(["manage.py", "check"], **postgres)
    assert "forum.W004" not in start_up_output(["-c", without_pool], **postgres, DB_PGBOUNCER="1")
