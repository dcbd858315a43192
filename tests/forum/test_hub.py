"""The per-process hub: one failing or slow socket never costs the others an event."""

from __future__ import annotations

import asyncio
import socket

import pytest

from forum import visibility
from forum.consumers import wire as wire_module
from forum.consumers.hub import Hub, has_presence
from forum.consumers.wire import SlowSocket, Wire

EVERYONE = {"countries": None, "moderators": False, "members": []}


class Recorder:
    """A subscriber that takes every frame it is given, like a healthy socket."""

    def __init__(self, member_id: int) -> None:
        self.reader = visibility.Reader(
            member_id=member_id, country="KE", staff=False, moderator=False
        )
        self.profile = {"id": member_id, "name": f"m{member_id}"}
        self.got: list[int] = []
        self.pushed: list[str] = []
        self.failed = False

    def deliver_now(self, seq: int, frame: str) -> bool:
        self.got.append(seq)
        return True

    async def deliver(self, seq: int, frame: str) -> None:
        self.got.append(seq)

    async def push(self, frame: str) -> None:
        self.pushed.append(frame)

    async def resync(self, seq: int) -> None:
        pass

    async def control(self, message: dict) -> None:
        pass

    async def fail(self) -> None:
        self.failed = True


class Broken(Recorder):
    """A subscriber whose socket is in a state nobody expected."""

    def deliver_now(self, seq: int, frame: str) -> bool:
        raise RuntimeError("socket in an unexpected state")


class Slow(Recorder):
    """A subscriber on the ordinary path whose client never reads."""

    def __init__(self, member_id: int) -> None:
        super().__init__(member_id)
        self.never = asyncio.Event()

        async def send(message):
            await self.never.wait()

        self.wire = Wire(send)

    def deliver_now(self, seq: int, frame: str) -> bool:
        self.wire.write_now(frame)
        self.got.append(seq)
        return True


def hub_with(*subscribers) -> Hub:
    hub = Hub()
    hub.streams["group:1"] = set(subscribers)
    hub.seen["group:1"] = 0
    return hub


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_subscriber_that_raises_does_not_stop_the_others():
    """The failing socket is dropped and closed; every other socket gets every event."""
    healthy = [Recorder(n) for n in range(1, 6)]
    broken = Broken(99)
    hub = hub_with(*healthy, broken)
    for seq in (1, 2, 3):
        await hub._fan_out("group:1", seq, f'{{"seq":{seq}}}', EVERYONE)
    await settle()
    assert all(s.got == [1, 2, 3] for s in healthy)
    assert broken.failed
    assert broken not in hub.streams["group:1"]


async def test_a_slow_socket_on_the_ordinary_path_is_closed_and_the_rest_get_everything():
    """A client that never reads passes the backlog limit and is closed with a resume code;
    the fan-out never waits for it."""
    healthy = [Recorder(n) for n in range(1, 4)]
    slow = Slow(50)
    hub = hub_with(*healthy, slow)
    frame = "x" * 64_000
    events = wire_module.MAX_BACKLOG_BYTES // len(frame) + 3
    for seq in range(1, events + 1):
        await hub._fan_out("group:1", seq, frame, EVERYONE)
    await settle()
    assert all(s.got == list(range(1, events + 1)) for s in healthy)
    assert slow.failed
    assert slow not in hub.streams["group:1"]


class DummyReactor:
    def addWriter(self, _fd):
        pass

    def removeWriter(self, _fd):
        pass

    def addReader(self, _fd):
        pass

    def removeReader(self, _fd):
        pass


class FakeProtocol:
    """Just what the direct path reads of autobahn's protocol."""

    STATE_OPEN = 1
    state = 1
    _perMessageCompress = None
    autoFragmentSize = 0

    def __init__(self, transport) -> None:
        self.transport = transport


