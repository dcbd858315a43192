"""Direct messages: 200 two-member conversations, every member connected on one Daphne
process, 20 messages/s in all for 30 s over `/ws/inbox/`.

Each message is a `dm.send` frame from one member of a pair (round-robin over the
pairs, alternating sides); the forum stores it with the conversation's seq, logs it in
both members' inbox streams and, after commit, delivers it to both sockets. We count
how many reach the other member and how long they take from the sender's send to that
receipt. The baseline, in the same run and through the same client code, is a raw
`websockets` server that relays each text to the other side of its pair (bench/dm_raw.py);
between the two, the same relay as a Channels consumer under Daphne, with no database
(bench/dm_channels.py), shows the server stack's own share.

`python -m bench dm [--db ...] [--pairs N] [--rate R] [--seconds S]`; BENCH_DM_PAIRS
(200), BENCH_DM_RATE (20 messages/s) and BENCH_DM_SECONDS (30) set the defaults.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from bench import fanout, targets

PAIRS = int(os.environ.get("BENCH_DM_PAIRS", "200"))
RATE = float(os.environ.get("BENCH_DM_RATE", "20"))
SECONDS = float(os.environ.get("BENCH_DM_SECONDS", "30"))
QUIET, SETTLE_LIMIT, DRAIN_LIMIT = 3.0, 60.0, 30.0

DM_MESSAGE = b'{"type":"dm.message"'
MARKER = re.compile(rb"dmbench-(\d+)-(\d+)-(\d+\.\d+)")


def add_arguments(parser) -> None:
    parser.add_argument("--pairs", type=int, default=PAIRS, help="conversations (default 200)")
    parser.add_argument("--rate", type=float, default=RATE, help="messages/s (default 20)")
    parser.add_argument("--seconds", type=float, default=SECONDS, help="sending time (default 30)")


@dataclass
class Seen:
    """What the sockets saw; updated by one reader task per socket (one event loop)."""

    last_frame: float = 0.0
    latencies: dict[int, float] = field(default_factory=dict)
    duplicates: int = 0
    acks: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    closed: Counter[str] = field(default_factory=Counter)


@dataclass
class Outcome:
    label: str
    connected: int = 0
    sent: int = 0
    acked: int = 0
    delivered: int = 0
    duplicates: int = 0
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    server_cpu: float = 0.0
    note: str = ""


async def _read(ws: ClientConnection, index: int, seen: Seen) -> None:
    try:
        while True:
            data = await ws.recv(decode=False)
            received = time.time()
            seen.last_frame = time.monotonic()
            if data.startswith(DM_MESSAGE) and (marker := MARKER.search(data)):
                number, sender = int(marker[1]), int(marker[2])
                if sender == index:
                    continue  # the sender's own copy
                if number in seen.latencies:
                    seen.duplicates += 1
                else:
                    seen.latencies[number] = received - float(marker[3])
            elif data.startswith(b'{"type":"dm.ack"'):
                seen.acks += 1
            elif data.startswith(b'{"type":"error"'):
                seen.errors[json.loads(data)["code"]] += 1
    except ConnectionClosed as closed:
        seen.closed[str(closed.rcvd.code if closed.rcvd else "no close frame")] += 1


async def _measure(label: str, specs: list[fanout.Socket], conversations, pid: int, forum: bool):
    """Connect every socket (two per pair), send on schedule, count receipts."""
    outcome, seen = Outcome(label), Seen()
    clients: list[ClientConnection | None] = [None] * len(specs)
    readers: list[asyncio.Task] = []
    gate = asyncio.Semaphore(fanout.CONNECT_CONCURRENCY)

    async def open_one(index: int) -> None:
        async with gate:
            # A loaded machine drops the odd handshake: retry, as a client would.
            for attempt in range(5):
                try:
                    ws = await fanout._connect(specs[index])
                    break
                except (OSError, InvalidHandshake):
                    if attempt == 4:
                        raise
                    outcome.note += "" if "retried" in outcome.note else "handshakes retried; "
                    await asyncio.sleep(0.5 * (attempt + 1))
            hello = json.loads(await asyncio.wait_for(ws.recv(), 60))
            if forum:
                await ws.send(json.dumps({"type": "resume", "after": hello["seq"]}))
            clients[index] = ws
            readers.append(asyncio.create_task(_read(ws, index, seen)))

    began = time.monotonic()
    try:
        await fanout._warm_up(specs[0])
        await asyncio.gather(*(open_one(i) for i in range(len(specs))))
        outcome.connected = sum(1 for c in clients if c is not None)
        while time.monotonic() - began < SETTLE_LIMIT:
            if time.monotonic() - max(seen.last_frame, began) >= QUIET:
                break
            await asyncio.sleep(0.25)
        pairs = len(specs) // 2
        total = int(RATE * SECONDS)
        cpu = targets.cpu_seconds(pid)
        start = time.monotonic() + 0.2
        for i in range(total):
            delay = start + i / RATE - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            pair, side = i % pairs, (i // pairs) % 2
            index = 2 * pair + side
            body = f"Bench dmbench-{i}-{index}-{time.time():.6f}"
            if forum:
                frame = {
                    "type": "dm.send",
                    "conversation": conversations[pair],
                    "client_id": str(uuid.uuid4()),
                    "body": body,
                }
                await clients[index].send(json.dumps(frame))
            else:
                await clients[index].send(body)
            outcome.sent += 1
        outcome.seconds = time.monotonic() - start
        drain = time.monotonic()
        while time.monotonic() - drain < DRAIN_LIMIT:
            if len(seen.latencies) >= outcome.sent:
                break
            if time.monotonic() - max(seen.last_frame, drain) >= QUIET:
                break
            await asyncio.sleep(0.1)
        outcome.server_cpu = targets.cpu_seconds(pid) - cpu
        outcome.acked = seen.acks
        outcome.delivered = len(seen.latencies)
        outcome.duplicates = seen.duplicates
        outcome.latencies = list(seen.latencies.values())
        if seen.errors:
            outcome.note += f"errors {dict(seen.errors)}; "
        if seen.closed:
            outcome.note += f"closed {dict(seen.closed)}; "
    finally:
        for ws in clients:
            if ws is not None:
                ws.transport.abort()
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    return outcome


def run_daphne(label: str, database: targets.Database, redis_url: str | None) -> Outcome:
    env = targets.server_env(
        database, redis_url, DM_MESSAGES_PER_MINUTE="100000", DM_CONVERSATIONS_PER_HOUR="100000"
    )
    targets.prepare(env)
    data = targets.job(env, "seed_conversations", PAIRS)
    with targets.daphne_servers("dm", env, 1) as servers:
        port, pid = servers.ports[0], servers.pids[0]
        origin = f"http://127.0.0.1:{port}"
        url = f"ws://127.0.0.1:{port}/ws/inbox/"
        specs, conversations = [], []
        for conversation, key_a, key_b in data["pairs"]:
            conversations.append(conversation)
            for key in (key_a, key_b):
                specs.append(fanout.Socket(url, origin, {"Cookie": f"sessionid={key}"}))
        return asyncio.run(_measure(label, specs, conversations, pid, forum=True))


def run_relay(label: str, name: str, command: list[str]) -> Outcome:
    """Start a pair relay (`command` followed by its port), measure it, stop it."""
    port = targets.free_port()
    server = targets.Process(name, [*command, str(port)])
    try:
        targets.wait_until(server, targets.listening(port))
        specs = [
            fanout.Socket(f"ws://127.0.0.1:{port}/{pair}/{side}", f"http://127.0.0.1:{port}", {})
            for pair in range(PAIRS)
            for side in ("a", "b")
        ]
        return asyncio.run(_measure(label, specs, None, server.pid, forum=False))
    finally:
        server.stop()


def run_raw() -> Outcome:
    command = [sys.executable, "-m", "bench.dm_raw"]
    return run_relay("raw websockets (pairs)", "dm-raw", command)


def run_channels() -> Outcome:
    """The relay of bench/dm_channels.py under Daphne: the server stack's own floor."""
    command = [
        sys.executable,
        "-m",
        "daphne",
        "-b",
        "127.0.0.1",
        "bench.dm_channels:application",
        "-p",
    ]
    return run_relay("Daphne + Channels relay (no database)", "dm-channels", command)


