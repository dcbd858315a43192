"""Thread pages of a 1,000-post thread served by Daphne, against /healthz on the same server.

The baseline (/healthz: one trivial query and a channel-layer round trip, no template)
is measured in the same run, so the ratio stays meaningful on a shared, noisy machine.
Misago cannot run here, so /healthz stands in for it. On each database (SQLite, and
PostgreSQL with Redis when reachable, see bench/targets.py): requests/s, latency, the
server's CPU per request (from /proc/<pid>/stat of the Daphne processes before and after
each target) and the queries (and writes among them) of one page on a second visit.

`python -m bench thread_pages [--db ...] [--processes 1,2] [--seconds S] [--connections C]`;
BENCH_SECONDS (10) and BENCH_CONNECTIONS (4) set the defaults.
"""

from __future__ import annotations

import http.client
import os
import threading

from bench import fanout, targets
from bench.httpload import LoadResult, run

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
DEFAULT_PROCESSES = [1]


def add_arguments(parser) -> None:
    parser.add_argument("--seconds", type=float, default=SECONDS, help="per target (default 10)")
    parser.add_argument(
        "--connections", type=int, default=CONNECTIONS, help="keep-alive connections (default 4)"
    )


def _load(ports: list[int], path: str, seconds: float, connections: int, headers) -> LoadResult:
    """Hit `path` on every port at once, the connections split between them; merge."""
    share = [connections // len(ports) + (i < connections % len(ports)) for i in range(len(ports))]
    parts: list[LoadResult] = []

    def one(port: int, count: int) -> None:
        found = run("127.0.0.1", port, path, seconds=seconds, connections=count, headers=headers)
        parts.append(found)

    threads = [threading.Thread(target=one, args=(p, n)) for p, n in zip(ports, share, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    merged = LoadResult(path=path, seconds=max(p.seconds for p in parts))
    for part in parts:
        merged.requests += part.requests
        merged.errors += part.errors
        merged.latencies.extend(part.latencies)
        merged.bytes_per_response = part.bytes_per_response or merged.bytes_per_response
    return merged


def _csrf_cookie(port: int, path: str, headers: dict[str, str]) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return targets.csrf_cookie(response)
    finally:
        connection.close()


def measure(label: str, env: dict[str, str], processes: int, seeded: dict) -> list[tuple]:
    """Load each target in turn; return (label, result, server CPU ms per request) rows."""
    thread_id, session_key = seeded["thread"], seeded["session"]
    headers = {"Cookie": f"sessionid={session_key}", "Host": "127.0.0.1"}
    targets_ = [
        ("baseline /healthz", "/healthz"),
        ("thread page 1", f"/t/{thread_id}/"),
        ("thread page 25 (middle)", f"/t/{thread_id}/?page=25"),
    ]
    rows = []
    with targets.daphne_servers("thread-pages", env, processes) as servers:
        # A browser returns the CSRF cookie of its first page: without it every page
        # would make a new secret (64 random characters, a system call each).
        csrf = _csrf_cookie(servers.ports[0], f"/t/{thread_id}/", headers)
        headers = {**headers, "Cookie": f"{headers['Cookie']}; csrftoken={csrf}"}
        for _name, path in targets_:  # warm up
            _load(servers.ports, path, 1, 2 * processes, headers)
        for name, path in targets_:
            cpu = sum(targets.cpu_seconds(pid) for pid in servers.pids)
            result = _load(servers.ports, path, SECONDS, CONNECTIONS, headers)
            used = sum(targets.cpu_seconds(pid) for pid in servers.pids) - cpu
            rows.append((name, result, 1000 * used / max(1, result.requests)))
    return rows


def report(title: str, rows: list[tuple], queries: dict) -> None:
    print(f"\n{title}")
    print(
        f"{'target':<26}{'req/s':>8}{'ratio':>8}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms':>8}"
        f"{'KB':>7}{'queries':>9}{'writes':>8}{'errors':>8}"
    )
    baseline = rows[0][1].rps
    for (name, r, cpu_ms), counted in zip(rows, queries, strict=True):
        print(
            f"{name:<26}{r.rps:>8.1f}{r.rps / baseline:>8.2f}{r.p50_ms:>9.1f}"
            f"{r.percentile(0.99):>9.1f}{cpu_ms:>8.1f}{r.bytes_per_response / 1024:>7.1f}"
            f"{counted['queries']:>9}{counted['writes']:>8}{r.errors:>8}"
        )


def main(options: targets.Options | None = None, args=None) -> None:
    global SECONDS, CONNECTIONS
    options = options or targets.Options()
    if args is not None:
        SECONDS, CONNECTIONS = args.seconds, args.connections
    with targets.redis_for(options, "thread_pages") as redis:
        for database in targets.databases(options, "thread_pages"):
            env = targets.server_env(database)
            targets.prepare(env)
            seeded = targets.job(env, "seed_thread_pages")
            thread = seeded["thread"]
            paths = ["/healthz", f"/t/{thread}/", f"/t/{thread}/?page=25"]
            counted = targets.job(env, "page_queries", seeded["session"], *paths)
            runs = fanout.configurations(database, options.processes or DEFAULT_PROCESSES, redis)
            for label, processes, redis_url in runs:
                rows = measure(label, targets.server_env(database, redis_url), processes, seeded)
                report(
                    f"thread_pages: {label} ({database.name}), {CONNECTIONS} connections, "
                    f"{SECONDS:g} s each, DEBUG off; CPU ms: server CPU per request",
                    rows,
                    [counted[p] for p in paths],
                )
