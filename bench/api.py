"""The REST API under Daphne: a group's thread list and a 100-post thread, against
/healthz on the same server in the same run.

Each target is loaded in turn with the same keep-alive connections; the ratio to
/healthz keeps the figures meaningful on a shared machine. On each database (SQLite,
and PostgreSQL with Redis when reachable): requests/s, latency, the server's CPU per
request and the queries of one request.

`python -m bench api [--db ...] [--seconds S] [--connections C]`; BENCH_SECONDS (10)
and BENCH_CONNECTIONS (4) set the defaults.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bench import targets, thread_pages
from bench.httpload import LoadResult

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))


def add_arguments(parser) -> None:
    parser.add_argument("--seconds", type=float, default=SECONDS, help="per target (default 10)")
    parser.add_argument(
        "--connections", type=int, default=CONNECTIONS, help="keep-alive connections (default 4)"
    )


def api_job(env: dict[str, str], *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.api_jobs", *args],
        cwd=targets.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"bench.api_jobs {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(env: dict[str, str], paths: list[tuple[str, str]], token: str) -> list[tuple]:
    headers = {"Host": "127.0.0.1", "Authorization": f"Bearer {token}"}
    rows: list[tuple[str, LoadResult, float]] = []
    with targets.daphne_servers("api", env, 1) as servers:
        for _name, path in paths:  # warm up
            thread_pages._load(servers.ports, path, 1, 2, headers)
        for name, path in paths:
            cpu = sum(targets.cpu_seconds(pid) for pid in servers.pids)
            result = thread_pages._load(servers.ports, path, SECONDS, CONNECTIONS, headers)
            used = sum(targets.cpu_seconds(pid) for pid in servers.pids) - cpu
            rows.append((name, result, 1000 * used / max(1, result.requests)))
    return rows


def report(title: str, rows: list[tuple], counted: list[int]) -> None:
    print(f"\n{title}")
    print(
        f"{'target':<30}{'req/s':>8}{'ratio':>8}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms':>8}"
        f"{'KB':>7}{'queries':>9}{'errors':>8}"
    )
    baseline = rows[0][1].rps or 1
    for (name, r, cpu_ms), queries in zip(rows, counted, strict=True):
        print(
            f"{name:<30}{r.rps:>8.1f}{r.rps / baseline:>8.2f}{r.p50_ms:>9.1f}"
            f"{r.percentile(0.99):>9.1f}{cpu_ms:>8.1f}{r.bytes_per_response / 1024:>7.1f}"
            f"{queries:>9}{r.errors:>8}"
        )


def main(options: targets.Options | None = None, args=None) -> None:
    global SECONDS, CONNECTIONS
    options = options or targets.Options()
    if args is not None:
        SECONDS, CONNECTIONS = args.seconds, args.connections
    with targets.redis_for(options, "api") as redis:
        for database in targets.databases(options, "api"):
            redis_url = redis.url if (redis and database.kind == "postgres") else None
            # Rate limits off: the benchmark measures the API, not the 429 path.
            env = targets.server_env(
                database,
                redis_url,
                API_READS_PER_MINUTE="1000000000",
                API_WRITES_PER_MINUTE="1000000000",
            )
            targets.prepare(env)
            seeded = api_job(env, "seed")
            paths = [
                ("baseline /healthz", "/healthz"),
                ("thread list (50 threads)", f"/api/v1/groups/{seeded['group']}/threads"),
                (
                    "100-post thread, flat",
                    f"/api/v1/threads/{seeded['thread']}?view=flat&limit=100",
                ),
                ("100-post thread, tree", f"/api/v1/threads/{seeded['thread']}?limit=100"),
            ]
            counted = api_job(env, "queries", seeded["token"], *[p for _n, p in paths])
            rows = measure(env, paths, seeded["token"])
            for (_name, path), (_n, result, _c) in zip(paths, rows, strict=True):
                if counted[path]["status"] != 200 or result.errors:
                    print(f"api: {path} answered {counted[path]['status']}; errors {result.errors}")
            layer = "Redis" if redis_url else "in-memory layer"
            report(
                f"api: {database.label} + {layer} ({database.name}), 1 Daphne process, "
                f"{CONNECTIONS} connections, {SECONDS:g} s each, DEBUG off",
                rows,
                [counted[p]["queries"] for _n, p in paths],
            )
