"""Where a benchmark runs: its database, its channel layer and the server processes.

* SQLite: a file of the benchmark's own under var/ (`var/bench-<name>.sqlite3`).
* PostgreSQL: a dedicated benchmark database, created and migrated when missing. Its
  server comes from `--pg-url`, else `DATABASE_URL` (when it is a PostgreSQL URL), else
  the development server `postgres://postgres@127.0.0.1:5432/wgforum`; its name is that
  URL's database name with `_bench` appended (kept as is when it already ends in
  `_bench`), so a benchmark never writes to the development database.
* Redis: `--redis-url`, else `REDIS_URL`, else a private, memory-only `redis-server` on a
  free port, started for the run and stopped after it.

Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookies
import json
import os
import resource
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/wgforum"
REDIS_SERVER = "/usr/bin/redis-server"
BENCH_SUFFIX = "_bench"


# --- options shared by every benchmark -----------------------------------------------------


@dataclass
class Options:
    """The command line's common part: which databases, which servers, how many processes."""

    databases: list[str] = field(default_factory=lambda: ["sqlite", "postgres"])
    pg_url: str | None = None
    redis_url: str | None = None
    processes: list[int] | None = None  # None: the benchmark's own default
    explicit_db: bool = False  # asked for by name: unreachable is an error, not a skip
    worker: str | None = None  # a command to run beside the servers (background tasks)


def add_common_arguments(parser) -> None:
    """Add the flags every benchmark understands to an argparse parser."""
    parser.add_argument(
        "--db",
        choices=["sqlite", "postgres", "all"],
        default="all",
        help="database(s) to run on; 'all' (default) skips PostgreSQL when unreachable",
    )
    parser.add_argument(
        "--pg-url",
        default=None,
        help="PostgreSQL server (default: DATABASE_URL if PostgreSQL, else the dev server); "
        "the benchmark uses <its database name>_bench there",
    )
    parser.add_argument(
        "--redis-url",
        default=None,
        help="Redis for multi-process and PostgreSQL runs (default: REDIS_URL, else a "
        "private redis-server on a free port)",
    )
    parser.add_argument(
        "--processes",
        default=None,
        help="Daphne process counts to run, comma-separated: 1, 2 or 1,2 (2 needs Redis; "
        "default: 1,2 for fanout and connect_storm, 1 for the others)",
    )
    parser.add_argument(
        "--worker",
        default=os.environ.get("BENCH_WORKER"),
        help="a manage.py command to run beside the servers (e.g. 'db_worker'); by default "
        "db_worker is started when the project has it",
    )


def options_from(args) -> Options:
    processes = None
    if args.processes is not None:
        processes = sorted({int(p) for p in str(args.processes).split(",") if p.strip()})
        if not processes or any(p not in (1, 2) for p in processes):
            raise SystemExit("--processes takes 1, 2 or 1,2")
    return Options(
        databases=["sqlite", "postgres"] if args.db == "all" else [args.db],
        pg_url=args.pg_url,
        redis_url=args.redis_url,
        processes=processes,
        explicit_db=args.db != "all",
        worker=args.worker,
    )


# --- databases -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    kind: str  # "sqlite" or "postgres"
    url: str

    @property
    def label(self) -> str:
        return "SQLite" if self.kind == "sqlite" else "PostgreSQL"

    @property
    def name(self) -> str:
        """The database's name: its file under var/ for SQLite."""
        path = urllib.parse.urlsplit(self.url).path
        return "var/" + Path(path).name if self.kind == "sqlite" else path.lstrip("/")


def sqlite_database(benchmark: str) -> Database:
    VAR.mkdir(exist_ok=True)
    return Database("sqlite", f"sqlite:///{VAR / f'bench-{benchmark}.sqlite3'}")


def benchmark_database_name(name: str) -> str:
    """Return the benchmark database's name for a server URL's database `name`."""
    name = name or "wgforum"
    return name if name.endswith(BENCH_SUFFIX) else name + BENCH_SUFFIX


def postgres_database(options: Options) -> Database:
    url = options.pg_url
    if url is None:
        given = os.environ.get("DATABASE_URL", "")
        url = given if given.startswith(("postgres://", "postgresql://")) else DEFAULT_PG_URL
    parts = urllib.parse.urlsplit(url)
    name = benchmark_database_name(parts.path.lstrip("/"))
    return Database("postgres", urllib.parse.urlunsplit(parts._replace(path="/" + name)))


def ensure_postgres(database: Database) -> str | None:
    """Create the benchmark database if missing; return why it cannot be used, or None."""
    import psycopg
    from psycopg import sql

    parts = urllib.parse.urlsplit(database.url)
    server = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [database.name]
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database.name)))
    except psycopg.Error as error:
        return f"PostgreSQL at {parts.hostname}:{parts.port or 5432} unavailable ({error})"
    return None


def databases(options: Options, benchmark: str) -> list[Database]:
    """Return the databases to run on, in order; print why PostgreSQL is skipped."""
    found = []
    for kind in options.databases:
        if kind == "sqlite":
            found.append(sqlite_database(benchmark))
            continue
        database = postgres_database(options)
        problem = ensure_postgres(database)
        if problem is None:
            found.append(database)
        elif options.explicit_db:
            raise SystemExit(f"{benchmark}: {problem}")
        else:
            print(f"{benchmark}: {problem}; PostgreSQL rows skipped")
    return found


