"""Event names, payloads, the durable event log, and publishing after commit.

The only module that talks to the channel layer. Actions call `record()` inside
their transaction; the event is published when (and only if) it commits.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from forum.models import Event, EventStream

logger = logging.getLogger(__name__)

THREAD_CREATED = "thread.created"
THREAD_UPDATED = "thread.updated"
THREAD_MOVED = "thread.moved"
POST_CREATED = "post.created"
POST_EDITED = "post.edited"
POST_REMOVED = "post.removed"
POST_RESTORED = "post.restored"
POST_PENDING = "post.pending"
POST_APPROVED = "post.approved"
POST_REJECTED = "post.rejected"
POST_REACTIONS = "post.reactions"

# How many missed events a resume may replay before the client is told to reload.
REPLAY_LIMIT = 500


def group_stream(group_id: int) -> str:
    return f"group:{group_id}"


def layer_group(stream_key: str) -> str:
    """Return the channel-layer group name for a stream (names allow [a-zA-Z0-9._-])."""
    return "stream." + stream_key.replace(":", ".")


# Control messages (logout, removal, role change) for any member's sockets go to every
# process, which acts on the sockets it holds: they are rare, and one group per
# process costs far less than one per connected member (a subscription each in
# Redis, and a group the in-memory layer scans on every receive).
CONTROL_GROUP = "members.control"


def encode(type_: str, seq: int, data: dict[str, Any]) -> str:
    """Encode a server event frame once; every recipient gets the same text."""
    return json.dumps({"type": type_, "seq": seq, "data": data}, separators=(",", ":"))


def next_seq(stream_keys: list[str]) -> dict[str, tuple[int, int]]:
    """Advance each stream's sequence by one: return {key: (stream id, new seq)}.

    One statement, which creates a missing stream and holds its row lock until the
    caller's transaction ends, so callers run it as late in their transaction as they
    can. Keys are taken in sorted order, so two callers never lock in opposite orders.
    """
    keys = sorted(set(stream_keys))
    if not keys:
        return {}
    table = connection.ops.quote_name(EventStream._meta.db_table)
    key, last_seq = connection.ops.quote_name("key"), connection.ops.quote_name("last_seq")
    rows = ", ".join(["(%s, 1)"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key}, {last_seq}) VALUES {rows} "  # noqa: S608 - our names
            f"ON CONFLICT ({key}) DO UPDATE SET {last_seq} = {table}.{last_seq} + 1 "
            f"RETURNING id, {key}, {last_seq}",
            keys,
        )
        return {stream_key: (pk, seq) for pk, stream_key, seq in cursor.fetchall()}


def _logged(audience) -> dict:
    """The JSON form of an audience (a visibility.Scope, or already its logged form)."""
    return audience.as_json() if hasattr(audience, "as_json") else audience


def record(
    *,
    stream_key: str,
    type_: str,
    payload: dict[str, Any],
    audience: Any,
    post_id: int | None = None,
    thread_id: int | None = None,
    notify_pending: bool = False,
) -> Event:
    """Append an event to `stream_key` inside the caller's transaction; publish on commit."""
    stream_id, seq = next_seq([stream_key])[stream_key]
    event = Event.objects.create(
        stream_id=stream_id,
        seq=seq,
        type=type_,
        payload=payload,
        audience=_logged(audience),
        post_id=post_id,
        thread_id=thread_id,
        notify_pending=notify_pending,
    )
    transaction.on_commit(lambda: publish(stream_key, event))
    return event


def record_many(entries: list[tuple[str, str, dict[str, Any], Any]]) -> list[Event]:
    """Append one event to each of many distinct streams: a constant number of queries.

    `entries` are (stream key, type, payload, audience); each is published on commit.
    """
    seqs = next_seq([key for key, *_rest in entries])
    if len(seqs) != len(entries):
        raise ValueError("record_many takes one event per stream")
    logged = Event.objects.bulk_create(
        [
            Event(
                stream_id=seqs[key][0],
                seq=seqs[key][1],
                type=type_,
                payload=payload,
                audience=_logged(audience),
            )
            for key, type_, payload, audience in entries
        ]
    )
    keyed = [(key, event) for (key, *_rest), event in zip(entries, logged, strict=True)]
    transaction.on_commit(lambda: publish_many(keyed))
    return logged


def publish_many(keyed: list[tuple[str, Event]]) -> None:
    """Publish many committed events in one trip to the channel layer's event loop
    (one connection for all of them, not one per event); never raise."""
    layer = get_channel_layer()
    if layer is None or not keyed:
        return

    async def send_all() -> None:
        for key, event in keyed:
            try:
                await layer.group_send(layer_group(key), _message(key, event))
            except Exception:
                logger.warning("Could not publish to %s; clients will catch up", key)

    try:
        async_to_sync(send_all)()
    except Exception:
        logger.warning("Could not publish %d events; clients will catch up", len(keyed))


def publish(stream_key: str, event: Event) -> None:
    """Send a committed event to every process serving the stream; never raise.

    A failed broadcast loses nothing: the event is in the log, and clients
    catch up with a resume.
    """
    _send_group(layer_group(stream_key), _message(stream_key, event))


def _message(stream_key: str, event: Event) -> dict[str, Any]:
    return {
        "type": "stream.event",
        "key": stream_key,
        "seq": event.seq,
        "frame": encode(event.type, event.seq, event.payload),
        "audience": event.audience,
    }


def send_control(member_id: int, action: str, **fields: Any) -> None:
    """Tell every process to act on one member's sockets (close them, refresh their role)."""
    _send_group(
        CONTROL_GROUP,
        {"type": "member.control", "member_id": member_id, "action": action, **fields},
    )


