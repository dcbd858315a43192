"""One `send_digests` run for 10,000 members with a week of activity, to a local SMTP server.

Reports wall time, queries per batch (each batch should cost the same), peak memory of
the sending process, and a baseline measured in the same run: the same number of small
prebuilt messages sent over one connection to the same server, so the ratio shows what
building the digests costs on top of the mail transport.

SQLite only, in a file of its own per size (`var/bench-digests-<N>.sqlite3`, seeded once
and reused): its seed fills every working group with a week of activity, which would
change what the other benchmarks measure in a shared PostgreSQL benchmark database.
`python -m bench digests [--members N]`; BENCH_MEMBERS (10,000) sets the default.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bench import targets

ROOT = targets.ROOT
MEMBERS = int(os.environ.get("BENCH_MEMBERS", "10000"))


def add_arguments(parser) -> None:
    parser.add_argument(
        "--members", type=int, default=MEMBERS, help="members to seed (default 10,000)"
    )


def _env(port: int = 0) -> dict[str, str]:
    # One SQLite database per size, seeded once and reused (its digest records are cleared).
    database = targets.sqlite_database(f"digests-{MEMBERS}")
    return targets.server_env(
        database,
        EMAIL_URL=f"smtp://127.0.0.1:{port}?timeout=30",
        SITE_URL="https://forum.example.org",
    )


def _free_port() -> int:
    return targets.free_port()


def main(options: targets.Options | None = None, args=None) -> None:
    """Seed, send one run in one process, one in two shards and one as cron would; report."""
    global MEMBERS
    if args is not None:
        MEMBERS = args.members
    if options is not None and "sqlite" not in options.databases:
        print("digests: runs on SQLite only (its own file under var/); skipped")
        return
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        print("digests: aiosmtpd is not installed (it is in the dev requirements)")
        return

    class Count:
        def __init__(self) -> None:
            self.messages = 0
            self.bytes = 0

        async def handle_DATA(self, server, session, envelope):
            self.messages += 1
            self.bytes += len(envelope.content)
            return "250 OK"

    port = _free_port()
    env = _env(port)
    print(f"digests: seeding {MEMBERS} members with a week of activity …", flush=True)
    targets.prepare(env)
    targets.job(env, "digests_seed", MEMBERS, timeout=1800)
    handler = Count()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        single = _run_processes(env, 1)
        received_single = handler.messages - MEMBERS
        sharded = _run_processes(env, 2)
        command_wall, command_processes = _run_command(env)
    finally:
        server.stop()
    result = single[0]
    print(f"members: {MEMBERS}, due: {result['due']}, batches: {result['batches']}")
    print(
        f"one process: sent {result['sent']} (received by SMTP: {received_single}), "
        f"nothing new: {result['empty']}, failed: {result['failed']}"
    )
    print(
        f"baseline (same count of tiny prebuilt messages): {result['baseline_s']:.1f} s; "
        f"send_digests: {result['wall_s']:.1f} s "
        f"(ratio {result['wall_s'] / result['baseline_s']:.1f}x)"
    )
    queries = result["queries_per_batch"]
    print(f"queries per batch: {sorted(set(queries))} over {len(queries)} batches")
    print(
        f"peak RSS: {result['peak_rss_mb']:.0f} MB "
        f"(after setup and the baseline: {result['rss_before_mb']:.0f} MB)"
    )
    wall = max(r["wall_s"] for r in sharded)
    print(
        f"two processes (--shard 1/2 and 2/2 at once): {wall:.1f} s "
        f"(ratio {wall / result['baseline_s']:.1f}x), sent "
        f"{sum(r['sent'] for r in sharded)}, peak RSS "
        f"{', '.join(f'{r["peak_rss_mb"]:.0f}' for r in sharded)} MB, queries per batch "
        f"{sorted({q for r in sharded for q in r['queries_per_batch']})}"
    )
    print(
        f"manage.py send_digests as run from cron ({command_processes} processes, the "
        f"default here, Django start-up included): {command_wall:.1f} s "
        f"(ratio {command_wall / result['baseline_s']:.1f}x)"
    )
    print(f"SMTP server received {handler.messages} messages, {handler.bytes / 2**20:.0f} MB")


def _run_command(env: dict[str, str]) -> tuple[float, int]:
    """Time `manage.py send_digests` with its default processes, from a clean slate."""
    import time

    targets.job(env, "digests_clear", timeout=600)
    processes = min(os.cpu_count() or 1, 4)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "send_digests", "--verbosity", "0"],
        cwd=ROOT,
        env={key: value for key, value in env.items() if key != "DIGEST_PROCESSES"},
        check=True,
        timeout=1800,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started, processes


def _run_processes(env: dict[str, str], count: int) -> list[dict]:
    """Run `count` sending processes at once (shards of one run); return their figures."""
    # Each run starts from no digest records, so every member is due again.
    targets.job(env, "digests_clear", timeout=600)
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.jobs",
                "digests_run",
                str(MEMBERS),
                str(index),
                str(count),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for index in range(count)
    ]
    results = []
    for process in processes:
        out, _err = process.communicate(timeout=1800)
        if process.returncode:
            raise SystemExit(f"digests: a sending process failed ({process.returncode})")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results