# --- environment and preparation -----------------------------------------------------------


def server_env(database: Database, redis_url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of every Django process of a run: the settings come from here only."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="forum.settings",
        DEBUG="0",
        SECRET_KEY=env.get("SECRET_KEY", "bench-only-secret-key-" + "x" * 30),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=database.url,
        FORUM_POSTS_PER_MINUTE="100000",
        LOG_LEVEL="WARNING",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env


def prepare(env: dict[str, str]) -> None:
    """Migrate the database and collect static files (DEBUG=0 serves hashed names)."""
    VAR.mkdir(exist_ok=True)
    for command in (["migrate", "-v", "0"], ["collectstatic", "--no-input", "-v", "0"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)


def job(env: dict[str, str], name: str, *args: object, timeout: float = 1800) -> dict:
    """Run `python -m bench.jobs NAME ARGS` (inside Django) and return its JSON answer."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.jobs", name, *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode:
        raise RuntimeError(f"bench.jobs {name} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def worker_command(options: Options, env: dict[str, str]) -> list[str] | None:
    """The background-task worker to run beside the servers, if the project has one."""
    name = options.worker
    if name is None:
        listed = subprocess.run(
            [sys.executable, "manage.py", "help", "--commands"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        name = "db_worker" if "db_worker" in listed else None
    if not name:
        return None
    return [sys.executable, "manage.py", *name.split()]


# --- processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def raise_open_files(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class Process:
    """A child process with its output in a log file under var/; stop() is safe to repeat."""

    def __init__(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        self.name = name
        VAR.mkdir(exist_ok=True)
        self.log_path = VAR / f"bench-{name}.log"
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


def wait_until(process: Process, ready: Callable[[], bool], limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        process.check_alive()
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{process.name} not ready after {limit:.0f} s")


def healthy(port: int) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                return reply.status == 200
        except OSError:
            return False

    return probe


def listening(port: int) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    return probe


def csrf_cookie(response: http.client.HTTPResponse) -> str:
    """The CSRF cookie `response` set: a browser sends it back with every later request."""
    cookies = http.cookies.SimpleCookie()
    for header in response.msg.get_all("Set-Cookie") or []:
        cookies.load(header)
    if "csrftoken" not in cookies:
        raise RuntimeError(f"no CSRF cookie in the answer ({response.status})")
    return cookies["csrftoken"].value


def start_daphne(name: str, port: int, env: dict[str, str]) -> Process:
    """Start one Daphne process on `port` with `env` and wait for /healthz."""
    env = {**env, "CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{port}"}
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
    if profiles := os.environ.get("BENCH_PROFILE_DIR"):
        # cProfile of the server's event-loop thread, written when the process stops.
        os.makedirs(profiles, exist_ok=True)
        out = os.path.join(profiles, f"{name}.prof")
        command = [sys.executable, "-m", "cProfile", "-o", out, *command[1:]]
    process = Process(name, [*command, "forum.asgi:application"], env)
    try:
        wait_until(process, healthy(port))
    except BaseException:
        process.stop()
        raise
    return process


@dataclass
class Servers:
    """The Daphne processes of one run (and the worker beside them, if any)."""

    ports: list[int]
    processes: list[Process]
    worker: Process | None = None

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]


@contextlib.contextmanager
def daphne_servers(
    name: str, env: dict[str, str], count: int, worker: list[str] | None = None
) -> Iterator[Servers]:
    """Start `count` Daphne processes (and the worker), stop them all on the way out."""
    started: list[Process] = []
    ports: list[int] = []
    helper = None
    try:
        for n in range(count):
            port = free_port()
            started.append(start_daphne(f"{name}-daphne-{n + 1}", port, env))
            ports.append(port)
        if worker:
            helper = Process(f"{name}-worker", worker, env)
        yield Servers(ports, started, helper)
    finally:
        for process in started:
            process.stop()
        if helper is not None:
            helper.stop()


# --- Redis ---------------------------------------------------------------------------------


@dataclass
class Redis:
    url: str
    private: bool

    @property
    def label(self) -> str:
        return "private redis-server" if self.private else self.url


@contextlib.contextmanager
def redis_for(options: Options, name: str) -> Iterator[Redis | None]:
    """Yield the Redis to use (the given one, or a private one for the run), or None."""
    url = options.redis_url or os.environ.get("REDIS_URL")
    if url:
        parts = urllib.parse.urlsplit(url)
        try:
            socket.create_connection((parts.hostname, parts.port or 6379), timeout=2).close()
        except OSError as error:
            print(f"{name}: Redis at {url} unreachable ({error}); Redis rows skipped")
            yield None
            return
        yield Redis(url, private=False)
        return
    if not Path(REDIS_SERVER).exists():
        print(f"{name}: no REDIS_URL and no {REDIS_SERVER}; Redis rows skipped")
        yield None
        return
    port = free_port()
    # Memory only, on its own port: nothing is written to disk, nobody else's data seen.
    command = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    server = Process(f"{name}-redis", [*command, "--appendonly", "no", "--daemonize", "no"])
    try:
        wait_until(server, listening(port))
        yield Redis(f"redis://127.0.0.1:{port}/0", private=True)
    finally:
        server.stop()


# --- small statistics ------------------------------------------------------------------------


def percentile_ms(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}" if base and base == base and value == value else "-"
