"""A live meeting: 300 members in one chat room, 10 messages/s sent over the chat socket.

One Daphne process serves N signed-in sockets on `/ws/meetings/<id>/`: on SQLite with
the in-memory channel layer, and on PostgreSQL (when reachable, see bench/targets.py)
with Redis. Several of those members send `chat.send` frames on their own
sockets, round-robin, at a fixed total rate (each stays under the chat's rate limit
of 5 messages per 10 s); each message is stored with the room's seq, acknowledged,
and broadcast to every socket. We count how many arrive and how long they take from
the sender's send to each receipt. The baseline, in the same run, is the raw
`websockets` broadcast server of the fan-out benchmark at the same rate.

`python -m bench meeting_chat [--db ...] [--members N] [--rate R] [--seconds S]
[--senders K]`; BENCH_MEMBERS (300), BENCH_CHAT_RATE (10 messages/s), BENCH_CHAT_SECONDS
(30) and BENCH_SENDERS (25) set the defaults.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from bench import fanout, targets

MEMBERS = int(os.environ.get("BENCH_MEMBERS", "300"))
RATE = float(os.environ.get("BENCH_CHAT_RATE", "10"))
SECONDS = float(os.environ.get("BENCH_CHAT_SECONDS", "30"))
SENDERS = int(os.environ.get("BENCH_SENDERS", "25"))
QUIET, SETTLE_LIMIT, DRAIN_LIMIT = 3.0, 120.0, 30.0

CHAT_MESSAGE = b'{"type":"chat.message"'
MARKER = re.compile(rb"bench-(\d+)-(\d+\.\d+)")


def add_arguments(parser) -> None:
    parser.add_argument("--members", type=int, default=MEMBERS, help="sockets (default 300)")
    parser.add_argument("--rate", type=float, default=RATE, help="messages/s (default 10)")
    parser.add_argument("--seconds", type=float, default=SECONDS, help="sending time (default 30)")
    parser.add_argument("--senders", type=int, default=SENDERS, help="senders (default 25)")


@dataclass
class Room:
    """What the sockets saw; updated by one reader task per socket (one event loop)."""

    frames: int = 0
    last_frame: float = 0.0
    latencies: list[float] = field(default_factory=list)
    server_latencies: list[float] = field(default_factory=list)
    duplicates: int = 0
    acks: dict[str, int] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    closed: Counter[str] = field(default_factory=Counter)


async def _read(ws: ClientConnection, room: Room) -> None:
    seen: set[int] = set()
    try:
        while True:
            data = await ws.recv(decode=False)
            received = time.time()
            room.frames += 1
            room.last_frame = time.monotonic()
            if data.startswith(CHAT_MESSAGE) and (marker := MARKER.search(data)):
                number = int(marker[1])
                if number in seen:
                    room.duplicates += 1
                else:
                    seen.add(number)
                    room.latencies.append(received - float(marker[2]))
                    if stamp := fanout.CREATED_AT.search(data):
                        created = datetime.fromisoformat(stamp[1].decode()).timestamp()
                        room.server_latencies.append(received - created)
            elif data.startswith(b'{"type":"chat.ack"'):
                ack = json.loads(data)
                room.acks[ack["client_id"]] = ack["seq"]
            elif data.startswith(b'{"type":"error"'):
                room.errors[json.loads(data)["code"]] += 1
    except ConnectionClosed as closed:
        room.closed[str(closed.rcvd.code if closed.rcvd else "no close frame")] += 1


@dataclass
class Outcome:
    label: str
    connected: int = 0
    sent: int = 0
    acked: int = 0
    expected: int = 0
    delivered: int = 0
    duplicates: int = 0
    latencies: list[float] = field(default_factory=list)
    server_latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    server_cpu: float = 0.0
    note: str = ""


async def _measure(label: str, port: int, meeting: int, keys: list[str], pid: int) -> Outcome:
    url = f"ws://127.0.0.1:{port}/ws/meetings/{meeting}/"
    specs = [
        fanout.Socket(url, f"http://127.0.0.1:{port}", {"Cookie": f"sessionid={key}"})
        for key in keys
    ]
    outcome, room = Outcome(label), Room()
    await fanout._warm_up(specs[0])
    clients: list[ClientConnection] = []
    readers: list[asyncio.Task] = []
    gate = asyncio.Semaphore(fanout.CONNECT_CONCURRENCY)

    async def open_one(spec: fanout.Socket) -> None:
        async with gate:
            ws = await fanout._connect(spec)
            hello = json.loads(await asyncio.wait_for(ws.recv(), 60))
            await ws.send(json.dumps({"type": "resume", "after": hello["seq"]}))
            clients.append(ws)
            readers.append(asyncio.create_task(_read(ws, room)))

    began = time.monotonic()
    try:
        await asyncio.gather(*(open_one(spec) for spec in specs))
        outcome.connected = len(clients)
        while time.monotonic() - began < SETTLE_LIMIT:
            if time.monotonic() - max(room.last_frame, began) >= QUIET:
                break
            await asyncio.sleep(0.25)
        senders = clients[:SENDERS]
        total = int(RATE * SECONDS)
        cpu = targets.cpu_seconds(pid)
        start = time.monotonic() + 0.2
        for i in range(total):
            delay = start + i / RATE - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            frame = {
                "type": "chat.send",
                "client_id": str(uuid.uuid4()),
                "body": f"Chat check bench-{i}-{time.time():.6f}",
            }
            await senders[i % len(senders)].send(json.dumps(frame))
            outcome.sent += 1
        outcome.seconds = time.monotonic() - start
        drain = time.monotonic()
        while time.monotonic() - drain < DRAIN_LIMIT:
            if len(room.latencies) >= outcome.sent * len(clients):
                break
            if time.monotonic() - max(room.last_frame, drain) >= QUIET:
                break
            await asyncio.sleep(0.1)
        outcome.server_cpu = targets.cpu_seconds(pid) - cpu
        outcome.acked = len(room.acks)
        outcome.expected = outcome.sent * len(clients)
        outcome.delivered = len(room.latencies)
        outcome.duplicates = room.duplicates
        outcome.latencies = list(room.latencies)
        outcome.server_latencies = list(room.server_latencies)
        if room.errors:
            outcome.note += f"errors {dict(room.errors)}; "
        if room.closed:
            outcome.note += f"closed {dict(room.closed)}; "
    finally:
        for ws in clients:
            ws.transport.abort()
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    return outcome


def run_daphne(label: str, database: targets.Database, redis_url: str | None) -> Outcome:
    env = targets.server_env(database, redis_url)
    targets.prepare(env)
    data = targets.job(env, "seed_meeting_chat", MEMBERS)
    with targets.daphne_servers("meeting-chat", env, 1) as servers:
        port, pid = servers.ports[0], servers.pids[0]
        return asyncio.run(_measure(label, port, data["meeting"], data["members"], pid))


def run_raw() -> fanout.Result:
    """The fan-out benchmark's raw websockets server, at this benchmark's size and rate."""
    fanout.RATE, fanout.SECONDS = RATE, SECONDS
    return fanout.run_raw(MEMBERS)


def main(options: targets.Options | None = None, args=None) -> None:
    """Measure the chat room and the raw baseline on each database; print the tables."""
    global MEMBERS, RATE, SECONDS, SENDERS
    options = options or targets.Options()
    if args is not None:
        MEMBERS, RATE, SECONDS, SENDERS = args.members, args.rate, args.seconds, args.senders
    targets.raise_open_files(2 * MEMBERS + 256)
    with targets.redis_for(options, "meeting_chat") as redis:
        for database in targets.databases(options, "meeting_chat"):
            redis_url = redis.url if redis and database.kind == "postgres" else None
            layer = " + Redis" if redis_url else ""
            label = f"{database.label}{layer}, 1 process: meeting chat"
            chat = run_daphne(label, database, redis_url)
            raw = run_raw()
            _report(database, chat, raw)


def _report(database: targets.Database, chat: Outcome, raw: fanout.Result) -> None:
    print(
        f"\nmeeting_chat on {database.label} ({database.name}): {MEMBERS} members, "
        f"{RATE:g} messages/s for {SECONDS:g} s from {SENDERS} senders, raw baseline "
        "measured in the same run"
    )
    print(
        f"{'target':<48}{'sockets':>8}{'delivered/expected':>26}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'p99/raw':>9}"
    )
    raw_p99 = raw.percentile_ms(0.99)
    rows = [
        (chat.label, chat.connected, chat.delivered, chat.expected, chat.latencies),
        ("raw websockets", raw.connected, raw.delivered, raw.expected, raw.latencies),
    ]
    for label, connected, delivered, expected, latencies in rows:
        share = 100 * delivered / expected if expected else 0.0
        p99 = targets.percentile_ms(latencies, 0.99)
        print(
            f"{label:<48}{connected:>8}{f'{delivered}/{expected} ({share:.1f}%)':>26}"
            f"{targets.percentile_ms(latencies, 0.5):>9.1f}{p99:>9.1f}"
            f"{targets.ratio(p99, raw_p99):>9}"
        )
    print(
        f"  chat: sent {chat.sent} in {chat.seconds:.1f} s, acked {chat.acked}, "
        f"duplicates {chat.duplicates}, server CPU {chat.server_cpu:.1f} s; from the "
        f"message's created_at (stamped before commit) to receipt: p50 "
        f"{targets.percentile_ms(chat.server_latencies, 0.5):.1f} ms, p99 "
        f"{targets.percentile_ms(chat.server_latencies, 0.99):.1f} ms"
        + (f"; {chat.note.rstrip('; ')}" if chat.note else "")
    )
    print("  p50/p99: the sender's chat.send to each member's receipt of chat.message")
