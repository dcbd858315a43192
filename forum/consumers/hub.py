"""Per-process fan-out: one channel-layer subscription per stream, not per socket.

Each process joins a stream's channel-layer group once, receives each event
once (already encoded), and writes the same frame to every local socket whose
reader may see it. Delivery never touches the database.

Events reach each process in order and without gaps: the hub remembers the
last seq it dispatched per stream; a live event that skips ahead (a message lost
while Redis was down, or two commits published out of order) first pulls the
missing ones from the event log, and a periodic check catches a lost tail.
Only that repair path reads the database.

Presence travels the same way: a process announces when a member's first local
socket on a stream opens or their last one closes, and answers a newcomer's
request for a snapshot, so every process knows who is online across processes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter, defaultdict
from typing import Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from forum import events, visibility

logger = logging.getLogger(__name__)

# How often the hub compares each stream with the log (one query for all of them), and
# how old a missing event must be before it counts as lost rather than still in flight.
# Without Redis, this is also how events written by another process (the task worker's
# notifications) reach this process's sockets: within about two seconds.
RECONCILE_SECONDS = 1.0
IN_FLIGHT_SECONDS = 1.0
# Presence changes are gathered and sent as one delta per stream at most this often,
# so a thousand members connecting at once cost a few frames each, not a thousand.
PRESENCE_COALESCE_SECONDS = 1.0
# Presence names at most this many members; past it, frames carry the count only, so a
# socket's presence costs a bounded number of bytes however many are online (and N
# members connecting at once cost O(N) bytes in all, not O(N²)).
PRESENCE_LIST_MAX = 50
# Past PRESENCE_LIST_MAX only the count changes, and it goes to every socket on the
# stream: during a reconnect storm, at most this often (the last count always arrives).
PRESENCE_COUNT_SECONDS = 5.0
# Each process tells the others who is online here this often, so a process that joins
# late or missed a message catches up; what a process has not said for
# PRESENCE_EXPIRY_SECONDS (it died, or lost its channel layer) is taken as gone.
PRESENCE_HEARTBEAT_SECONDS = 30.0
PRESENCE_EXPIRY_SECONDS = 3 * PRESENCE_HEARTBEAT_SECONDS
# Channel layers forget group members after a day (`group_expiry`): renew well before.
RENEW_GROUPS_SECONDS = 3600.0


@database_sync_to_async
def _log_position(stream_key: str) -> int:
    return events.last_seq(stream_key)


@database_sync_to_async
def _log_positions(stream_keys: list[str]) -> dict[str, int]:
    """Return the latest seq of each stream: one query, however many streams."""
    from forum.models import EventStream

    return dict(EventStream.objects.filter(key__in=stream_keys).values_list("key", "last_seq"))


@database_sync_to_async
def _missed(stream_key: str, after: int, upto: int | None, settled: bool):
    """Return (seq, frame, audience) of logged events after `after` (up to `upto`)."""
    from datetime import timedelta

    from django.utils import timezone

    found = []
    for event in events.events_after(stream_key, after):
        if upto is not None and event.seq >= upto:
            break
        if settled and event.created_at > timezone.now() - timedelta(seconds=IN_FLIGHT_SECONDS):
            break
        found.append(
            (event.seq, events.encode(event.type, event.seq, event.payload), event.audience)
        )
    return found


class Subscriber(Protocol):
    reader: visibility.Reader
    profile: dict

    async def deliver(self, seq: int, frame: str) -> None: ...

    def deliver_now(self, seq: int, frame: str) -> bool: ...

    async def push(self, frame: str) -> None: ...

    async def control(self, message: dict) -> None: ...

    async def resync(self, seq: int) -> None: ...

    async def fail(self) -> None:
        """Close the socket after a failed delivery, with a code that makes it resume."""
        ...


class Hub:
    """The process's single reader of the channel layer for live streams."""

    def __init__(self) -> None:
        self.streams: dict[str, set[Subscriber]] = defaultdict(set)
        self.members: dict[int, set[Subscriber]] = defaultdict(set)
        # Who is online per stream: here (socket counts) and in other processes.
        self.local: dict[str, Counter[int]] = defaultdict(Counter)
        self.remote: dict[str, dict[str, dict[int, dict]]] = defaultdict(dict)
        # Per stream and member, in how many places (here, each other process) they are
        # online: its length is the count a newcomer gets, without a pass over everyone.
        self.present: dict[str, Counter[int]] = defaultdict(Counter)
        # When each other process last said who is online there, per stream (loop time).
        self.heard: dict[str, dict[str, float]] = defaultdict(dict)
        self.profiles: dict[int, dict] = {}
        self.seen: dict[str, int] = {}
        self.announced: dict[str, set[int]] = {}
        # When each stream's subscribers were last sent a count-only frame (loop time).
        self.count_sent: dict[str, float] = {}
        # Local members who came or went since the last flush, still to tell other processes.
        self.outgoing: dict[str, dict[int, bool]] = defaultdict(dict)
        self.presence_flush: dict[str, asyncio.Task] = {}
        self.channel: str | None = None
        self.task: asyncio.Task | None = None
        self.reconciler: asyncio.Task | None = None
        self.lock = asyncio.Lock()
        self.order = asyncio.Lock()
        # Streams whose channel-layer subscription failed (Redis away): the reconcile
        # retries them, and meanwhile serves them from the log.
        self.unsubscribed: set[str] = set()

    @staticmethod
    async def _quietly(call) -> bool:
        """Await a channel-layer call; if the layer is away, log it and carry on.

        Sockets keep working without it: the reconcile reads what they miss from the log.
        """
        try:
            await call
        except Exception:
            logger.warning("The channel layer is not answering; serving from the log for now")
            return False
        return True

    async def _subscribe(self, stream_key: str) -> None:
        """Subscribe this process to a stream (or to the control group)."""
        if self.channel is None:
            self.unsubscribed.add(stream_key)
            return
        layer = get_channel_layer()
        group = stream_key if stream_key == events.CONTROL_GROUP else events.layer_group(stream_key)
        if await self._quietly(layer.group_add(group, self.channel)):
            self.unsubscribed.discard(stream_key)
        else:
            self.unsubscribed.add(stream_key)

    async def _ensure_running(self) -> None:
        loop = asyncio.get_running_loop()
        if self.reconciler is None or self.reconciler.done():
            self.reconciler = loop.create_task(self._reconcile_forever())
            await self._connect_layer()

    async def _connect_layer(self) -> None:
        """Open this process's channel and its control subscription, once; if the layer
        is away (Redis down), sockets are served from the log and the reconcile retries."""
        if self.task is not None and not self.task.done():
            return
        layer = get_channel_layer()
        try:
            self.channel = await layer.new_channel("hub.")
        except Exception:
            logger.warning("The channel layer is not answering; serving from the log for now")
            self.channel = None
            return
        if not await self._quietly(layer.group_add(events.CONTROL_GROUP, self.channel)):
            self.unsubscribed.add(events.CONTROL_GROUP)
        self.task = asyncio.get_running_loop().create_task(self._run(layer))
        for key in self.streams:
            self.unsubscribed.add(key)  # joined while the layer was away

    async def join(self, stream_key: str, subscriber: Subscriber) -> None:
        """Follow `stream_key` for `subscriber`; on streams with presence, announce them
        and send them who is online."""
        if not has_presence(stream_key):
            await self._join_quietly(stream_key, subscriber)
            return
        async with self.lock:
            await self._ensure_running()
            layer = get_channel_layer()
            group = events.layer_group(stream_key)
            first_here = not self.streams[stream_key]
            if first_here:
                await self._subscribe(stream_key)
                self.seen[stream_key] = await _log_position(stream_key)
            self.streams[stream_key].add(subscriber)
            member_id = subscriber.reader.member_id
            self.members[member_id].add(subscriber)
            self.profiles[member_id] = subscriber.profile
            self.local[stream_key][member_id] += 1
            if first_here:
                await self._quietly(
                    layer.group_send(
                        group,
                        {"type": "presence.sync", "key": stream_key, "origin": self.channel},
                    )
                )
            if self.local[stream_key][member_id] == 1:
                self._outgoing(stream_key, member_id, online=True)
                self._arrived(stream_key, member_id)
            # Past PRESENCE_LIST_MAX a newcomer gets only the count: no pass over everyone
            # online (which, joined by joined, made a storm of N joins cost O(N^2)).
            count = len(self.present[stream_key])
            if first_here or count <= PRESENCE_LIST_MAX:
                online = self.online(stream_key)
                if first_here:
                    self.announced[stream_key] = {member["id"] for member in online}
                snapshot = self._presence_frame(self._snapshot(online))
            else:
                snapshot = self._presence_frame({"count": count})
        await subscriber.push(snapshot)
        self._presence_changed(stream_key)

    async def _join_quietly(self, stream_key: str, subscriber: Subscriber) -> None:
        """Join a stream without presence (a member's inbox): no announce, no snapshot."""
        async with self.lock:
            await self._ensure_running()
            if not self.streams[stream_key]:
                await self._subscribe(stream_key)
                self.seen[stream_key] = await _log_position(stream_key)
            self.streams[stream_key].add(subscriber)
            self.members[subscriber.reader.member_id].add(subscriber)

    async def leave(self, stream_key: str, subscriber: Subscriber) -> None:
        presence = has_presence(stream_key)
        async with self.lock:
            if subscriber not in self.streams.get(stream_key, ()):
                return
            layer = get_channel_layer()
            self.streams[stream_key].discard(subscriber)
            member_id = subscriber.reader.member_id
            if presence:
                self.local[stream_key][member_id] -= 1
                if self.local[stream_key][member_id] <= 0:
                    del self.local[stream_key][member_id]
                    self._outgoing(stream_key, member_id, online=False)
                    self._departed(stream_key, member_id)
            if not self.streams[stream_key]:
                del self.streams[stream_key]
                self.local.pop(stream_key, None)
                self.remote.pop(stream_key, None)
                self.present.pop(stream_key, None)
                self.heard.pop(stream_key, None)
                self.seen.pop(stream_key, None)
                self.announced.pop(stream_key, None)
                self.count_sent.pop(stream_key, None)
                if self.outgoing.get(stream_key):
                    # The last local socket left: tell the other processes now.
                    await self._quietly(self._send_outgoing(stream_key))
                self.unsubscribed.discard(stream_key)
                await self._quietly(
                    layer.group_discard(events.layer_group(stream_key), self.channel)
                )
            self.members[member_id].discard(subscriber)
            if not self.members[member_id]:
                del self.members[member_id]
        if presence:
            self._presence_changed(stream_key)

    async def typing(self, stream_key: str, subscriber: Subscriber, thread: int, audience):
        """Tell the stream's readers who may see `thread` that this member is typing in it."""
        await self._quietly(self._send_typing(stream_key, subscriber, thread, audience))

    async def _send_typing(self, stream_key: str, subscriber: Subscriber, thread: int, audience):
        await get_channel_layer().group_send(
            events.layer_group(stream_key),
            {
                "type": "stream.typing",
                "key": stream_key,
                "audience": visibility.Scope.from_json(audience).as_json(),
                "member_id": subscriber.reader.member_id,
                "frame": json.dumps(
                    {"type": "typing", "data": {"thread": thread, "member": subscriber.profile}},
                    separators=(",", ":"),
                ),
            },
        )

    def online(self, stream_key: str) -> list[dict]:
        """Everyone online on the stream, here and in other processes, by name."""
        return sorted(self._online(stream_key).values(), key=_by_name)

    def _online(self, stream_key: str) -> dict[int, dict]:
        members = {
            m: self.profiles[m] for m in self.local.get(stream_key, ()) if m in self.profiles
        }
        for process in self.remote.get(stream_key, {}).values():
            members.update(process)
        return members

    def _arrived(self, stream_key: str, member_id: int) -> None:
        """One more place (here, or another process) where `member_id` is online."""
        self.present[stream_key][member_id] += 1

    def _departed(self, stream_key: str, member_id: int) -> None:
        present = self.present[stream_key]
        present[member_id] -= 1
        if present[member_id] <= 0:
            del present[member_id]

    def _outgoing(self, stream_key: str, member_id: int, *, online: bool) -> None:
        """Remember a local arrival or departure; the next flush tells other processes."""
        pending = self.outgoing[stream_key]
        if pending.get(member_id) is (not online):
            del pending[member_id]  # came and went (or went and came back) within one flush
        else:
            pending[member_id] = online

    async def _send_outgoing(self, stream_key: str) -> None:
        """Tell the other processes, in one message, who came and went here."""
        changes = self.outgoing.pop(stream_key, {})
        if not changes:
            return
        await get_channel_layer().group_send(
            events.layer_group(stream_key),
            {
                "type": "presence.change",
                "key": stream_key,
                "origin": self.channel,
                "joined": [
                    self.profiles.get(m, {"id": m}) for m, online in changes.items() if online
                ],
                "left": [m for m, online in changes.items() if not online],
            },
        )

    @staticmethod
    def _snapshot(online: list[dict]) -> dict:
        """A newcomer's view: everyone online, or only how many past PRESENCE_LIST_MAX."""
        if len(online) > PRESENCE_LIST_MAX:
            return {"count": len(online)}
        return {"online": online, "count": len(online)}

    @staticmethod
    def _presence_frame(data: dict) -> str:
        return json.dumps({"type": "presence", "data": data}, separators=(",", ":"))

    def _presence_changed(self, stream_key: str, delay: float | None = None) -> None:
        """Send who joined and left since the last delta, once the burst has settled."""
        if stream_key not in self.streams or stream_key in self.presence_flush:
            return
        self.presence_flush[stream_key] = asyncio.get_running_loop().create_task(
            self._flush_presence(stream_key, PRESENCE_COALESCE_SECONDS if delay is None else delay)
        )

    async def _flush_presence(self, stream_key: str, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
        finally:
            self.presence_flush.pop(stream_key, None)
        try:
            await self._send_outgoing(stream_key)
        except Exception:
            logger.exception("Could not tell other processes who is online on %s", stream_key)
        if stream_key not in self.streams:
            return
        online = self._online(stream_key)
        before = self.announced.get(stream_key, set())
        if online.keys() == before:
            return
        now = asyncio.get_running_loop().time()
        if len(online) > PRESENCE_LIST_MAX and len(before) > PRESENCE_LIST_MAX:
            # Only the count changed: not more often than PRESENCE_COUNT_SECONDS.
            wait = self.count_sent.get(stream_key, -PRESENCE_COUNT_SECONDS) - now
            if wait + PRESENCE_COUNT_SECONDS > 0:
                self._presence_changed(stream_key, delay=wait + PRESENCE_COUNT_SECONDS)
                return
        self.announced[stream_key] = set(online)
        if len(online) > PRESENCE_LIST_MAX:
            self.count_sent[stream_key] = now
            data: dict = {"count": len(online)}
        elif len(before) > PRESENCE_LIST_MAX:
            data = self._snapshot(sorted(online.values(), key=_by_name))  # listable again
        else:
            joined = sorted((online[m] for m in online.keys() - before), key=_by_name)
            data = {"joined": joined, "left": sorted(before - online.keys()), "count": len(online)}
        frame = self._presence_frame(data)
        for subscriber in list(self.streams.get(stream_key, ())):
            await self._push(stream_key, subscriber, frame)

    async def _push(self, key: str, subscriber: Subscriber, frame: str) -> None:
        """Send an ephemeral frame to one subscriber; a failure drops only that one."""
        try:
            await subscriber.push(frame)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Dropping a socket that failed to take a frame of %s", key)
            self._drop(key, subscriber)

    async def _run(self, layer) -> None:
        while True:
            try:
                message = await layer.receive(self.channel)
                await self.dispatch(message)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Hub could not handle a message; carrying on")
                await asyncio.sleep(0.1)

    async def dispatch(self, message: dict) -> None:
        kind = message.get("type")
        if kind == "stream.event":
            async with self.order:
                await self._event(
                    message["key"], message["seq"], message["frame"], message["audience"]
                )
        elif kind == "stream.typing":
            key = message["key"]
            scope = visibility.Scope.from_json(message["audience"])
            for subscriber in list(self.streams.get(key, ())):
                if subscriber.reader.member_id != message["member_id"] and (
                    scope.admits(subscriber.reader)
                ):
                    await self._push(key, subscriber, message["frame"])
        elif kind == "member.control":
            for subscriber in list(self.members.get(message["member_id"], ())):
                try:
                    await subscriber.control(message)
                except Exception:
                    logger.exception("A socket failed to act on %s", message["action"])
        elif kind in ("presence.change", "presence.snapshot", "presence.sync"):
            await self._presence(message)

    async def _event(self, key: str, seq: int, frame: str, audience: dict) -> None:
        """Dispatch one event in order; fill a gap before it from the log."""
        seen = self.seen.get(key)
        if seen is None or seq <= seen:
            return  # not served here any more, or already dispatched
        if seq > seen + 1:
            await self._repair(key, upto=seq, settled=False)
        await self._fan_out(key, seq, frame, audience)

    async def _fan_out(self, key: str, seq: int, frame: str, audience: dict) -> None:
        self.seen[key] = seq
        scope = visibility.Scope.from_json(audience)
        everyone = scope.whole_group
        admits = scope.admits
        # The loop below runs once per socket per event: keep it free of awaits when
        # the socket takes the frame directly (see wire.py). One subscriber that fails
        # is dropped (its client resumes) and never stops the others.
        for subscriber in list(self.streams.get(key, ())):
            try:
                if (everyone or admits(subscriber.reader)) and not (
                    subscriber.deliver_now(seq, frame)
                ):
                    await subscriber.deliver(seq, frame)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Dropping a socket that failed to take event %s#%d", key, seq)
                self._drop(key, subscriber)

    def _drop(self, key: str, subscriber: Subscriber) -> None:
        """Stop delivering to a failed subscriber now; close it in the background."""
        self.streams.get(key, set()).discard(subscriber)
        asyncio.get_running_loop().create_task(self._close_failed(key, subscriber))

    async def _close_failed(self, key: str, subscriber: Subscriber) -> None:
        try:
            await subscriber.fail()
        except Exception:
            logger.exception("Could not close a failed socket")
        try:
            # Back in the stream for `leave` to do its bookkeeping (presence, groups).
            self.streams[key].add(subscriber)
            await self.leave(key, subscriber)
        except Exception:
            logger.exception("Could not forget a failed socket")

    async def _repair(self, key: str, *, upto: int | None, settled: bool) -> None:
        try:
            missed = await _missed(key, self.seen[key], upto, settled)
        except events.ResyncNeeded:
            position = await _log_position(key)
            self.seen[key] = position
            for subscriber in list(self.streams.get(key, ())):
                try:
                    await subscriber.resync(position)
                except Exception:
                    logger.exception("Dropping a socket that failed to take a resync")
                    self._drop(key, subscriber)
            return
        if missed:
            logger.info("Replaying %d missed events of %s from the log", len(missed), key)
        for seq, frame, audience in missed:
            await self._fan_out(key, seq, frame, audience)

    async def _reconcile_forever(self) -> None:
        loop = asyncio.get_running_loop()
        renewed = heartbeat = loop.time()
        while True:
            await asyncio.sleep(RECONCILE_SECONDS)
            try:
                if loop.time() - renewed > RENEW_GROUPS_SECONDS:
                    renewed = loop.time()
                    await self._renew_groups()
                self._expire_presence(loop.time())
                if loop.time() - heartbeat > PRESENCE_HEARTBEAT_SECONDS:
                    heartbeat = loop.time()
                    await self._presence_heartbeat()
                if self.channel is None:
                    await self._connect_layer()
                for key in list(self.unsubscribed):
                    if key in self.streams or key == events.CONTROL_GROUP:
                        await self._subscribe(key)
                positions = await _log_positions(list(self.streams)) if self.streams else {}
                for key, position in positions.items():
                    if position > self.seen.get(key, 0):
                        async with self.order:
                            if key in self.seen:
                                await self._repair(key, upto=None, settled=True)
            except Exception:
                logger.exception("Could not compare streams with the event log")

    async def _presence_heartbeat(self) -> None:
        """Tell the other processes who is online here, on every stream with presence."""
        if self.channel is None:
            return
        layer = get_channel_layer()
        for key, here in list(self.local.items()):
            if not here or not has_presence(key):
                continue
            await self._quietly(
                layer.group_send(
                    events.layer_group(key),
                    {
                        "type": "presence.snapshot",
                        "key": key,
                        "origin": self.channel,
                        "members": [self.profiles[m] for m in here if m in self.profiles],
                    },
                )
            )

    def _expire_presence(self, now: float) -> None:
        """Forget who another process said was online, once it has been silent too long."""
        for key, origins in list(self.heard.items()):
            for origin, at in list(origins.items()):
                if now - at <= PRESENCE_EXPIRY_SECONDS:
                    continue
                del origins[origin]
                for member_id in self.remote.get(key, {}).pop(origin, {}):
                    self._departed(key, member_id)
                self._presence_changed(key)

    async def _renew_groups(self) -> None:
        layer = get_channel_layer()
        await layer.group_add(events.CONTROL_GROUP, self.channel)
        for key in list(self.streams):
            await layer.group_add(events.layer_group(key), self.channel)

    async def _presence(self, message: dict) -> None:
        key, origin = message["key"], message["origin"]
        if origin == self.channel or key not in self.streams:
            return
        if message["type"] == "presence.sync":
            # A process just started serving this stream: tell it who is online here.
            members = [self.profiles[m] for m in self.local.get(key, ()) if m in self.profiles]
            await get_channel_layer().send(
                origin,
                {
                    "type": "presence.snapshot",
                    "key": key,
                    "origin": self.channel,
                    "members": members,
                },
            )
            return
        self.heard[key][origin] = asyncio.get_running_loop().time()
        there = self.remote[key].setdefault(origin, {})
        if message["type"] == "presence.snapshot":
            now = {m["id"]: m for m in message["members"]}
            for member_id in there.keys() - now.keys():
                self._departed(key, member_id)
            for member_id in now.keys() - there.keys():
                self._arrived(key, member_id)
            there.clear()
            there.update(now)
        else:
            for member in message.get("joined", ()):
                if member["id"] not in there:
                    self._arrived(key, member["id"])
                there[member["id"]] = member
            for member_id in message.get("left", ()):
                if member_id in there:
                    self._departed(key, member_id)
                there.pop(member_id, None)
        self._presence_changed(key)


def _by_name(profile: dict) -> tuple[str, int]:
    return (profile.get("name", "").lower(), profile["id"])


def has_presence(stream_key: str) -> bool:
    """Group and meeting streams show who is online; a member's inbox has no one else."""
    return not stream_key.startswith("member:")


_hubs: dict[int, Hub] = {}


def hub() -> Hub:
    """Return this event loop's hub (one per process in production)."""
    loop = asyncio.get_running_loop()
    current = _hubs.get(id(loop))
    # An id can be reused by a later loop (tests make one per test): check it is this one.
    running = current and (current.reconciler or current.task)
    if current is None or (running is not None and running.get_loop() is not loop):
        current = _hubs[id(loop)] = Hub()
    return current