def test_a_slow_socket_on_the_direct_path_raises_past_the_backlog_limit():
    """Under Daphne the frame goes to the kernel, then to Twisted's buffer; once that
    buffer passes the limit the socket counts as slow."""
    from twisted.internet.tcp import Connection

    server, client = socket.socketpair()
    server.setblocking(False)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    try:
        transport = Connection(server, None, DummyReactor())
        transport.connected = 1  # as Twisted's Server marks an accepted connection
        wire = Wire(lambda message: None)
        wire.protocol = FakeProtocol(transport)
        frame = "y" * 100_000
        with pytest.raises(SlowSocket):
            for _ in range(wire_module.MAX_BACKLOG_BYTES // len(frame) + 20):
                wire.write_now(frame)
        assert client.recv(10)  # the first bytes went out straight away
    finally:
        server.close()
        client.close()


def test_a_renamed_daphne_internal_falls_back_instead_of_raising():
    """If autobahn drops an attribute the direct path reads, frames take the ASGI send."""
    sent = []

    async def send(message):
        sent.append(message["text"])

    class Renamed:
        STATE_OPEN = 1
        state = 1  # but no _perMessageCompress any more

    async def run():
        wire = Wire(send)
        wire.protocol = Renamed()
        wire.write_now("one")
        wire.write_now("two")
        await settle()
        assert wire.protocol is None

    asyncio.run(run())
    assert sent == ["one", "two"]


def test_inbox_streams_carry_no_presence():
    """A member's inbox has nobody else in it: no presence announcements or snapshots."""
    assert has_presence("group:1") and has_presence("meeting:7")
    assert not has_presence("member:3")


async def storm(joins: int) -> tuple[Recorder, list[Recorder], Hub]:
    """`joins` members connect to one stream at once, after one observer."""
    from forum.consumers import hub as hub_module

    hub = Hub()
    observer = Recorder(1)
    await hub.join("group:1", observer)
    crowd = [Recorder(n) for n in range(2, joins + 2)]
    await asyncio.gather(*(hub.join("group:1", s) for s in crowd))
    await asyncio.sleep(hub_module.PRESENCE_COALESCE_SECONDS * 2.5)
    for task in (hub.task, hub.reconciler):
        if task is not None:
            task.cancel()
    return observer, crowd, hub


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("joins", [120, 480])
async def test_a_presence_storm_costs_each_socket_a_bounded_number_of_bytes(joins):
    """N joins send an observer a few coalesced frames, and each newcomer a snapshot of
    at most PRESENCE_LIST_MAX names: O(N) bytes in all, not O(N^2)."""
    import json

    from forum.consumers.hub import PRESENCE_LIST_MAX

    observer, crowd, _hub = await storm(joins)
    after_snapshot = observer.pushed[1:]
    assert 1 <= len(after_snapshot) <= 3  # coalesced, whatever N
    assert json.loads(after_snapshot[-1])["data"]["count"] == joins + 1
    for newcomer in crowd:
        snapshot = json.loads(newcomer.pushed[0])["data"]
        assert len(snapshot.get("online", [])) <= PRESENCE_LIST_MAX
    per_join = sum(len(f) for s in [observer, *crowd] for f in s.pushed) / joins
    assert per_join < 60 * PRESENCE_LIST_MAX  # a bounded snapshot and delta per socket


@pytest.mark.django_db(transaction=True)
async def test_a_join_past_the_list_limit_does_not_walk_everyone_online(monkeypatch):
    """Joins past PRESENCE_LIST_MAX answer the count kept as they come: a storm of N
    joins costs O(N) work, not a pass over everyone online per join."""
    from forum.consumers.hub import PRESENCE_LIST_MAX

    walks = []
    real_online = Hub.online

    def counting(self, stream_key):
        walks.append(stream_key)
        return real_online(self, stream_key)

    monkeypatch.setattr(Hub, "online", counting)
    _observer, crowd, hub = await storm(4 * PRESENCE_LIST_MAX)
    assert len(walks) <= PRESENCE_LIST_MAX + 1
    assert len(hub.present["group:1"]) == len(crowd) + 1


def test_the_online_count_follows_other_processes_snapshots_and_changes():
    hub = Hub()
    hub.streams["group:1"] = {Recorder(1)}
    hub.local["group:1"][1] = 1
    hub.profiles[1] = {"id": 1, "name": "m1"}
    hub._arrived("group:1", 1)

    def told(message: dict) -> None:
        asyncio.run(hub._presence({"key": "group:1", **message}))

    told({"type": "presence.snapshot", "origin": "b", "members": [{"id": 1}, {"id": 2}]})
    told({"type": "presence.change", "origin": "c", "joined": [{"id": 2}, {"id": 3}], "left": []})
    assert len(hub.present["group:1"]) == len(hub._online("group:1")) == 3
    told({"type": "presence.change", "origin": "c", "joined": [], "left": [2, 3, 99]})
    told({"type": "presence.snapshot", "origin": "b", "members": [{"id": 4}]})
    assert set(hub.present["group:1"]) == set(hub._online("group:1")) == {1, 4}


async def test_a_process_that_falls_silent_is_forgotten():
    """Who another process said was online expires once it stops speaking (it died)."""
    from forum.consumers.hub import PRESENCE_EXPIRY_SECONDS

    hub = Hub()
    here = Recorder(1)
    hub.streams["group:1"] = {here}
    hub.local["group:1"][1] = 1
    hub.profiles[1] = here.profile
    hub._arrived("group:1", 1)
    await hub._presence(
        {"type": "presence.snapshot", "key": "group:1", "origin": "b", "members": [{"id": 7}]}
    )
    assert set(hub._online("group:1")) == {1, 7}
    spoke = hub.heard["group:1"]["b"]
    hub._expire_presence(spoke + PRESENCE_EXPIRY_SECONDS / 2)
    assert set(hub._online("group:1")) == {1, 7}
    hub._expire_presence(spoke + PRESENCE_EXPIRY_SECONDS + 1)
    assert set(hub._online("group:1")) == {1} and set(hub.present["group:1"]) == {1}
    assert "group:1" in hub.presence_flush  # the open pages are told
    hub.presence_flush["group:1"].cancel()


async def test_the_heartbeat_tells_other_processes_who_is_online_here():
    from channels.layers import get_channel_layer

    from forum import events

    layer = get_channel_layer()
    hub = Hub()
    hub.channel = await layer.new_channel("hub.")
    listener = await layer.new_channel("other.")
    await layer.group_add(events.layer_group("group:1"), listener)
    here = Recorder(3)
    hub.streams["group:1"] = {here}
    hub.local["group:1"][3] = 1
    hub.profiles[3] = here.profile
    hub.local["member:3"][3] = 1  # an inbox: no presence, no heartbeat
    await hub._presence_heartbeat()
    told = await asyncio.wait_for(layer.receive(listener), 2)
    assert told["type"] == "presence.snapshot" and told["origin"] == hub.channel
    assert told["members"] == [here.profile]
    await layer.group_discard(events.layer_group("group:1"), listener)


class AwayLayer:
    """A channel layer whose server is gone: every call raises, as Redis down does."""

    def __init__(self, real) -> None:
        self.real = real

    async def new_channel(self, prefix="specific."):
        return await self.real.new_channel(prefix)

    async def receive(self, channel):
        await asyncio.sleep(3600)

    async def group_add(self, group, channel):
        raise ConnectionError("Redis is down")

    group_discard = group_send = send = group_add


@pytest.mark.django_db(transaction=True)
async def test_joining_while_the_channel_layer_is_down_keeps_the_socket(monkeypatch):
    """A connect during a Redis outage still joins (and gets its snapshot); the stream
    is subscribed again once the layer answers."""
    from channels.layers import get_channel_layer

    from forum.consumers import hub as hub_module

    away = AwayLayer(get_channel_layer())
    monkeypatch.setattr(hub_module, "get_channel_layer", lambda: away)
    hub = Hub()
    newcomer = Recorder(1)
    await hub.join("group:1", newcomer)
    assert newcomer in hub.streams["group:1"] and newcomer.pushed  # the presence snapshot
    assert "group:1" in hub.unsubscribed  # retried by the reconcile
    monkeypatch.setattr(hub_module, "get_channel_layer", lambda: away.real)
    await hub._subscribe("group:1")
    assert "group:1" not in hub.unsubscribed
    await hub.leave("group:1", newcomer)
    for task in (hub.task, hub.reconciler):
        if task is not None:
            task.cancel()


@pytest.mark.django_db(transaction=True)
async def test_past_the_list_limit_count_frames_are_spaced_and_the_last_count_arrives(
    monkeypatch,
):
    """During a long reconnect storm, sockets on a crowded stream get the count at most
    every PRESENCE_COUNT_SECONDS (not every coalescing tick), and the final count still
    arrives once the storm ends."""
    import json

    from forum.consumers import hub as hub_module

    monkeypatch.setattr(hub_module, "PRESENCE_COALESCE_SECONDS", 0.05)
    monkeypatch.setattr(hub_module, "PRESENCE_COUNT_SECONDS", 0.6)
    hub = Hub()
    observer = Recorder(1)
    await hub.join("group:1", observer)
    crowd = [Recorder(n) for n in range(2, 2 * hub_module.PRESENCE_LIST_MAX + 2)]
    await asyncio.gather(*(hub.join("group:1", s) for s in crowd))
    await asyncio.sleep(0.3)
    before_storm = len(observer.pushed)
    waves = 12  # a wave of joins every 0.1 s for 1.2 s: 12 coalescing ticks
    for wave in range(waves):
        late = [Recorder(1000 + 10 * wave + n) for n in range(10)]
        await asyncio.gather(*(hub.join("group:1", s) for s in late))
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)
    for task in (hub.task, hub.reconciler):
        if task is not None:
            task.cancel()
    during = observer.pushed[before_storm:]
    assert 1 <= len(during) <= 4  # about 1.2 s / 0.6 s, not 12
    last = json.loads(during[-1])["data"]
    assert last == {"count": 1 + len(crowd) + 10 * waves}
