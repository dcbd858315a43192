"""Live fan-out: N members' sockets on one group receive every new reply, against raw websockets.

One Daphne process (the in-memory channel layer) serves N signed-in sockets on
`/ws/groups/legal-policy/`; a poster writes replies over HTTP at a fixed rate and
every socket should receive each `post.created` frame. The baseline, measured in
the same run with the same client, is a minimal `websockets` server that encodes
each post once and `broadcast()`s it. With BENCH_CLUSTER=1 the same runs against
two Daphne processes sharing a private redis-server, half the sockets on each.

Environment: BENCH_SOCKETS (1000), BENCH_RATE (20 posts/s), BENCH_SECONDS (10),
BENCH_CLUSTER (0).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import resource
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as sync_connect

from bench.server import prepare

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
DATABASE = VAR / "bench-fanout.sqlite3"
SOCKETS = int(os.environ.get("BENCH_SOCKETS", "1000"))
RATE = float(os.environ.get("BENCH_RATE", "20"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CLUSTER = os.environ.get("BENCH_CLUSTER", "0") == "1"
REDIS_SERVER = "/usr/bin/redis-server"
GROUP = "legal-policy"

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


# --- seeding -------------------------------------------------------------------------

SEED = r"""
import django, json, sys
django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import transaction
from accounts.models import Member
from forum.actions import threads as actions
from forum.models import Membership, Post, Thread, WorkingGroup

count = int(sys.argv[1])
group = WorkingGroup.objects.get(slug="legal-policy")
writer, _ = Member.objects.get_or_create(
    email="fanout.writer@bench.example",
    defaults={"display_name": "Fan-out Writer", "handle": "fanout-writer", "country": "ZM"})
emails = [f"fanout.{i:05d}@bench.example" for i in range(count)]
existing = set(Member.objects.filter(email__in=emails).values_list("email", flat=True))
new = []
for i, email in enumerate(emails):
    if email not in existing:
        member = Member(email=email, display_name=f"Fan-out Member {i:05d}",
                        handle=f"fanout-{i:05d}", country="ZM")
        member.set_unusable_password()
        new.append(member)
Member.objects.bulk_create(new, batch_size=500)
members = list(Member.objects.filter(email__in=emails).order_by("email"))
Membership.objects.bulk_create(
    [Membership(member=m, group=group) for m in [writer, *members]], ignore_conflicts=True)
# A trusted member publishes cross-border replies at once (a plain member's would wait
# for a moderator under the group's default policy, and reach no reader's socket).
Membership.objects.filter(member=writer, group=group).update(role="trusted")
thread = Thread.objects.filter(group=group, title="Fan-out benchmark thread").first()
if thread is None:
    thread = actions.create_thread(author=writer, group=group, title="Fan-out benchmark thread",
                                   body="Replies here are written by bench/fanout.py.",
                                   audience="group")
opening = Post.objects.get(thread=thread, number=1)

