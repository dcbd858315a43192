"""Live fan-out: N members' sockets on one group receive every new reply, against raw websockets.

N signed-in sockets on `/ws/groups/legal-policy/` and a writer replying over HTTP at a
fixed rate; every socket should receive each `post.created` frame. Run on each database
(SQLite, and PostgreSQL when reachable: see bench/targets.py) with one Daphne process
and with two sharing Redis (half the sockets on each), then, in the same run, against
the baseline: a minimal `websockets` server (bench/raw_server.py) that encodes each post
once and `broadcast()`s it, with the same client, sizes and rate.

`python -m bench fanout [--db sqlite|postgres|all] [--processes 1,2] [--sockets N]
[--rate R] [--seconds S]`; the environment variables BENCH_SOCKETS (1000), BENCH_RATE
(20 posts/s) and BENCH_SECONDS (10) set the defaults.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as sync_connect

from bench import targets

SOCKETS = int(os.environ.get("BENCH_SOCKETS", "1000"))
RATE = float(os.environ.get("BENCH_RATE", "20"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
GROUP = "legal-policy"
DEFAULT_PROCESSES = [1, 2]

# Handshakes in flight at once: enough to keep the server busy, few enough not to
# time out while it works through the queue.
CONNECT_CONCURRENCY = 50
CONNECT_LIMIT = 300.0  # seconds for all handshakes before the run gives up
# The presence storm has settled once no frame arrived for QUIET seconds (longer than
# the hub's one-second presence coalescing), or after SETTLE_LIMIT seconds at most.
QUIET = 3.0
SETTLE_LIMIT = 180.0
DRAIN_LIMIT = 30.0  # seconds to wait for the last posts after the poster stops
# Several poster connections, so one slow reply does not push the whole schedule back.
POSTER_THREADS = 4
HTTP_TIMEOUT = 30.0

POST_CREATED = b'{"type":"post.created"'
MARKER = re.compile(rb"bench-(\d+)-(\d+\.\d+)")
# The post's created_at is stamped in reply() (the raw server: on receipt), so receipt
# minus created_at leaves out the HTTP request, auth and the view around it.
CREATED_AT = re.compile(rb'"created_at":"([^"]+)"')


def add_arguments(parser) -> None:
    parser.add_argument("--sockets", type=int, default=SOCKETS, help="sockets (default 1000)")
    parser.add_argument("--rate", type=float, default=RATE, help="posts per second (default 20)")
    parser.add_argument("--seconds", type=float, default=SECONDS, help="posting time (default 10)")


# --- seeding -------------------------------------------------------------------------


@dataclass
class Seeded:
    opening_post: int
    writer_key: str
    member_keys: list[str]


def seed(env: dict[str, str], count: int, prefix: str = "fanout") -> Seeded:
    """Migrate the benchmark database; return the thread and fresh sessions of its members."""
    targets.prepare(env)
    data = targets.job(env, "seed_group_members", prefix, count)
    return Seeded(data["post"], data["writer"], data["members"])


# --- posting -------------------------------------------------------------------------


class Sender(Protocol):
    def send(self, body: str) -> bool: ...

    def close(self) -> None: ...


class Poster(Protocol):
    def prepare(self) -> None:
        """Get ready to post and post once (a warm-up, without a marker)."""

    def sender(self) -> Sender:
        """Return a sender with its own connection."""


class HttpSender:
    def __init__(
        self, port: int, path: str, headers: dict[str, str], token: str, timeout: float
    ) -> None:
        self.port, self.path, self.headers, self.token = port, path, headers, token
        self.timeout = timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.location = ""  # where the last accepted reply redirected to: /p/<id>/

    def send(self, body: str) -> bool:
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": self.token, "body": body})
        try:
            self.conn.request("POST", self.path, body=form, headers=self.headers)
            response = self.conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            # Never retry: the post may have been written. Reconnect for the next one.
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            return False
        self.location = response.getheader("Location", "")
        return response.status == 302  # redirect to the new post

    def close(self) -> None:
        self.conn.close()


class HttpPoster:
    """Replies through the forum's own form: view, reply(), commit, publish."""

    def __init__(
        self,
        port: int,
        post_id: int,
        session_key: str,
        *,
        timeout: float = HTTP_TIMEOUT,
        warm_up: bool = True,
    ) -> None:
        self.port, self.path, self.session_key = port, f"/p/{post_id}/reply/", session_key
        self.timeout, self.warm_up = timeout, warm_up
        self.headers: dict[str, str] = {}
        self.token = ""

    def prepare(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request("GET", self.path, headers={"Cookie": f"sessionid={self.session_key}"})
            response = conn.getresponse()
            page = response.read().decode()
        finally:
            conn.close()
        if response.status != 200:
            raise RuntimeError(f"GET {self.path} answered {response.status}")
        csrf = targets.csrf_cookie(response)
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if found is None:
            raise RuntimeError("no CSRF token in the reply form")
        self.token = found[1]
        origin = f"http://127.0.0.1:{self.port}"
        # Over plain http Django checks Origin against the Host; Referer only over https.
        self.headers = {
            "Cookie": f"sessionid={self.session_key}; csrftoken={csrf}",
            "Origin": origin,
            "Referer": origin + self.path,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        if not self.warm_up:
            return
        warm = self.sender()
        try:
            if not warm.send("Warm-up reply (no marker)."):
                raise RuntimeError("the warm-up reply was refused")
        finally:
            warm.close()

    def sender(self) -> HttpSender:
        return HttpSender(self.port, self.path, self.headers, self.token, self.timeout)


class RawSender:
    def __init__(self, port: int) -> None:
        self.ws = sync_connect(f"ws://127.0.0.1:{port}/post", compression=None, open_timeout=30)

    def send(self, body: str) -> bool:
        self.ws.send(body)
        return True

    def close(self) -> None:
        self.ws.close()


class RawPoster:
    """Posts over an extra websocket to the raw server, which broadcasts each text."""

    def __init__(self, port: int) -> None:
        self.port = port

    def prepare(self) -> None:
        warm = self.sender()
        warm.send("Warm-up (no marker).")
        warm.close()

    def sender(self) -> RawSender:
        return RawSender(self.port)


@dataclass
class Posting:
    attempted: int = 0
    accepted: int = 0
    seconds: float = 0.0
    round_trips: list[float] = field(default_factory=list)
    max_late: float = 0.0  # how far behind schedule a send started, at worst


def post_on_schedule(poster: Poster, rate: float, seconds: float) -> Posting:
    """Send rate x seconds marked posts, message i due at start + i / rate."""
    total = int(rate * seconds)
    result = Posting(attempted=total)
    lock = threading.Lock()
    start = time.monotonic() + 0.5  # time for every thread to connect

    def worker(k: int) -> None:
        sender = poster.sender()
        accepted, round_trips, late = 0, [], 0.0
        try:
            for i in range(k, total, POSTER_THREADS):
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                late = max(late, -delay)
                sent_at = time.time()
                began = time.perf_counter()
                if sender.send(f"Fan-out check bench-{i}-{sent_at:.6f}"):
                    accepted += 1
                round_trips.append(time.perf_counter() - began)
        finally:
            sender.close()
            with lock:
                result.accepted += accepted
                result.round_trips.extend(round_trips)
                result.max_late = max(result.max_late, late)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(POSTER_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - start
    return result


# --- clients -------------------------------------------------------------------------


@dataclass
class Socket:
    url: str
    origin: str
    headers: dict[str, str]


@dataclass
class Inbox:
    """What every client received; updated by one reader task per socket (one event loop)."""

    frames: int = 0
    last_frame: float = 0.0  # monotonic
    latencies: list[float] = field(default_factory=list)
    server_latencies: list[float] = field(default_factory=list)
    duplicates: int = 0
    closed: Counter[str] = field(default_factory=Counter)


async def _read(ws: ClientConnection, inbox: Inbox) -> None:
    """Count every frame; time each marked post.created once per socket."""
    seen: set[int] = set()
    try:
        while True:
            data = await ws.recv(decode=False)  # bytes: no UTF-8 decoding of presence frames
            received = time.time()
            inbox.frames += 1
            inbox.last_frame = time.monotonic()
            if data.startswith(POST_CREATED) and (marker := MARKER.search(data)):
                number = int(marker[1])
                if number in seen:
                    inbox.duplicates += 1
                else:
                    seen.add(number)
                    inbox.latencies.append(received - float(marker[2]))
                    if stamp := CREATED_AT.search(data):
                        created = datetime.fromisoformat(stamp[1].decode()).timestamp()
                        inbox.server_latencies.append(received - created)
    except ConnectionClosed as closed:
        inbox.closed[str(closed.rcvd.code if closed.rcvd else "no close frame")] += 1


def _connect(spec: Socket) -> connect:
    return connect(
        spec.url,
        origin=spec.origin,
        additional_headers=spec.headers,
        compression=None,
        open_timeout=60,
        ping_interval=None,  # Daphne pings; a busy client loop must not drop sockets itself
        close_timeout=2,
        max_size=2**22,  # a presence snapshot of 1,000 members is about 100 KB
    )


async def _warm_up(spec: Socket) -> None:
    """Open and close one socket, so first-use imports and caches don't count per socket."""
    async with _connect(spec) as ws:
        await asyncio.wait_for(ws.recv(), 30)


@dataclass
class Result:
    label: str
    sockets: int
    connected: int = 0
    connect_s: float = float("nan")
    settle_s: float = float("nan")
    storm_frames: int = 0
    kb_per_socket: float = float("nan")
    expected: int = 0
    delivered: int = 0
    duplicates: int = 0
    latencies: list[float] = field(default_factory=list)
    server_latencies: list[float] = field(default_factory=list)
    posting: Posting | None = None
    closed: Counter[str] = field(default_factory=Counter)
    server_cpu: float = 0.0  # CPU seconds of the server process(es) while posting
    client_cpu: float = 0.0  # and of this process (all clients and the poster)
    note: str = ""

    @property
    def posts_per_second(self) -> float:
        posting = self.posting
        return posting.accepted / posting.seconds if posting and posting.seconds else 0.0

    def percentile_ms(self, q: float, *, server: bool = False) -> float:
        """Latency percentile from the poster's send (or from created_at if `server`)."""
        return targets.percentile_ms(self.server_latencies if server else self.latencies, q)


async def measure(
    label: str,
    sockets: list[Socket],
    pids: list[int],
    poster: Poster,
    warm_up: Socket,
    probe: Callable[[], str] | None = None,
) -> Result:
    """Connect, let presence settle, measure idle memory, post on schedule, count arrivals."""
    result = Result(label, len(sockets))
    inbox = Inbox()
    await _warm_up(warm_up)
    await asyncio.to_thread(poster.prepare)
    await asyncio.sleep(2)  # the warm-up's presence delta goes out after one second
    rss_before = sum(targets.rss_kb(pid) for pid in pids)

    clients: list[ClientConnection] = []
    readers: list[asyncio.Task] = []
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    failures: Counter[str] = Counter()

    async def open_one(spec: Socket) -> None:
        async with gate:
            try:
                ws = await _connect(spec)
            except Exception as error:  # counted and reported, not fatal
                failures[type(error).__name__] += 1
                return
            try:
                hello = json.loads(await asyncio.wait_for(ws.recv(), 60))
                # Like the forum's live.js: say where we are, so live events flow at once
                # (the server holds them until the first resume, or for three seconds).
                await ws.send(json.dumps({"type": "resume", "after": hello.get("seq", 0)}))
            except ConnectionClosed as closed:
                failures[f"closed {closed.rcvd.code if closed.rcvd else '?'}"] += 1
                return
            except Exception as error:  # counted and reported, not fatal
                failures[type(error).__name__] += 1
                ws.transport.abort()
                return
            clients.append(ws)
            readers.append(asyncio.create_task(_read(ws, inbox)))

    began = time.monotonic()
    try:
        opening = asyncio.gather(*(open_one(spec) for spec in sockets))
        try:
            await asyncio.wait_for(opening, CONNECT_LIMIT)
        except TimeoutError:
            result.note = f"only {len(clients)} handshakes within {CONNECT_LIMIT:.0f} s; "
        result.connect_s = time.monotonic() - began
        result.connected = len(clients)
        if failures:
            result.note += f"handshake failures {dict(failures)}; "

        # Wait for the presence storm to end: no frame for QUIET seconds.
        while time.monotonic() - began < SETTLE_LIMIT:
            if time.monotonic() - max(inbox.last_frame, began) >= QUIET:
                break
            await asyncio.sleep(0.25)
        else:
            result.note += f"presence still flowing after {SETTLE_LIMIT:.0f} s; "
        result.settle_s = max(inbox.last_frame, began) - began
        result.storm_frames = inbox.frames
        rss_after = sum(targets.rss_kb(pid) for pid in pids)
        result.kb_per_socket = (rss_after - rss_before) / max(1, result.connected)
        if probe is not None:
            result.note += probe() + "; "

        open_now = sum(1 for ws in clients if ws.state.name == "OPEN")
        server_cpu, client_cpu = sum(targets.cpu_seconds(pid) for pid in pids), targets.own_cpu()
        result.posting = await asyncio.to_thread(post_on_schedule, poster, RATE, SECONDS)
        result.server_cpu = sum(targets.cpu_seconds(pid) for pid in pids) - server_cpu
        result.client_cpu = targets.own_cpu() - client_cpu
        result.expected = result.posting.attempted * open_now
        # Drain: until everything arrived, nothing arrived for QUIET seconds, or the limit.
        drain_began = time.monotonic()
        while time.monotonic() - drain_began < DRAIN_LIMIT:
            if len(inbox.latencies) >= result.expected:
                break
            if time.monotonic() - max(inbox.last_frame, drain_began) >= QUIET:
                break
            await asyncio.sleep(0.1)
        result.delivered = len(inbox.latencies)
        result.latencies = list(inbox.latencies)
        result.server_latencies = list(inbox.server_latencies)
        result.duplicates = inbox.duplicates
        result.closed = Counter(inbox.closed)
    finally:
        # Abort rather than close: no closing handshakes, the servers are stopped next.
        for ws in clients:
            ws.transport.abort()
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    return result


# --- the targets ---------------------------------------------------------------------


def group_sockets(ports: list[int], keys: list[str], path: str = f"/ws/groups/{GROUP}/"):
    """One socket per session key, spread round-robin over the Daphne processes."""
    specs = []
    for i, key in enumerate(keys):
        port = ports[i % len(ports)]
        specs.append(
            Socket(
                f"ws://127.0.0.1:{port}{path}",
                f"http://127.0.0.1:{port}",
                {"Cookie": f"sessionid={key}"},
            )
        )
    return specs


def run_daphne(
    label: str, env: dict[str, str], seeded: Seeded, processes: int, redis: targets.Redis | None
) -> Result:
    """`processes` Daphne processes (sharing `redis` when given); the poster uses the first."""
    with targets.daphne_servers("fanout", env, processes) as servers:
        ports = servers.ports
        sockets = group_sockets(ports, seeded.member_keys)
        # Warm every process up; the second warm-up socket uses a member session.
        warm = group_sockets(ports, [seeded.writer_key, *seeded.member_keys[: processes - 1]])
        for spec in warm[1:]:
            asyncio.run(_warm_up(spec))
        poster = HttpPoster(ports[0], seeded.opening_post, seeded.writer_key)
        probe = None
        if redis is not None and redis.private and processes > 1:
            probe = _subscriptions(redis.url)
        return asyncio.run(measure(label, sockets, servers.pids, poster, warm[0], probe))


def _subscriptions(url: str) -> Callable[[], str]:
    def probe() -> str:
        # Evidence for the report: the hub needs a few channels per process, not per socket.
        import redis as redis_client

        client = redis_client.Redis.from_url(url, socket_timeout=5)
        try:
            return f"{len(client.pubsub_channels())} Redis pub/sub channels with sockets open"
        finally:
            client.close()

    return probe


def run_raw(count: int) -> Result:
    """The baseline: `count` sockets on a minimal websockets broadcast server."""
    port = targets.free_port()
    server = targets.Process("raw", [sys.executable, "-m", "bench.raw_server", str(port)])
    try:
        targets.wait_until(server, targets.listening(port))
        spec = Socket(f"ws://127.0.0.1:{port}/", f"http://127.0.0.1:{port}", {})
        return asyncio.run(
            measure("raw websockets", [spec] * count, [server.pid], RawPoster(port), spec)
        )
    finally:
        server.stop()


def configurations(
    database: targets.Database, processes: list[int], redis: targets.Redis | None
) -> list[tuple[str, int, str | None]]:
    """(label, processes, Redis URL) of each Daphne run on `database`.

    SQLite with one process uses the in-memory channel layer (the embedded default);
    PostgreSQL runs with Redis, as deployed. Two processes always share Redis.
    """
    runs = []
    for count in processes:
        with_redis = count > 1 or database.kind == "postgres"
        if with_redis and redis is None:
            if count > 1:
                continue
            with_redis = False
        layer = " + Redis" if with_redis else ""
        label = f"{database.label}{layer}, {count} process{'es' if count > 1 else ''}"
        runs.append((label, count, redis.url if with_redis else None))
    return runs


# --- report --------------------------------------------------------------------------


def report(title: str, results: list[Result]) -> None:
    """Print the table (ratios against the raw baseline) and one detail line per target."""
    raw = next(r for r in results if r.label == "raw websockets")
    raw_p99, raw_kb = raw.percentile_ms(0.99), raw.kb_per_socket
    raw_server_p99 = raw.percentile_ms(0.99, server=True)
    print(f"\n{title}")
    head = (
        f"{'target':<34}{'sockets':>8}{'delivered/expected':>24}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'p99/raw':>9}{'KB/socket':>11}{'KB/raw':>8}{'srv p50':>9}{'srv p99':>9}{'/raw':>7}"
        f"{'posts/s':>9}"
    )
    print(head)
    ratio = targets.ratio
    for r in results:
        share = 100 * r.delivered / r.expected if r.expected else 0.0
        delivered = f"{r.delivered}/{r.expected} ({share:.1f}%)"
        p99 = r.percentile_ms(0.99)
        print(
            f"{r.label:<34}{r.connected:>8}{delivered:>24}{r.percentile_ms(0.5):>9.1f}"
            f"{p99:>9.1f}{ratio(p99, raw_p99):>9}{r.kb_per_socket:>11.1f}"
            f"{ratio(r.kb_per_socket, raw_kb):>8}{r.percentile_ms(0.5, server=True):>9.1f}"
            f"{r.percentile_ms(0.99, server=True):>9.1f}"
            f"{ratio(r.percentile_ms(0.99, server=True), raw_server_p99):>7}"
            f"{r.posts_per_second:>9.1f}"
        )
    for r in results:
        posting = r.posting or Posting()
        trips = sorted(posting.round_trips) or [float("nan")]
        print(
            f"  {r.label}: {r.connected}/{r.sockets} connected in {r.connect_s:.1f} s, "
            f"last connect-time frame at {r.settle_s:.1f} s ({r.storm_frames} frames after hello); "
            f"posts accepted {posting.accepted}/{posting.attempted} in {posting.seconds:.1f} s, "
            f"post round trip p50 {trips[len(trips) // 2] * 1000:.0f} ms "
            f"p99 {trips[min(len(trips) - 1, int(0.99 * len(trips)))] * 1000:.0f} ms, "
            f"worst start {posting.max_late * 1000:.0f} ms behind schedule; "
            f"CPU while posting: servers {r.server_cpu:.1f} s, clients {r.client_cpu:.1f} s; "
            f"duplicates {r.duplicates}; closed {dict(r.closed) or 'none'}"
            + (f"; {r.note.rstrip('; ')}" if r.note else "")
        )


def main(options: targets.Options | None = None, args=None) -> None:
    """On each database: seed, measure each Daphne configuration, then the raw baseline."""
    global SOCKETS, RATE, SECONDS
    options = options or targets.Options()
    if args is not None:
        SOCKETS, RATE, SECONDS = args.sockets, args.rate, args.seconds
    targets.raise_open_files(2 * SOCKETS + 256)
    with targets.redis_for(options, "fanout") as redis:
        for database in targets.databases(options, "fanout"):
            results = []
            runs = configurations(database, options.processes or DEFAULT_PROCESSES, redis)
            if not runs:
                continue
            seeded = seed(targets.server_env(database), SOCKETS)
            for label, processes, redis_url in runs:
                env = targets.server_env(database, redis_url)
                results.append(run_daphne(label, env, seeded, processes, redis))
            results.append(run_raw(SOCKETS))
            where = f"; Redis: {redis.label}" if redis else ""
            report(
                f"fanout on {database.label} ({database.name}{where}): {SOCKETS} sockets, "
                f"{RATE:g} posts/s for {SECONDS:g} s, raw baseline measured in the same run",
                results,
            )
    print(
        "  p50/p99: poster's send to receipt; srv p50/p99: the post's created_at (stamped in "
        "reply(), or on receipt by the raw server) to receipt"
    )
