"""Ten concurrent replies to one thread, against ten on ten threads and one alone.

Issue 14, goal 2: replies must not queue on one thread's row lock. One process runs
three phases with the public `reply()` action, each writer a Python thread with its
own database connection: one writer alone (the single-reply baseline), ten writers on
one thread, and ten writers on ten threads. The last is the same-run baseline for the
contention: the same process, machine and GIL, and no shared row. Reported per phase:
p50/p99 of a reply; the ratio of "ten on one thread" to "ten on ten threads" (about 1:
nothing queues on the thread) and to the single reply; errors (deadlocks,
serialization failures) and whether the shared thread's post numbers stayed
contiguous with none lost.

`python -m bench concurrent_replies [--db ...] [--replies N]` (N per writer, default 20).
"""

from __future__ import annotations

from bench import targets

REPLIES = 20


def add_arguments(parser) -> None:
    parser.add_argument("--replies", type=int, default=REPLIES, help="per writer (default 20)")


def main(options: targets.Options | None = None, args=None) -> None:
    options = options or targets.Options()
    count = args.replies if args is not None else REPLIES
    for database in targets.databases(options, "concurrent_replies"):
        env = targets.server_env(database)
        targets.prepare(env)
        found = targets.job(env, "contention", count)
        alone, together, apart = found["alone"], found["together"], found["apart"]
        print(
            f"\nconcurrent_replies on {database.label} ({database.name}): 10 writers, "
            f"{count} replies each, in one process; baselines from the same run"
        )
        print(f"{'phase':<28}{'replies':>9}{'p50 ms':>9}{'p99 ms':>9}")
        for label, row in (
            ("one writer alone", alone),
            ("ten writers, one thread", together),
            ("ten writers, ten threads", apart),
        ):
            print(f"{label:<28}{row['n']:>9}{row['p50_ms']:>9.1f}{row['p99_ms']:>9.1f}")
        print(
            f"  p99 ten-on-one / ten-on-ten: {together['p99_ms'] / apart['p99_ms']:.2f}; "
            f"ten-on-one / alone: {together['p99_ms'] / alone['p99_ms']:.2f}; "
            f"errors: {len(found['errors'])} {found['errors'][:3]}; shared thread: "
            f"{found['shared_thread_added']}/{found['shared_thread_expected']} posts added, "
            f"numbers contiguous: {found['numbers_contiguous']}"
        )
