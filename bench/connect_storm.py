"""A reconnect storm: N signed-in members open `/ws/groups/legal-policy/` at once.

What a deploy or a network blip at a meeting does: every member's page reconnects. The
sessions are created in the database beforehand; N clients (default 3,000) connect with
50 handshakes in flight, each reads `hello`, sends `resume` as `live.js` does, and keeps
reading. On each database (SQLite, and PostgreSQL with Redis when reachable, see
bench/targets.py), with one Daphne process and with two sharing Redis (no proxy: the
clients are split across both ports). Reported: the time until every client has its
`hello`, the presence traffic (frames and bytes) that an observer socket opened before
the storm receives until presence is quiet, and what all the storm's clients receive.
Baseline, same run: a raw `websockets` server (bench/raw_server.py) accepting the same
number of connections with the same client and concurrency.

`python -m bench connect_storm [--db ...] [--processes 1,2] [--sockets N] [--in-flight K]`;
BENCH_STORM_SOCKETS (3000) sets the default size.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from bench import fanout, targets

SOCKETS = int(os.environ.get("BENCH_STORM_SOCKETS", "3000"))
IN_FLIGHT = 50
DEFAULT_PROCESSES = [1, 2]
STORM_LIMIT = 300.0  # seconds for every hello before the run gives up
QUIET = 3.0  # presence has settled once no frame arrived for this long
SETTLE_LIMIT = 180.0
PRESENCE = b'{"type":"presence"'


def add_arguments(parser) -> None:
    parser.add_argument("--sockets", type=int, default=SOCKETS, help="clients (default 3000)")
    parser.add_argument(
        "--in-flight", type=int, default=IN_FLIGHT, help="handshakes at once (default 50)"
    )


@dataclass
class Traffic:
    """Frames received after hello, and the presence frames and bytes among them."""

    frames: int = 0
    presence_frames: int = 0
    presence_bytes: int = 0
    last_frame: float = 0.0

    def count(self, data: bytes) -> None:
        self.frames += 1
        self.last_frame = time.monotonic()
        if data.startswith(PRESENCE):
            self.presence_frames += 1
            self.presence_bytes += len(data)


@dataclass
class Storm:
    label: str
    sockets: int
    connected: int = 0
    all_hello_s: float = float("nan")
    hello_times: list[float] = field(default_factory=list)
    settle_s: float = float("nan")
    observer: Traffic = field(default_factory=Traffic)
    clients: Traffic = field(default_factory=Traffic)
    server_cpu: float = 0.0
    failures: Counter[str] = field(default_factory=Counter)
    closed: Counter[str] = field(default_factory=Counter)
    note: str = ""


async def _read(ws: ClientConnection, traffic: Traffic, storm: Storm) -> None:
    try:
        while True:
            traffic.count(await ws.recv(decode=False))
    except ConnectionClosed as closed:
        storm.closed[str(closed.rcvd.code if closed.rcvd else "no close frame")] += 1


async def storm(
    label: str,
    specs: list[fanout.Socket],
    observer: fanout.Socket | None,
    warm: list[fanout.Socket],
    pids: list[int],
    in_flight: int,
) -> Storm:
    """Open the observer, then every client at once (`in_flight` handshakes at a time)."""
    result = Storm(label, len(specs))
    for spec in warm:
        await fanout._warm_up(spec)
    clients: list[ClientConnection] = []
    readers: list[asyncio.Task] = []
    try:
        if observer is not None:
            ws = await fanout._connect(observer)
            hello = json.loads(await asyncio.wait_for(ws.recv(), 30))
            await ws.send(json.dumps({"type": "resume", "after": hello.get("seq", 0)}))
            clients.append(ws)
            await asyncio.sleep(QUIET)  # its own snapshot and the warm-ups' deltas first
            readers.append(asyncio.create_task(_read(ws, result.observer, result)))
        gate = asyncio.Semaphore(in_flight)
        began = time.monotonic()
        cpu = sum(targets.cpu_seconds(pid) for pid in pids)

        async def open_one(spec: fanout.Socket) -> None:
            async with gate:
                try:
                    ws = await fanout._connect(spec)
                    hello = json.loads(await asyncio.wait_for(ws.recv(), 120))
                    result.hello_times.append(time.monotonic() - began)
                    await ws.send(json.dumps({"type": "resume", "after": hello.get("seq", 0)}))
                except ConnectionClosed as closed:
                    result.failures[f"closed {closed.rcvd.code if closed.rcvd else '?'}"] += 1
                    return
                except Exception as error:  # counted and reported, not fatal
                    result.failures[type(error).__name__] += 1
                    return
                clients.append(ws)
                readers.append(asyncio.create_task(_read(ws, result.clients, result)))

        try:
            await asyncio.wait_for(asyncio.gather(*(open_one(spec) for spec in specs)), STORM_LIMIT)
        except TimeoutError:
            result.note = f"only {len(result.hello_times)} hellos within {STORM_LIMIT:.0f} s; "
        result.connected = len(result.hello_times)
        result.all_hello_s = max(result.hello_times, default=float("nan"))
        # Presence has settled once nobody (observer or client) got a frame for QUIET s.
        while time.monotonic() - began < SETTLE_LIMIT:
            last = max(result.observer.last_frame, result.clients.last_frame, began)
            if time.monotonic() - last >= QUIET:
                break
            await asyncio.sleep(0.25)
        else:
            result.note += f"presence still flowing after {SETTLE_LIMIT:.0f} s; "
        result.settle_s = max(result.observer.last_frame, result.clients.last_frame, began) - began
        result.server_cpu = sum(targets.cpu_seconds(pid) for pid in pids) - cpu
    finally:
        for ws in clients:
            ws.transport.abort()
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    return result


def run_daphne(
    label: str, env: dict[str, str], seeded: fanout.Seeded, processes: int, in_flight: int
) -> Storm:
    with targets.daphne_servers("connect-storm", env, processes) as servers:
        specs = fanout.group_sockets(servers.ports, seeded.member_keys)
        # The observer is the writer, on the first process; a member warms up each other one.
        observer = fanout.group_sockets(servers.ports, [seeded.writer_key])[0]
        warm = fanout.group_sockets(servers.ports, seeded.member_keys[:processes])
        return asyncio.run(storm(label, specs, observer, warm, servers.pids, in_flight))


def run_raw(count: int, in_flight: int) -> Storm:
    port = targets.free_port()
    server = targets.Process("raw", [sys.executable, "-m", "bench.raw_server", str(port)])
    try:
        targets.wait_until(server, targets.listening(port))
        spec = fanout.Socket(f"ws://127.0.0.1:{port}/", f"http://127.0.0.1:{port}", {})
        return asyncio.run(
            storm("raw websockets", [spec] * count, None, [spec], [server.pid], in_flight)
        )
    finally:
        server.stop()


def report(title: str, results: list[Storm]) -> None:
    raw = next(r for r in results if r.label == "raw websockets")
    print(f"\n{title}")
    print(
        f"{'target':<34}{'hello/sockets':>15}{'all hello s':>13}{'/raw':>7}{'p50 s':>7}"
        f"{'settled s':>11}{'observer presence':>19}{'KB':>9}{'clients presence':>18}"
        f"{'MB':>8}{'CPU s':>7}"
    )
    for r in results:
        observer = "-" if r is raw else f"{r.observer.presence_frames}"
        observer_kb = "-" if r is raw else f"{r.observer.presence_bytes / 1024:.1f}"
        clients = "-" if r is raw else f"{r.clients.presence_frames}"
        clients_mb = "-" if r is raw else f"{r.clients.presence_bytes / 2**20:.1f}"
        p50 = targets.percentile_ms(r.hello_times, 0.5) / 1000
        print(
            f"{r.label:<34}{f'{r.connected}/{r.sockets}':>15}{r.all_hello_s:>13.2f}"
            f"{targets.ratio(r.all_hello_s, raw.all_hello_s):>7}{p50:>7.2f}{r.settle_s:>11.1f}"
            f"{observer:>19}{observer_kb:>9}{clients:>18}{clients_mb:>8}{r.server_cpu:>7.1f}"
        )
    for r in results:
        extra = []
        if r.failures:
            extra.append(f"handshake failures {dict(r.failures)}")
        if r.closed:
            extra.append(f"closed {dict(r.closed)}")
        if r.note:
            extra.append(r.note.rstrip("; "))
        if extra:
            print(f"  {r.label}: {'; '.join(extra)}")
    print(
        "  all hello: from the first handshake to the last client's hello; settled: until no "
        "socket got a frame for 3 s; observer: a socket open before the storm; clients "
        "presence: every presence frame all the storm's clients received"
    )


def main(options: targets.Options | None = None, args=None) -> None:
    options = options or targets.Options()
    count, in_flight = SOCKETS, IN_FLIGHT
    if args is not None:
        count, in_flight = args.sockets, args.in_flight
    targets.raise_open_files(2 * count + 256)
    with targets.redis_for(options, "connect_storm") as redis:
        for database in targets.databases(options, "connect_storm"):
            runs = fanout.configurations(database, options.processes or DEFAULT_PROCESSES, redis)
            if not runs:
                continue
            seeded = fanout.seed(targets.server_env(database), count, prefix="storm")
            results = [
                run_daphne(label, targets.server_env(database, url), seeded, processes, in_flight)
                for label, processes, url in runs
            ]
            results.append(run_raw(count, in_flight))
            where = f"; Redis: {redis.label}" if redis else ""
            report(
                f"connect_storm on {database.label} ({database.name}{where}): {count} sockets, "
                f"{in_flight} handshakes in flight, raw baseline measured in the same run",
                results,
            )
