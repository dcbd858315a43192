"""SQLite, with closed connections kept open for the next use.

Connections are not persistent (forum.config.database): each request and each database
call of a socket opens one and closes it. For SQLite the opening is what costs: a new
connection reads the whole schema again and runs its PRAGMAs, about 2 ms of CPU, as
much as all the queries of a direct message. A closed connection goes back to a small
pool per database file instead, and the next open takes it, as psycopg's pool does for
PostgreSQL. Only a connection outside any transaction goes back; one whose file was
replaced since (a test database made again) is closed instead.
"""

from __future__ import annotations

import os
import threading

from django.db.backends.sqlite3 import base

# Idle connections kept per database file; more are closed.
IDLE_MAX = 4

_idle: dict[tuple[int, str], list[tuple[object, tuple[int, int] | None]]] = {}
_lock = threading.Lock()


def _identity(name: str) -> tuple[int, int] | None:
    """Which file `name` is now (device and inode), or None if there is none."""
    try:
        found = os.stat(name)
    except OSError:
        return None
    return found.st_dev, found.st_ino


class DatabaseWrapper(base.DatabaseWrapper):
    def _pool_key(self) -> tuple[int, str] | None:
        if self.is_in_memory_db():
            return None
        return os.getpid(), str(self.settings_dict["NAME"])

    def get_new_connection(self, conn_params):
        key = self._pool_key()
        if key is not None:
            now = _identity(key[1])
            while True:
                with _lock:
                    idle = _idle.get(key)
                    raw, identity = idle.pop() if idle else (None, None)
                if raw is None:
                    break
                if identity is not None and identity == now:
                    raw.execute("PRAGMA foreign_keys = ON")  # as a new connection has it
                    self._file_identity = identity
                    return raw
                raw.close()  # the file was replaced since
        raw = super().get_new_connection(conn_params)
        self._file_identity = _identity(key[1]) if key is not None else None
        return raw

    def _close(self):
        raw, key = self.connection, self._pool_key()
        identity = getattr(self, "_file_identity", None)
        reusable = raw is not None and key is not None and identity is not None
        if reusable and not (raw.in_transaction or self.in_atomic_block):
            with _lock:
                idle = _idle.setdefault(key, [])
                if len(idle) < IDLE_MAX:
                    idle.append((raw, identity))
                    return None
        return super()._close()