def membership_changed(sender, instance, **kwargs) -> None:
    """Signal receiver: any change to a membership (admin included) rechecks live sockets."""
    member_id = instance.member_id
    transaction.on_commit(lambda: send_control(member_id, "recheck"))


def member_changed(sender, instance, update_fields=None, **kwargs) -> None:
    """Signal receiver: country, staff or active changed? Sockets recheck what they may see."""
    if update_fields is not None and set(update_fields) <= {"last_login", "thread_view"}:
        return
    member_id = instance.pk
    transaction.on_commit(lambda: send_control(member_id, "recheck"))


def close_sockets_on_logout(sender, request, user, **kwargs) -> None:
    """Signal receiver: a member who signs out stops receiving on every open socket."""
    if user is not None:
        send_control(user.pk, "close", code=4401)


def _send_group(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.warning(
            "Could not publish to %s; clients will catch up on resume", group, exc_info=True
        )


def redact_post(post_id: int, html: str) -> None:
    """Rewrite every logged copy of a post's text to `html` (empty once removed).

    Call it in the transaction that edits or removes the post: a later replay then
    carries only what readers may see now, never a removed or earlier text.
    """
    for event in Event.objects.filter(post_id=post_id):
        body = event.payload.get("post", event.payload)
        if "html" in body:
            body["html"] = html
            event.save(update_fields=["payload"])


def forget_thread(stream_key: str, thread_id: int) -> int:
    """Rewrite what `stream_key`'s log says about a thread to "it moved away".

    Call it in the transaction that moves the thread: a replay of the old group then
    carries the thread's id only, never its title or text, and later edits (which
    rewrite logged copies of a post) no longer reach the old group's log.
    """
    # post_id stays: the rewritten payload has no text for a later edit to rewrite, and
    # a post event whose notifications are still to be derived keeps its post.
    return Event.objects.filter(stream__key=stream_key, thread_id=thread_id).update(
        type=THREAD_MOVED, payload={"id": thread_id}
    )


class ResyncNeeded(Exception):
    """The client's position is older than the retained log."""


def events_after(stream_key: str, after: int) -> Iterable[Event]:
    """Return the logged events after `after`, in order, or raise ResyncNeeded."""
    stream = EventStream.objects.filter(key=stream_key).first()
    if stream is None or after >= stream.last_seq:
        return []
    if stream.last_seq - after > REPLAY_LIMIT:
        raise ResyncNeeded
    events = list(Event.objects.filter(stream=stream, seq__gt=after).order_by("seq"))
    if not events or events[0].seq != after + 1:
        raise ResyncNeeded  # the events right after `after` were pruned
    return events


def prune(*, older_than: timedelta | None = None) -> int:
    """Delete events older than the retention period; return how many."""
    if older_than is None:
        older_than = timedelta(days=settings.EVENT_RETENTION_DAYS)
    deleted, _detail = Event.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


# --- payloads: enough to show the change without another request -------------------


def _member(member) -> dict[str, Any]:
    return {
        "id": member.pk,
        "name": member.display_name,
        "handle": member.handle,
        "country": member.country.code,
    }


def post_payload(post) -> dict[str, Any]:
    return {
        "id": post.pk,
        "thread": post.thread_id,
        "parent": post.parent_id,
        "number": post.number,
        "depth": post.depth,
        "path": post.path,
        "status": post.status,
        "author": _member(post.author),
        "html": post.body_html,
        "created_at": post.created_at.isoformat(),
        "edited_at": post.edited_at.isoformat() if post.edited_at else None,
    }


def thread_payload(thread) -> dict[str, Any]:
    return {
        "id": thread.pk,
        "group": thread.group.slug,
        "title": thread.title,
        "url": thread.get_absolute_url(),
        "author": _member(thread.author),
        "audience": thread.audience,
        "pinned": thread.pinned,
        "locked": thread.locked,
        "slow_mode_seconds": thread.slow_mode_seconds,
        "reply_count": thread.reply_count,
        "last_activity_at": thread.last_activity_at.isoformat(),
    }


def last_seq(stream_key: str) -> int:
    """Return the stream's latest sequence number (0 before its first event)."""
    return (
        EventStream.objects.filter(key=stream_key).values_list("last_seq", flat=True).first() or 0
    )


def with_group_seq(queryset):
    """Annotate threads with their group's latest seq (`stream_seq`), in the same query."""
    from django.db.models import CharField, OuterRef, Subquery, Value
    from django.db.models.functions import Cast, Concat

    key = Concat(Value("group:"), Cast(OuterRef("group_id"), output_field=CharField()))
    seq = EventStream.objects.filter(key=key).values("last_seq")[:1]
    return queryset.annotate(stream_seq=Subquery(seq))


# --- meetings: the room of each meeting is its own stream ----------------------------

MEETING_STARTED = "meeting.started"
MEETING_ENDED = "meeting.ended"
MEETING_CHAT = "meeting.chat"
CHAT_MESSAGE = "chat.message"
CHAT_REMOVED = "chat.removed"
CHAT_MUTED = "chat.muted"
CHAT_REACTIONS = "chat.reactions"


def meeting_stream(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


def chat_payload(message, *, with_files: bool = False) -> dict[str, Any]:
    payload = {
        "id": message.pk,
        "client_id": message.client_id,
        "author": _member(message.author),
        "html": message.html,
        "created_at": message.created_at.isoformat(),
    }
    if with_files:
        payload["files"] = True  # the page fetches the rendered message, files and all
    return payload


def meeting_state_payload(meeting, now=None) -> dict[str, Any]:
    now = now or timezone.now()
    return {
        "id": meeting.pk,
        "state": meeting.state_at(now),
        "chat_open": meeting.chat_open_at(now),
        "slow_mode": meeting.slow_mode_seconds,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
    }
