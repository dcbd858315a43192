"""Read deployment settings from environment variables.

Only `forum/settings.py` calls these; the rest of the code reads `django.conf.settings`.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import threading
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Return the boolean value of environment variable `name`."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0/true/false/yes/no/on/off, not {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated environment variable as a list of stripped items."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    """Return the integer value of environment variable `name`, at least `minimum`."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def has_connection_pool() -> bool:
    """Whether psycopg's pool (the `psycopg[pool]` extra) is installed."""
    return importlib.util.find_spec("psycopg_pool") is not None


_sqlite_keepers: dict[str, object] = {}
_sqlite_keepers_lock = threading.Lock()


def sqlite_connection_created(sender, connection, **kwargs) -> None:
    """Keep one more connection to a SQLite database file open for the process's life.

    Without persistent connections, every request and every socket message opens and
    closes its own; when the last connection to a WAL database closes, SQLite copies
    the WAL into the database and syncs both (about 20 ms on the development machine),
    and the next one to open rebuilds the WAL index. On the single database thread that
    Channels gives the sockets, every later message waited for that. An idle
    connection held open means no close is the last one; SQLite still checkpoints as
    the WAL grows (every 1,000 pages). It holds no transaction, so it blocks nothing.
    """
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        return
    name = str(connection.settings_dict["NAME"])
    if name in _sqlite_keepers:
        return
    import sqlite3

    with _sqlite_keepers_lock:
        if name not in _sqlite_keepers:
            keeper = sqlite3.connect(name, check_same_thread=False)
            keeper.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # maps the WAL index
            _sqlite_keepers[name] = keeper


SQLITE_ENGINE = "forum.sqlite"


def database(url: str | None, base_dir: Path) -> dict[str, object]:
    """Return DATABASES["default"] for DATABASE_URL (SQLite in var/ without one).

    PostgreSQL connections come from psycopg's pool, checked before each use
    (DB_POOL_MIN, DB_POOL_MAX, DB_POOL_TIMEOUT; DB_POOL_MAX=0 turns the pool off);
    SQLite's closed connections wait for the next use (forum/sqlite/base.py).
    Never persistent connections: under ASGI each request runs in a thread of its own,
    so a connection kept per thread is one left open per request. DB_PGBOUNCER=1 is
    for PgBouncer in transaction mode: PgBouncer pools, and server-side cursors (which
    outlive a transaction) are off.
    """
    config = dj_database_url.parse(
        url or f"sqlite:///{base_dir / 'var' / 'forum.sqlite3'}", conn_max_age=0
    )
    config["CONN_HEALTH_CHECKS"] = True
    options = config.setdefault("OPTIONS", {})
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Django's SQLite, with closed connections kept open for the next use.
        config["ENGINE"] = SQLITE_ENGINE
        # WAL lets the ASGI server read while a write is in flight.
        options["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        options["transaction_mode"] = "IMMEDIATE"
    elif config["ENGINE"] == "django.db.backends.postgresql":
        if env_bool("DB_PGBOUNCER", False):
            # PgBouncer refuses startup options: set jit = off on the server instead.
            config["DISABLE_SERVER_SIDE_CURSORS"] = True
        else:
            # No JIT: the forum's queries are short, and a search's estimated cost (its
            # visibility subqueries) passes JIT's thresholds, where compiling took
            # seconds for a query that runs in milliseconds (docs/benchmarks.md).
            options["options"] = "-c jit=off"
            pool_max = env_int("DB_POOL_MAX", 10)
            if pool_max and has_connection_pool():
                options["pool"] = {
                    "min_size": min(env_int("DB_POOL_MIN", 2), pool_max),
                    "max_size": pool_max,
                    # Seconds a request waits for a free connection before it fails.
                    "timeout": env_int("DB_POOL_TIMEOUT", 10, minimum=1),
                }
    return config


def trusted_proxies(name: str = "TRUSTED_PROXIES") -> list[str]:
    """Return the comma-separated proxy addresses or networks in `name`, normalized.

    A bare address stands for itself (``10.0.0.7`` is ``10.0.0.7/32``).
    """
    networks = []
    for item in env_list(name, []):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not an IP address or network (e.g. 127.0.0.1 or 10.0.0.0/8)"
            ) from None
    return networks


def mailers(url: str, base_dir: Path) -> dict[str, object]:
    """Translate an EMAIL_URL into Django's MAILERS setting.

    Accepted forms: ``console:``, ``locmem:``, ``file:///path/to/dir`` (or
    ``file:relative/dir``), ``smtp://user:pass@host:port`` and
    ``smtp+tls://`` / ``smtps://`` (STARTTLS / implicit TLS).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    backends = "django.core.mail.backends."
    if scheme == "console":
        default: dict[str, object] = {"BACKEND": backends + "console.EmailBackend"}
    elif scheme == "locmem":
        default = {"BACKEND": backends + "locmem.EmailBackend"}
    elif scheme == "file":
        path = unquote(parts.path or parts.netloc) or "var/mail"
        folder = Path(path) if Path(path).is_absolute() else base_dir / path
        default = {
            "BACKEND": backends + "filebased.EmailBackend",
            "OPTIONS": {"file_path": str(folder)},
        }
    elif scheme in {"smtp", "smtp+tls", "smtps"}:
        query = parse_qs(parts.query)
        default = {
            "BACKEND": backends + "smtp.EmailBackend",
            "OPTIONS": {
                "host": parts.hostname or "localhost",
                "port": parts.port or (465 if scheme == "smtps" else 25),
                "username": unquote(parts.username or ""),
                "password": unquote(parts.password or ""),
                "use_tls": scheme == "smtp+tls",
                "use_ssl": scheme == "smtps",
                "timeout": int(query.get("timeout", ["10"])[0]),
            },
        }
    else:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme {scheme!r} is not supported: use console:, locmem:, file:, "
            "smtp://, smtp+tls:// or smtps://"
        )
    return {"default": default}


def channel_layers(redis_url: str | None) -> dict[str, object]:
    """Return CHANNEL_LAYERS: Redis pub/sub when a URL is given, in-memory otherwise."""
    if not redis_url:
        return {"default": {"BACKEND": "forum.channel_layer.InMemoryChannelLayer"}}
    return {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [redis_url], "prefix": "wgforum"},
        }
    }


def caches(redis_url: str | None) -> dict[str, object]:
    """Return CACHES: shared Redis when available, so rate limits hold across processes."""
    if not redis_url:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    return {
        "default": {
            "BACKEND": "forum.cache.ResilientRedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "wgforum",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def tasks(backend: str) -> dict:
    """Return TASKS for `backend`: "database" (a worker process) or "immediate"."""
    backends = {
        "database": "django_tasks_db.DatabaseBackend",
        "immediate": "django.tasks.backends.immediate.ImmediateBackend",
    }
    if backend not in backends:
        raise ImproperlyConfigured(
            f"TASKS_BACKEND must be one of {', '.join(backends)}, not {backend!r}"
        )
    return {"default": {"BACKEND": backends[backend]}}
