"""/ws/groups/<slug>/: live events of one working group. Thin: check, validate, delegate."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.http.cookie import parse_cookie
from django.utils.translation import gettext as _

from forum import events, visibility
from forum.consumers import admission
from forum.consumers.hub import hub
from forum.consumers.wire import SlowSocket, Wire
from forum.models import EventStream, Membership, WorkingGroup
from forum.models.groups import MODERATING_ROLES

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 64 * 1024
# At most one typing notice per socket in this many seconds; extras are dropped quietly.
TYPING_INTERVAL = 3.0
# Token bucket per socket: a burst of 20 frames, refilled at 10 per second.
RATE_BURST, RATE_PER_SECOND = 20, 10.0

# Live events wait until the client says where it is (its first resume), so none can
# overtake the replay; a client that never resumes starts from hello's seq after this.
RESUME_WAIT_SECONDS = 3.0

CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NOT_ALLOWED = 4403
CLOSE_NOT_FOUND = 4404
# The client fell behind (its unsent frames passed wire.MAX_BACKLOG_BYTES): reconnect
# and resume, like after any network trouble.
CLOSE_TOO_SLOW = 4408
CLOSE_TOO_MANY_SOCKETS = 4429

# Open sockets per member in this process, group, meeting and inbox sockets alike;
# FORUM_SOCKETS_PER_MEMBER caps them.
_open_sockets: Counter[int] = Counter()


class ClientError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(slots=True)
class Opened:
    """What a socket keeps after connecting: small, and no model instances."""

    member_id: int
    group_id: int
    reader: visibility.Reader
    profile: dict
    hello_seq: int


def open_socket(session_key: str | None, slug: str) -> Opened | int:
    """Resolve the member, check the group and read its log position.

    Return what the socket needs, or the close code that refuses it.
    """
    return open_sockets([(session_key, slug)])[0]


def open_sockets(requests: list[tuple[str | None, str]]) -> list[Opened | int]:
    """`open_socket` for many connects at once, in five queries whatever their number:
    sessions, members, groups, memberships and log positions."""
    members = admission.members_for_sessions([key for key, _slug in requests])
    slugs = {slug for (_key, slug), member in zip(requests, members, strict=True) if member}
    groups = {group.slug: group for group in WorkingGroup.objects.filter(slug__in=slugs)}
    member_ids = {member.pk for member in members if member is not None}
    roles = dict(
        (
            ((member_id, group_id), role)
            for member_id, group_id, role in (
                Membership.objects.filter(
                    member_id__in=member_ids, group_id__in=[g.pk for g in groups.values()]
                ).values_list("member_id", "group_id", "role")
            )
        )
        if groups
        else ()
    )
    streams = [events.group_stream(group.pk) for group in groups.values()]
    positions = dict(
        EventStream.objects.filter(key__in=streams).values_list("key", "last_seq")
        if streams
        else ()
    )
    answers: list[Opened | int] = []
    for (_key, slug), member in zip(requests, members, strict=True):
        group = groups.get(slug)
        role = roles.get((member.pk, group.pk)) if member and group else None
        if member is None:
            answers.append(CLOSE_NOT_SIGNED_IN)
        elif group is None:
            answers.append(CLOSE_NOT_FOUND)
        elif not (member.is_staff or role):
            answers.append(CLOSE_NOT_ALLOWED)
        else:
            answers.append(
                Opened(
                    member_id=member.pk,
                    group_id=group.pk,
                    reader=visibility.Reader(
                        member_id=member.pk,
                        country=member.country.code,
                        staff=member.is_staff,
                        moderator=member.is_staff or role in MODERATING_ROLES,
                    ),
                    profile={
                        "id": member.pk,
                        "name": member.display_name,
                        "handle": member.handle,
                        "country": member.country.code,
                    },
                    hello_seq=positions.get(events.group_stream(group.pk), 0),
                )
            )
    return answers


def _admit(member, slug: str) -> WorkingGroup | int:
    """Return the group `member` may follow, or the close code that refuses them."""
    if member is None:
        return CLOSE_NOT_SIGNED_IN
    group = WorkingGroup.objects.filter(slug=slug).first()
    if group is None:
        return CLOSE_NOT_FOUND
    if not (member.is_staff or visibility.role_in(member, group)):
        return CLOSE_NOT_ALLOWED
    return group


# Connects that arrive together are admitted together, on Channels' database thread
# (Django's connections follow the async context, so a thread pool would share one
# connection between concurrent connects): see forum/consumers/admission.py.
_open = admission.Batcher(open_sockets)
member_for_session = admission.member_for_session
_member_for = admission.member_for_session_key


def session_key(scope: dict) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            return parse_cookie(value.decode("latin1")).get(settings.SESSION_COOKIE_NAME)
    return None


@database_sync_to_async
def _reopen(member_id: int, slug: str) -> visibility.Reader | int:
    """Check again, from the database, that a connected member may still follow `slug`."""
    from django.contrib.auth import get_user_model

    member = get_user_model().objects.filter(pk=member_id, is_active=True).first()
    group = _admit(member, slug)
    return group if isinstance(group, int) else visibility.reader_for(member, group)


@database_sync_to_async
def _replay(stream_key: str, after: int, reader: visibility.Reader) -> list[tuple[int, str]]:
    return [
        (event.seq, events.encode(event.type, event.seq, event.payload))
        for event in events.events_after(stream_key, after)
        if visibility.may_receive(event.audience, reader)
    ]


@database_sync_to_async
def _typing_audience(member_id: int, group_id: int, thread_id: int) -> dict | None:
    """Return the audience of a thread the member may see in the group, else None."""
    from django.contrib.auth import get_user_model

    member = get_user_model().objects.filter(pk=member_id).first()
    group = WorkingGroup.objects.filter(pk=group_id).first()
    if member is None or group is None:
        return None
    thread = visibility.visible_threads(member, group).filter(pk=thread_id).first()
    if thread is None:
        return None
    # A thread still waiting for review is announced only to whom may see it.
    status, author_id = thread.posts.filter(parent__isnull=True).values_list("status", "author_id")[
        0
    ]
    return visibility.thread_audience(thread, status=status, author_id=author_id)


@database_sync_to_async
def _last_seq(stream_key: str) -> int:
    from forum.models import EventStream

    return (
        EventStream.objects.filter(key=stream_key).values_list("last_seq", flat=True).first() or 0
    )


class GroupConsumer(AsyncWebsocketConsumer):
    # The hub is this process's only channel-layer reader; a channel per socket would
    # cost a subscription (Redis) or a queue scan (in-memory) each and is never read.
    channel_layer_alias = "no-channel-per-socket"

    async def connect(self) -> None:
        await self.accept()  # accept first, so refusals can carry a close code
        opened = await _open((session_key(self.scope), self.scope["url_route"]["kwargs"]["slug"]))
        if isinstance(opened, int):
            await self.close(code=opened)
            return
        self.slug = self.scope["url_route"]["kwargs"]["slug"]
        self.member_id, self.group_id = opened.member_id, opened.group_id
        self.reader, self.profile = opened.reader, opened.profile
        await self._begin(
            events.group_stream(self.group_id), {"type": "hello", "seq": opened.hello_seq}
        )

    async def _begin(self, stream_key: str, hello: dict) -> None:
        """Send hello, follow `stream_key` through the hub, and wait for the first resume.

        Every socket kind (group, meeting room, inbox) starts this way once it knows
        its member and reader. Over the member's socket cap, it closes instead.
        """
        # Checked and counted without an await between: two connects cannot both pass.
        if _open_sockets[self.member_id] >= settings.FORUM_SOCKETS_PER_MEMBER:
            await self.close(code=CLOSE_TOO_MANY_SOCKETS)
            return
        _open_sockets[self.member_id] += 1
        self.counted = True
        # Keep only what delivery needs. The handshake's headers (cookies, user agent)
        # are not read again, yet the server's protocol and every middleware's copy
        # of the scope hold the same list: empty it for all of them.
        headers = self.scope.get("headers")
        if isinstance(headers, list):
            headers.clear()
        self.scope = {"type": "websocket", "url_route": self.scope.get("url_route", {})}
        self.wire = Wire(self.base_send)
        self.typing_at = 0.0
        self.typing_audiences: dict[int, dict | None] = {}
        self.stream_key = stream_key
        self.last_seq = 0
        self.resuming = True  # hold live events until the client's first resume
        # One resume at a time: the timer's and the client's must not interleave.
        self.resume_lock = asyncio.Lock()
        self.held: list[tuple[int, str]] = []
        self.tokens, self.refilled = float(RATE_BURST), time.monotonic()
        # hello first: anything logged after its seq is live or comes with a resume.
        await self.send_json(hello)
        await hub().join(self.stream_key, self)
        self.joined = True
        self.first_resume = asyncio.get_running_loop().create_task(self._resume_later(hello["seq"]))

    async def _resume_later(self, hello_seq: int) -> None:
        await asyncio.sleep(RESUME_WAIT_SECONDS)
        await self._resume({"after": hello_seq})

    async def disconnect(self, code: int) -> None:
        if getattr(self, "counted", False):
            self.counted = False
            _open_sockets[self.member_id] -= 1
            if _open_sockets[self.member_id] <= 0:
                del _open_sockets[self.member_id]
        if getattr(self, "first_resume", None) is not None:
            self.first_resume.cancel()
        if getattr(self, "joined", False):
            await hub().leave(self.stream_key, self)
            self.joined = False

    async def send_json(self, content: dict) -> None:
        await self.send_text(json.dumps(content, separators=(",", ":")))

    async def send_text(self, text: str) -> None:
        """Send one frame; every frame after accept goes this way, so they stay in order."""
        try:
            self.wire.write_now(text)
        except SlowSocket:
            await self.fail()

    # --- from the hub ----------------------------------------------------------------

    async def deliver(self, seq: int, frame: str) -> None:
        if self._due(seq, frame):
            await self.send_text(frame)

    def deliver_now(self, seq: int, frame: str) -> bool:
        """Deliver without awaiting (the wire sends or queues); raise SlowSocket if the
        client is too far behind. Return True: the frame was taken."""
        if self._due(seq, frame):
            self.wire.write_now(frame)
        return True

    async def fail(self) -> None:
        """Close a socket the hub gave up on; its client reconnects and resumes."""
        # `joined` stays: disconnect() still leaves the hub (leaving twice is harmless).
        self.wire.stop()
        await self.base_send({"type": "websocket.close", "code": CLOSE_TOO_SLOW})

    def _due(self, seq: int, frame: str) -> bool:
        """Return whether to send `seq` now: held until the first resume, once only."""
        if self.resuming:
            self.held.append((seq, frame))
            return False
        if seq <= self.last_seq:
            return False  # already sent by a replay
        self.last_seq = seq
        return True

    async def resync(self, seq: int) -> None:
        """The log no longer holds what this socket missed: tell the client to reload."""
        self.last_seq = seq
        await self.send_json({"type": "resync", "seq": seq})

    async def push(self, frame: str) -> None:
        """Send an ephemeral frame (presence, typing): no seq, not replayed."""
        self.wire.write_now(frame)

    async def control(self, message: dict) -> None:
        if message["action"] == "close" and message.get("group") in (None, self.group_id):
            await hub().leave(self.stream_key, self)
            self.joined = False
            await self.close(code=message.get("code", CLOSE_NOT_ALLOWED))
        elif message["action"] == "reader" and message.get("group") == self.group_id:
            self.reader = visibility.Reader(**message["reader"])
        elif message["action"] == "recheck":
            reader = await self._recheck()
            if isinstance(reader, int):
                await self.control({"action": "close", "code": reader})
            else:
                self.reader = reader

    async def _recheck(self) -> visibility.Reader | int:
        """Return the member's Reader now, or the close code if they may no longer follow."""
        return await _reopen(self.member_id, self.slug)

    # --- from the client -------------------------------------------------------------

    def frame_handlers(self) -> dict:
        """Return the handler of each frame type this socket takes."""
        return {"resume": self._resume, "ping": self._ping, "typing": self._typing}

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        frame: dict = {}
        try:
            frame = self._parse(text_data, bytes_data)
            handler = self.frame_handlers().get(frame["type"])
            if handler is None:
                raise ClientError("unknown_type", _("Unknown frame type."))
            await handler(frame)
        except ClientError as error:
            reply = {"type": "error", "code": error.code, "message": error.message}
            if isinstance(getattr(error, "client_id", None), str):
                reply["client_id"] = error.client_id
            await self.send_json(reply)
        except Exception:
            # A fault of ours must not cost the member the socket: answer, keep it open.
            logger.exception("A %s frame failed", type(self).__name__)
            reply = {
                "type": "error",
                "code": "server_error",
                "message": _("Something went wrong on the server. Please try again."),
            }
            if isinstance(frame.get("client_id"), str):
                reply["client_id"] = frame["client_id"]
            await self.send_json(reply)

    def _parse(self, text_data: str | None, bytes_data: bytes | None) -> dict:
        now = time.monotonic()
        self.tokens = min(RATE_BURST, self.tokens + (now - self.refilled) * RATE_PER_SECOND)
        self.refilled = now
        if self.tokens < 1:
            raise ClientError("rate_limited", _("Too many frames; slow down."))
        self.tokens -= 1
        raw = text_data if text_data is not None else (bytes_data or b"").decode("utf-8", "replace")
        if len(raw.encode("utf-8")) > MAX_FRAME_BYTES:
            raise ClientError("frame_too_large", _("Frames are limited to 64 KB."))
        try:
            frame = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nested too deep to parse
            raise ClientError("bad_json", _("Frames must be JSON objects.")) from None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            raise ClientError("bad_frame", _("Frames must be JSON objects with a type."))
        return frame

    async def _ping(self, frame: dict) -> None:
        await self.send_json({"type": "pong"})

    async def _typing(self, frame: dict) -> None:
        thread_id = frame.get("thread")
        if not isinstance(thread_id, int) or isinstance(thread_id, bool):
            raise ClientError("bad_frame", _("typing needs an integer 'thread'."))
        now = time.monotonic()
        if now - self.typing_at < TYPING_INTERVAL:
            return
        if thread_id not in self.typing_audiences:
            if len(self.typing_audiences) > 100:
                self.typing_audiences.clear()
            self.typing_audiences[thread_id] = await _typing_audience(
                self.member_id, self.group_id, thread_id
            )
        audience = self.typing_audiences[thread_id]
        if audience is None:
            raise ClientError("not_found", _("No such thread."))
        self.typing_at = now
        await hub().typing(self.stream_key, self, thread_id, audience)

    async def _resume(self, frame: dict) -> None:
        after = frame.get("after")
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise ClientError("bad_frame", _("resume needs a non-negative integer 'after'."))
        async with self.resume_lock:
            await self._resume_locked(after)

    async def _resume_locked(self, after: int) -> None:
        if self.first_resume is not None and self.first_resume is not asyncio.current_task():
            self.first_resume.cancel()
        self.first_resume = None
        # Frames held so far are in the log (published only after commit): the replay
        # covers them, and the dedupe below drops the copies.
        self.resuming = True
        try:
            dispatched = hub().seen.get(self.stream_key)
            try:
                ahead = dispatched is None or after > dispatched
                if ahead and after > await _last_seq(self.stream_key):
                    # Past the stream's end (a position from elsewhere, a client's bug):
                    # taken as is, it would drop every live event up to it without a word.
                    raise events.ResyncNeeded
                if dispatched is not None and after >= dispatched:
                    # Nothing this process has sent is newer than what the client has;
                    # anything newer reaches it live (or by the hub's repair from the log),
                    # so the usual resume right after hello costs no database trip.
                    missed = []
                else:
                    missed = await _replay(self.stream_key, after, self.reader)
            except events.ResyncNeeded:
                self.last_seq = await _last_seq(self.stream_key)
                await self.send_json({"type": "resync", "seq": self.last_seq})
                missed = []
            else:
                self.last_seq = max(self.last_seq, after)
            for seq, text in missed:
                if seq > self.last_seq:
                    self.last_seq = seq
                    await self.send_text(text)
        finally:
            self.resuming = False
        held, self.held = self.held, []
        for seq, text in sorted(held):
            await self.deliver(seq, text)
