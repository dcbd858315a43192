"""How the forum connects to its database, on each pass and for each deployment mode."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from asgiref.sync import ThreadSensitiveContext
from channels.db import database_sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from forum import config
from forum.models import WorkingGroup

POSTGRES_URL = "postgres://forum:secret@db.example.org:5432/forum"


@pytest.fixture
def pool_installed(monkeypatch):
    monkeypatch.setattr(config, "has_connection_pool", lambda: True)


def test_connection_settings_on_this_pass(settings):
    database = settings.DATABASES["default"]
    assert database["CONN_MAX_AGE"] == 0  # never one connection kept per ASGI thread
    assert database["CONN_HEALTH_CHECKS"] is True
    options = database["OPTIONS"]
    if database["ENGINE"] == config.SQLITE_ENGINE:
        assert "pool" not in options
        assert options["transaction_mode"] == "IMMEDIATE"
        assert "journal_mode=WAL" in options["init_command"]
    else:
        assert not database.get("DISABLE_SERVER_SIDE_CURSORS")
        expected = {"min_size": 2, "max_size": 10, "timeout": 10}
        assert options.get("pool") == (expected if config.has_connection_pool() else None)


def test_a_sqlite_file_keeps_one_connection_open_so_no_close_checkpoints(tmp_path):
    """Closing a request's connection is never the last close of the database file, so
    it does not copy the WAL back and sync (SQLite checkpoints as the WAL grows)."""
    import sqlite3
    from types import SimpleNamespace

    path = tmp_path / "forum.sqlite3"
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE note (text)")
    setup.close()
    django_connection = SimpleNamespace(
        vendor="sqlite", settings_dict={"NAME": path}, is_in_memory_db=lambda: False
    )
    config.sqlite_connection_created(None, django_connection)
    config.sqlite_connection_created(None, django_connection)  # one keeper per file
    try:
        request = sqlite3.connect(path, isolation_level=None)
        request.execute("INSERT INTO note VALUES ('kept')")
        request.close()
        wal = Path(f"{path}-wal")
        assert wal.exists() and wal.stat().st_size > 0  # not checkpointed away on close
    finally:
        config._sqlite_keepers.pop(str(path)).close()


@pytest.mark.skipif(
    connection.vendor != "postgresql" or not config.has_connection_pool(),
    reason="psycopg's pool on PostgreSQL only",
)
@pytest.mark.django_db(transaction=True)
def test_socket_and_request_threads_hand_their_pooled_connections_back(legal):
    connection.ensure_connection()
    pool = connection.pool
    assert pool is not None and pool.max_size == 10
    connection.close()  # the test's own connection goes back too
    pool.wait(timeout=10)

    def checked_out() -> int:
        stats = pool.get_stats()
        return stats["pool_size"] - stats["pool_available"]

    count = database_sync_to_async(WorkingGroup.objects.count)

    async def in_its_own_thread() -> int:
        # As Django's ASGI handler runs each request: a thread of its own.
        async with ThreadSensitiveContext():
            return await count()

    async def calls() -> list[int]:
        # Channels' single database thread, then more threads at once than connections.
        alone = [await count() for _ in range(3)]
        return alone + await asyncio.gather(
            *(in_its_own_thread() for _ in range(pool.max_size + 2))
        )

    assert all(n >= 1 for n in asyncio.run(calls()))
    assert checked_out() == 0


def test_postgres_gets_a_checked_pool_and_no_persistent_connections(monkeypatch, pool_installed):
    monkeypatch.delenv("DB_PGBOUNCER", raising=False)
    monkeypatch.setenv("DB_POOL_MIN", "4")
    monkeypatch.setenv("DB_POOL_MAX", "25")
    database = config.database(POSTGRES_URL, Path("/srv/forum"))
    assert database["CONN_MAX_AGE"] == 0
    assert database["CONN_HEALTH_CHECKS"] is True
    assert database["OPTIONS"]["pool"] == {"min_size": 4, "max_size": 25, "timeout": 10}
    assert database["OPTIONS"]["options"] == "-c jit=off"
    assert not database.get("DISABLE_SERVER_SIDE_CURSORS")


def test_behind_pgbouncer_there_is_no_pool_and_no_server_side_cursor(monkeypatch, pool_installed):
    monkeypatch.setenv("DB_PGBOUNCER", "1")
    database = config.database(POSTGRES_URL, Path("/srv/forum"))
    assert database["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert "pool" not in database["OPTIONS"]
    assert "options" not in database["OPTIONS"]  # PgBouncer refuses startup options
    assert database["CONN_MAX_AGE"] == 0


def test_pool_size_zero_turns_the_pool_off(monkeypatch, pool_installed):
    monkeypatch.setenv("DB_POOL_MAX", "0")
    assert "pool" not in config.database(POSTGRES_URL, Path("/srv/forum"))["OPTIONS"]


def test_without_psycopg_pool_postgres_opens_a_connection_per_request(monkeypatch):
    monkeypatch.setattr(config, "has_connection_pool", lambda: False)
    database = config.database(POSTGRES_URL, Path("/srv/forum"))
    assert "pool" not in database["OPTIONS"]
    assert database["CONN_MAX_AGE"] == 0


def test_sqlite_stays_as_it_was(monkeypatch, pool_installed):
    database = config.database(None, Path("/srv/forum"))
    assert database["NAME"] == "/srv/forum/var/forum.sqlite3"
    assert "pool" not in database["OPTIONS"]
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.parametrize("value", ["ten", "-1"])
def test_a_pool_size_that_is_not_a_count_is_refused(monkeypatch, value):
    monkeypatch.setenv("DB_POOL_MAX", value)
    with pytest.raises(ImproperlyConfigured, match="DB_POOL_MAX"):
        config.database(POSTGRES_URL, Path("/srv/forum"))


def _sqlite_wrapper(path: Path):
    from django.db import connections

    from forum.sqlite.base import DatabaseWrapper

    database = config.database(f"sqlite:///{path}", path.parent)
    settings_dict = connections.configure_settings({"default": database})["default"]
    return DatabaseWrapper(settings_dict, "pooled")


def test_a_closed_sqlite_connection_is_taken_again_by_the_next_open(tmp_path, django_db_blocker):
    """Opening costs a schema read and the PRAGMAs; a closed connection waits for the
    next use instead, unless it holds a transaction or its file was replaced."""
    with django_db_blocker.unblock():
        _reuse_on(tmp_path / "forum.sqlite3")


def _reuse_on(path: Path) -> None:
    first = _sqlite_wrapper(path)
    first.ensure_connection()
    raw = first.connection
    first.close()
    second = _sqlite_wrapper(path)
    second.ensure_connection()
    assert second.connection is raw
    with second.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
    second.connection.execute("BEGIN")  # left open: this one is not reused
    second.close()
    third = _sqlite_wrapper(path)
    third.ensure_connection()
    assert third.connection is not raw
    kept = third.connection
    third.close()
    path.unlink()  # the file is made again (as a test database is)
    path.touch()
    fourth = _sqlite_wrapper(path)
    fourth.ensure_connection()
    assert fourth.connection is not kept
    fourth.close()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_sqlite_runs_on_the_forums_engine(settings):
    assert settings.DATABASES["default"]["ENGINE"] == config.SQLITE_ENGINE
    assert connection.vendor == "sqlite"