def session_for(member):
    session = SessionStore()
    session[SESSION_KEY] = str(member.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = member.get_session_auth_hash()
    session.create()
    return session.session_key

with transaction.atomic():
    Session.objects.all().delete()  # the benchmark's own database: no stale sessions pile up
    keys = [session_for(m) for m in members]
    writer_key = session_for(writer)
print(json.dumps({"post": opening.pk, "writer": writer_key, "members": keys}))
"""


@dataclass
class Seeded:
    opening_post: int
    writer_key: str
    member_keys: list[str]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("REDIS_URL", None)  # single-process runs use the in-memory layer
    env.update(
        DJANGO_SETTINGS_MODULE="forum.settings",
        DEBUG="0",
        SECRET_KEY=env.get("SECRET_KEY", "bench-only-secret-key-" + "x" * 30),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=f"sqlite:///{DATABASE}",
        FORUM_POSTS_PER_MINUTE="100000",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def seed(count: int) -> Seeded:
    """Migrate the benchmark database and return the thread and fresh sessions."""
    env = _env()
    printed = prepare(env, SEED, str(count))
    data = json.loads(printed.strip().splitlines()[-1])
    return Seeded(data["post"], data["writer"], data["members"])


# --- processes -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


class Process:
    """A child process with its output in a log file under var/; stop() is safe to repeat."""

    def __init__(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        self.name = name
        self.log_path = VAR / f"bench-fanout-{name}.log"
        with open(self.log_path, "wb") as log:
            self.popen = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            tail = self.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{tail}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)


def _wait_until(process: Process, ready: Callable[[], bool], limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        process.check_alive()
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{process.name} not ready after {limit:.0f} s")


def _healthy(port: int) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                return reply.status == 200
        except OSError:
            return False

    return probe


def _listening(port: int) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    return probe


def start_daphne(name: str, port: int, **extra_env: str) -> Process:
    """Start one Daphne process on `port` and wait for /healthz."""
    env = _env(CSRF_TRUSTED_ORIGINS=f"http://127.0.0.1:{port}", **extra_env)
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
    process = Process(name, [*command, "forum.asgi:application"], env)
    try:
        _wait_until(process, _healthy(port))
    except BaseException:
        process.stop()
        raise
    return process


RAW_SERVER = r"""
import asyncio, json, sys
from datetime import datetime, timezone
from websockets.asyncio.server import broadcast, serve

clients = set()
seq = 0

async def handler(ws):
    global seq
    if ws.request.path == "/post":
        async for text in ws:
            seq += 1
            # About the size of the forum's post.created frame; encoded once for everyone.
            frame = json.dumps({"type": "post.created", "seq": seq, "data": {
                "id": seq, "thread": 1, "parent": 1, "number": seq + 1, "depth": 1,
                "path": "000001%06d" % (seq + 1), "status": "published",
                "author": {"id": 1, "name": "Fan-out Writer", "handle": "fanout-writer",
                           "country": "ZM"},
                "html": "<p>" + text + "</p>\n",
                "created_at": datetime.now(timezone.utc).isoformat(), "edited_at": None}},
                separators=(",", ":"))
            broadcast(clients, frame)
        return
    await ws.send(json.dumps({"type": "hello", "seq": seq}, separators=(",", ":")))
    clients.add(ws)
    try:
        await ws.wait_closed()
    finally:
        clients.discard(ws)

async def main():
    # No permessage-deflate: Daphne does not compress either, and it costs memory per socket.
    async with serve(handler, "127.0.0.1", int(sys.argv[1]), compression=None):
        await asyncio.get_running_loop().create_future()

asyncio.run(main())
"""


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
    def __init__(self, port: int, path: str, headers: dict[str, str], token: str) -> None:
        self.port, self.path, self.headers, self.token = port, path, headers, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)

    def send(self, body: str) -> bool:
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": self.token, "body": body})
        try:
            self.conn.request("POST", self.path, body=form, headers=self.headers)
            response = self.conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            # Never retry: the post may have been written. Reconnect for the next one.
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT)
            return False
        return response.status == 302  # redirect to the new post

    def close(self) -> None:
        self.conn.close()


class HttpPoster:
    """Replies through the forum's own form: view, reply(), commit, publish."""

    def __init__(self, port: int, post_id: int, session_key: str) -> None:
        self.port, self.path, self.session_key = port, f"/p/{post_id}/reply/", session_key
        self.headers: dict[str, str] = {}
        self.token = ""

    def prepare(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT)
        try:
            conn.request("GET", self.path, headers={"Cookie": f"sessionid={self.session_key}"})
            response = conn.getresponse()
            page = response.read().decode()
        finally:
            conn.close()
        if response.status != 200:
            raise RuntimeError(f"GET {self.path} answered {response.status}")
        cookies = response.msg.get_all("Set-Cookie") or []
        csrf = next(c.split(";")[0].split("=", 1)[1] for c in cookies if c.startswith("csrftoken="))
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
        warm = self.sender()
        try:
            if not warm.send("Warm-up reply (no marker)."):
                raise RuntimeError("the warm-up reply was refused")
        finally:
            warm.close()

    def sender(self) -> HttpSender:
        return HttpSender(self.port, self.path, self.headers, self.token)


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


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def _percentile_ms(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


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
        return _percentile_ms(self.server_latencies if server else self.latencies, q)


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
    rss_before = sum(_rss_kb(pid) for pid in pids)

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
        rss_after = sum(_rss_kb(pid) for pid in pids)
        result.kb_per_socket = (rss_after - rss_before) / max(1, result.connected)
        if probe is not None:
            result.note += probe() + "; "

        open_now = sum(1 for ws in clients if ws.state.name == "OPEN")
        server_cpu, client_cpu = sum(_cpu_seconds(pid) for pid in pids), _own_cpu()
        result.posting = await asyncio.to_thread(post_on_schedule, poster, RATE, SECONDS)
        result.server_cpu = sum(_cpu_seconds(pid) for pid in pids) - server_cpu
        result.client_cpu = _own_cpu() - client_cpu
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


# --- the three targets ---------------------------------------------------------------


def _group_sockets(ports: list[int], keys: list[str]) -> list[Socket]:
    """One socket per session key, spread round-robin over the Daphne processes."""
    specs = []
    for i, key in enumerate(keys):
        port = ports[i % len(ports)]
        specs.append(
            Socket(
                f"ws://127.0.0.1:{port}/ws/groups/{GROUP}/",
                f"http://127.0.0.1:{port}",
                {"Cookie": f"sessionid={key}"},
            )
        )
    return specs


def run_daphne(seeded: Seeded) -> Result:
    """One Daphne process, in-memory channel layer."""
    port = _free_port()
    server = start_daphne("daphne", port)
    try:
        sockets = _group_sockets([port], seeded.member_keys)
        warm = _group_sockets([port], [seeded.writer_key])[0]
        poster = HttpPoster(port, seeded.opening_post, seeded.writer_key)
        return asyncio.run(measure("Daphne, 1 process", sockets, [server.pid], poster, warm))
    finally:
        server.stop()


def run_raw(count: int) -> Result:
    """The baseline: `count` sockets on a minimal websockets broadcast server."""
    port = _free_port()
    server = Process("raw", [sys.executable, "-c", RAW_SERVER, str(port)])
    try:
        _wait_until(server, _listening(port))
        spec = Socket(f"ws://127.0.0.1:{port}/", f"http://127.0.0.1:{port}", {})
        return asyncio.run(
            measure("raw websockets", [spec] * count, [server.pid], RawPoster(port), spec)
        )
    finally:
        server.stop()


def run_cluster(seeded: Seeded) -> Result:
    """Two Daphne processes sharing a private Redis; the poster writes through the first."""
    redis_port = _free_port()
    # A private, memory-only Redis on its own port: the machine's shared one is never used.
    redis = Process(
        "redis",
        [
            REDIS_SERVER,
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ],
    )
    servers: list[Process] = []
    try:
        _wait_until(redis, _listening(redis_port))
        url = f"redis://127.0.0.1:{redis_port}/0"
        ports = [_free_port(), _free_port()]
        for n, port in enumerate(ports):
            servers.append(start_daphne(f"daphne-{n + 1}", port, REDIS_URL=url))
        sockets = _group_sockets(ports, seeded.member_keys)
        # Warm both processes up; the second warm-up socket uses a member session.
        warm = _group_sockets(ports, [seeded.writer_key, seeded.member_keys[0]])
        poster = HttpPoster(ports[0], seeded.opening_post, seeded.writer_key)
        asyncio.run(_warm_up(warm[1]))
        pids = [s.pid for s in servers]

        def subscriptions() -> str:
            # Evidence for the report: the hub needs a few channels per process, not per socket.
            import redis as redis_client

            client = redis_client.Redis(port=redis_port, socket_timeout=5)
            try:
                return f"{len(client.pubsub_channels())} Redis pub/sub channels with sockets open"
            finally:
                client.close()

        label = "Daphne, 2 processes + Redis"
        return asyncio.run(measure(label, sockets, pids, poster, warm[0], subscriptions))
    finally:
        for server in servers:
            server.stop()
        redis.stop()


# --- report --------------------------------------------------------------------------


def _raise_open_files(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}" if base and base == base and value == value else "-"


def report(results: list[Result]) -> None:
    """Print the table (ratios against the raw baseline) and one detail line per target."""
    raw = next(r for r in results if r.label == "raw websockets")
    raw_p99, raw_kb = raw.percentile_ms(0.99), raw.kb_per_socket
    raw_server_p99 = raw.percentile_ms(0.99, server=True)
    print(
        f"\nfanout: {SOCKETS} sockets, {RATE:g} posts/s for {SECONDS:g} s, "
        "raw baseline measured in the same run"
    )
    head = (
        f"{'target':<30}{'sockets':>8}{'delivered/expected':>24}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'p99/raw':>9}{'KB/socket':>11}{'KB/raw':>8}{'srv p50':>9}{'srv p99':>9}{'/raw':>7}"
        f"{'posts/s':>9}"
    )
    print(head)
    for r in results:
        share = 100 * r.delivered / r.expected if r.expected else 0.0
        delivered = f"{r.delivered}/{r.expected} ({share:.1f}%)"
        p99 = r.percentile_ms(0.99)
        print(
            f"{r.label:<30}{r.connected:>8}{delivered:>24}{r.percentile_ms(0.5):>9.1f}"
            f"{p99:>9.1f}{_ratio(p99, raw_p99):>9}{r.kb_per_socket:>11.1f}"
            f"{_ratio(r.kb_per_socket, raw_kb):>8}{r.percentile_ms(0.5, server=True):>9.1f}"
            f"{r.percentile_ms(0.99, server=True):>9.1f}"
            f"{_ratio(r.percentile_ms(0.99, server=True), raw_server_p99):>7}"
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


def main() -> None:
    """Seed, measure Daphne and the raw baseline (and the cluster if asked), report."""
    _raise_open_files(2 * SOCKETS + 256)
    seeded = seed(SOCKETS)
    results = [run_daphne(seeded), run_raw(SOCKETS)]
    if CLUSTER:
        if Path(REDIS_SERVER).exists():
            results.append(run_cluster(seeded))
        else:
            print(f"BENCH_CLUSTER=1 but {REDIS_SERVER} is missing: cluster run skipped")
    report(results)
    print(
        "  p50/p99: poster's send to receipt; srv p50/p99: the post's created_at (stamped in "
        "reply(), or on receipt by the raw server) to receipt"
    )
