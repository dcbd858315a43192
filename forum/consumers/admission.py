"""Admitting sockets in batches: one database trip for all the connects that arrive together.

A reconnect storm (a deploy, a network blip during a meeting) brings thousands of
connects at once. Each needs its session, member, group, role and log position, and
Channels runs database work on one thread: resolved one by one, they queue behind each
other there (about 5 ms each). Here the connects that arrive while a batch is being
resolved wait for the next batch, which resolves them all with a fixed number of
queries. A lone connect waits for nothing; a storm costs a few database trips per
hundred sockets instead of six per socket.

The rule is the one Django's `auth.get_user` applies, read in bulk: the session must
exist and be unexpired, name an allowed backend, a member that backend admits (active),
and carry the member's current session hash. A session signed with a fallback secret
takes the ordinary path, which rotates it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Hashable
from importlib import import_module

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.crypto import constant_time_compare

# At most this many connects per database trip (keeps each trip's IN lists modest).
BATCH_MAX = 200
DB_SESSIONS = "django.contrib.sessions.backends.db"


class Batcher[Key: Hashable, Value]:
    """Resolve requests together: `resolve(list of requests)` returns one answer each.

    It runs on Channels' database thread. While one batch is out, new requests wait
    and go together in the next one; a request whose socket went away is dropped
    from its batch's answers, not from the batch.
    """

    def __init__(self, resolve: Callable[[list[Key]], list[Value]]) -> None:
        self.resolve = resolve
        self._resolve = database_sync_to_async(resolve)
        self.waiting: list[tuple[Key, asyncio.Future]] = []
        self.running: asyncio.Task | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, request: Key) -> Value:
        loop = asyncio.get_running_loop()
        if self.loop is not loop:  # a new event loop (tests make one per test): start afresh
            self.loop, self.waiting, self.running = loop, [], None
        future = loop.create_future()
        self.waiting.append((request, future))
        if self.running is None:
            self.running = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting[:BATCH_MAX], self.waiting[BATCH_MAX:]
                try:
                    answers = await self._resolve([request for request, _future in batch])
                except Exception as error:
                    for _request, future in batch:
                        if not future.done():
                            future.set_exception(error)
                else:
                    for (_request, future), answer in zip(batch, answers, strict=True):
                        if not future.done():
                            future.set_result(answer)
        finally:
            self.running = None


def members_for_sessions(keys: list[str | None]) -> list:
    """Return the signed-in, active member of each session key (or None), in bulk.

    Three queries at most for any number of keys: sessions, members, and nothing else
    unless a session needs the ordinary path (another session engine or backend, or a
    hash signed with a fallback secret).
    """
    wanted = {key for key in keys if key}
    found = _members_by_session(wanted) if wanted else {}
    return [found.get(key) if key else None for key in keys]


def _members_by_session(keys: set[str]) -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.models import Session

    if settings.SESSION_ENGINE != DB_SESSIONS:
        return {key: member_for_session_key(key) for key in keys}
    store = import_module(DB_SESSIONS).SessionStore()
    rows = Session.objects.filter(session_key__in=keys, expire_date__gt=timezone.now())
    sessions = {
        key: store.decode(data) for key, data in rows.values_list("session_key", "session_data")
    }
    model = get_user_model()
    claimed: dict[str, object] = {}
    slow: set[str] = set()
    for key, data in sessions.items():
        backend_path = data.get(BACKEND_SESSION_KEY)
        if SESSION_KEY not in data or backend_path not in settings.AUTHENTICATION_BACKENDS:
            continue
        if not _plain_model_backend(backend_path):
            slow.add(key)
            continue
        # A malformed id is not signed in, as Django's auth decides.
        with contextlib.suppress(ValidationError):
            claimed[key] = model._meta.pk.to_python(data[SESSION_KEY])
    members = model._default_manager.in_bulk(set(claimed.values())) if claimed else {}
    found: dict[str, object] = {}
    for key, member_id in claimed.items():
        member = members.get(member_id)
        if member is None or not ModelBackend().user_can_authenticate(member):
            continue
        session_hash = sessions[key].get(HASH_SESSION_KEY)
        if session_hash and constant_time_compare(session_hash, member.get_session_auth_hash()):
            found[key] = member
        elif session_hash and settings.SECRET_KEY_FALLBACKS:
            slow.add(key)  # maybe signed with a fallback secret: the ordinary path rotates it
    for key in slow:
        found[key] = member_for_session_key(key)
    return {key: member for key, member in found.items() if member is not None}


def _plain_model_backend(path: str) -> bool:
    """Whether `path` resolves members exactly as ModelBackend does (by pk, active only)."""
    backend = load_backend(path)
    return isinstance(backend, ModelBackend) and type(backend).get_user is ModelBackend.get_user


def member_for_session_key(session_key: str | None):
    """Return the signed-in, active member of one session, through Django's own auth."""
    from types import SimpleNamespace

    from django.contrib import auth

    if not session_key:
        return None
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    member = auth.get_user(SimpleNamespace(session=store))
    return member if member.is_authenticated else None


# Every socket kind resolves its member through this one batcher.
member_for_session: Batcher[str | None, object] = Batcher(members_for_sessions)