def main(options: targets.Options | None = None, args=None) -> None:
    """Measure direct messages and the raw baseline on each database; print the tables."""
    global PAIRS, RATE, SECONDS
    options = options or targets.Options()
    if args is not None:
        PAIRS, RATE, SECONDS = args.pairs, args.rate, args.seconds
    targets.raise_open_files(4 * PAIRS + 256)
    with targets.redis_for(options, "dm") as redis:
        for database in targets.databases(options, "dm"):
            redis_url = redis.url if redis and database.kind == "postgres" else None
            layer = " + Redis" if redis_url else ""
            label = f"{database.label}{layer}, 1 process: direct messages"
            forum = run_daphne(label, database, redis_url)
            stack = run_channels()
            raw = run_raw()
            _report(database, forum, stack, raw)


def _report(database: targets.Database, forum: Outcome, stack: Outcome, raw: Outcome) -> None:
    print(
        f"\ndm on {database.label} ({database.name}): {PAIRS} two-member conversations, "
        f"{2 * PAIRS} sockets, {RATE:g} messages/s for {SECONDS:g} s, raw baseline measured "
        "in the same run"
    )
    print(
        f"{'target':<52}{'sockets':>8}{'delivered/expected':>24}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'p99/raw':>9}"
    )
    raw_p99 = targets.percentile_ms(raw.latencies, 0.99)
    for outcome in (forum, stack, raw):
        share = 100 * outcome.delivered / outcome.sent if outcome.sent else 0.0
        p99 = targets.percentile_ms(outcome.latencies, 0.99)
        print(
            f"{outcome.label:<52}{outcome.connected:>8}"
            f"{f'{outcome.delivered}/{outcome.sent} ({share:.1f}%)':>24}"
            f"{targets.percentile_ms(outcome.latencies, 0.5):>9.1f}{p99:>9.1f}"
            f"{targets.ratio(p99, raw_p99):>9}"
        )
    print(
        f"  forum: sent {forum.sent} in {forum.seconds:.1f} s, acked {forum.acked}, "
        f"duplicates {forum.duplicates}, server CPU {forum.server_cpu:.1f} s"
        + (f"; {forum.note.rstrip('; ')}" if forum.note else "")
    )
    print(
        f"  server CPU per message: forum {_per_message(forum)}, Channels relay "
        f"{_per_message(stack)}, raw {_per_message(raw)}"
    )
    print("  p50/p99: the sender's dm.send to the other member's receipt of dm.message")


def _per_message(outcome: Outcome) -> str:
    return f"{1000 * outcome.server_cpu / outcome.sent:.2f} ms" if outcome.sent else "-"
