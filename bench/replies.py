"""A reply in a thread with 0, 50, 500 and 5,000 watchers: queries, latency, notifications.

For each watcher count N one thread of legal-policy is watched by N members (through the
public `set_watch()` action). On each database (SQLite, and PostgreSQL with Redis when
reachable, see bench/targets.py):

* Queries: `reply()` is called in-process a few times per thread with an execute
  wrapper that tags every query with the transaction it ran in; the reply's transaction
  is the one that inserts the post. Reported: queries inside it (savepoints and writes
  among them), before it, and after its commit in the same call.
* Latency: ~30 replies per thread by its author through the real form
  (`POST /p/<id>/reply/`, session and CSRF token) on one Daphne process, one at a time;
  p50/p99 of the round trip and the p99's ratio to the 0-watcher thread's, same run.
* Notifications: watchers hold `/ws/inbox/` sockets (by default a sample of 50 per
  thread, spread over the watchers and always including the last-created one; `--sample
  0` opens one for every watcher). After each reply the benchmark waits until the last
  watcher's socket has the `notification.created` for it (that wait is not part of the
  latency). At the end the database is checked: one notification row per watcher and
  reply, none missing, none doubled, none for anybody else; and every sampled socket got
  each of its notifications exactly once.

`python -m bench replies [--db ...] [--sizes 0,50,500] [--replies 30] [--budget 30]
[--sample 50] [--processes 1] [--show-queries]`; the full run adds 5,000 watchers with
`--sizes 0,50,500,5000`. Each thread gets at most `--budget` seconds of replies (one at
least), so the run stays bounded while replies are slow.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from bench import fanout, targets

# 5,000 watchers (`--sizes 0,50,500,5000`, the full run) is left out by default: while a
# reply notifies its watchers inside its transaction, one such reply takes minutes.
SIZES = [0, 50, 500]
REPLIES = 30
SAMPLE = 50
QUERY_REPLIES = 3  # in-process replies per thread for the query count (the last is shown)
BUDGET = 30.0  # seconds of replies per thread, at least one (the query count: half that)
REPLY_TIMEOUT = 600.0  # a reply that fans out inside its transaction can take minutes
NOTIFY_LIMIT = 30.0  # seconds to wait for one notification before giving up on the thread
PAUSE = 0.1  # seconds between replies, whatever the watcher count
# The task queue is drained (with the worker running) before the timed replies, so
# they don't wait behind earlier work (other benchmarks' posts in the same database,
# the query count's in-process replies), and again after them, before the rows and
# sockets are checked, so a late notification is not counted as a missing one.
DRAIN_LIMIT = 240.0
DRAIN_POLL = 2.0
DEFAULT_PROCESSES = [1]


def add_arguments(parser) -> None:
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, SIZES)),
        help="watcher counts (default 0,50,500; the full run: 0,50,500,5000)",
    )
    parser.add_argument("--replies", type=int, default=REPLIES, help="per thread (default 30)")
    parser.add_argument(
        "--budget",
        type=float,
        default=BUDGET,
        help="seconds of replies per thread before stopping early, at least one (default 30)",
    )
    parser.add_argument(
        "--sample",
        type=int,
        default=SAMPLE,
        help="inbox sockets per thread, the last watcher included (default 50; 0: all)",
    )
    parser.add_argument(
        "--show-queries", action="store_true", help="print the SQL of each reply's transaction"
    )


@dataclass
class Inboxes:
    """What each watcher's socket received, by socket index (the watcher's rank)."""

    received: dict[int, dict[int, list[float]]] = field(default_factory=lambda: defaultdict(dict))
    waiters: dict[tuple[int, int], asyncio.Event] = field(default_factory=dict)
    closed: Counter[str] = field(default_factory=Counter)
    frames: int = 0

    def note(self, index: int, post_id: int, at: float) -> None:
        self.received[index].setdefault(post_id, []).append(at)
        if (event := self.waiters.pop((index, post_id), None)) is not None:
            event.set()

    async def wait(self, index: int, post_id: int, limit: float) -> float | None:
        """Return when socket `index` first had post `post_id`'s notification, or None."""
        if post_id not in self.received[index]:
            event = self.waiters.setdefault((index, post_id), asyncio.Event())
            try:
                await asyncio.wait_for(event.wait(), limit)
            except TimeoutError:
                return None
        return self.received[index][post_id][0]


def _post_ids(frame: dict) -> list[int]:
    """The post ids a notification frame is about (one, or several in a batch)."""
    data = frame.get("data")
    items = data.get("items") if isinstance(data, dict) else None
    found = []
    for item in items if isinstance(items, list) else [data]:
        if isinstance(item, dict):
            post = item.get("post_id", item.get("post"))
            if isinstance(post, int):
                found.append(post)
    return found


async def _read(ws: ClientConnection, index: int, inboxes: Inboxes) -> None:
    try:
        while True:
            data = await ws.recv(decode=False)
            at = time.monotonic()
            inboxes.frames += 1
            if data.startswith(b'{"type":"notification'):
                for post_id in _post_ids(json.loads(data)):
                    inboxes.note(index, post_id, at)
    except ConnectionClosed as closed:
        inboxes.closed[str(closed.rcvd.code if closed.rcvd else "no close frame")] += 1


@dataclass
class WatchedThread:
    watchers: int
    thread: int
    opening_post: int
    latencies: list[float] = field(default_factory=list)
    last_watcher: list[float] = field(default_factory=list)  # send to the last one's socket
    all_sampled: list[float] = field(default_factory=list)  # send to every sampled socket
    sent_at: dict[int, float] = field(default_factory=dict)  # post id -> monotonic send time
    refused: int = 0
    undelivered: int = 0  # replies whose notification the last watcher never got in time
    stopped_early: bool = False  # the thread's time budget ran out


@dataclass
class Plan:
    """What one run does: thread sizes, replies per thread and the limits."""

    sizes: list[int] = field(default_factory=lambda: list(SIZES))
    replies: int = REPLIES
    sample: int = SAMPLE
    budget: float = BUDGET
    show_sql: bool = False
    run_id: str = field(default_factory=lambda: f"{int(time.time())}")


async def _post_replies(
    thread: WatchedThread, port: int, author_key: str, inboxes: Inboxes, plan: Plan
) -> None:
    # One warm-up reply, in the first thread only: elsewhere it would cost a fan-out.
    poster = fanout.HttpPoster(
        port,
        thread.opening_post,
        author_key,
        timeout=REPLY_TIMEOUT,
        warm_up=thread.watchers == plan.sizes[0],
    )
    await asyncio.to_thread(poster.prepare)
    sender = poster.sender()
    last = thread.watchers - 1
    limit = NOTIFY_LIMIT
    started = time.monotonic()
    try:
        for i in range(plan.replies):
            if i and time.monotonic() - started > plan.budget:
                thread.stopped_early = True
                break
            began = time.monotonic()
            body = f"Reply check bench-{plan.run_id}-{thread.watchers}-{i}"
            accepted = await asyncio.to_thread(sender.send, body)
            thread.latencies.append(time.monotonic() - began)
            if not accepted or not sender.location.strip("/").startswith("p/"):
                thread.refused += 1
                continue
            post_id = int(sender.location.strip("/").split("/")[1])
            thread.sent_at[post_id] = began
            if last >= 0:
                arrived = await inboxes.wait(last, post_id, limit)
                if arrived is None:
                    thread.undelivered += 1
                    limit = 0.0  # one timeout is enough: don't wait on every later reply
                else:
                    thread.last_watcher.append(arrived - began)
            await asyncio.sleep(PAUSE)
    finally:
        sender.close()


@dataclass
class Drain:
    """Waiting for the worker to empty the task queue: what was queued, how long it took."""

    queued: int = 0
    seconds: float = 0.0
    left: int = 0

    def describe(self) -> str:
        if not self.queued:
            return "nothing queued"
        left = f", {self.left} still queued after {DRAIN_LIMIT:.0f} s" if self.left else ""
        return f"{self.queued} task(s) queued, drained in {self.seconds:.1f} s{left}"


def _drain(env: dict[str, str] | None) -> Drain:
    """Wait (at most DRAIN_LIMIT s) until no background task is queued or running."""
    if env is None:
        return Drain()
    began = time.monotonic()
    pending = targets.job(env, "pending_tasks")["pending"]
    drain = Drain(queued=pending)
    while pending and time.monotonic() - began < DRAIN_LIMIT:
        time.sleep(DRAIN_POLL)
        pending = targets.job(env, "pending_tasks")["pending"]
    drain.seconds, drain.left = time.monotonic() - began, pending
    return drain


def _socket_check(threads: list[WatchedThread], indices: list[int], inboxes: Inboxes) -> dict:
    """Per thread: notifications each sampled watcher socket should have had, and got."""
    checked = {}
    for thread in threads:
        expected = got = missing = doubled = unexpected = 0
        for index in indices:
            received = inboxes.received.get(index, {})
            for post_id, began in thread.sent_at.items():
                times = received.get(post_id, [])
                if index < thread.watchers:
                    expected += 1
                    got += bool(times)
                    missing += not times
                    doubled += max(0, len(times) - 1)
                    if times:
                        thread.all_sampled.append(times[0] - began)
                else:
                    unexpected += len(times)
        checked[thread.watchers] = {
            "expected": expected,
            "got": got,
            "missing": missing,
            "doubled": doubled,
            "unexpected": unexpected,
        }
    return checked


async def _measure(
    servers: targets.Servers,
    seeded: dict,
    threads: list[WatchedThread],
    plan: Plan,
    worker_env: dict[str, str] | None,
) -> tuple[Inboxes, dict, int, Drain]:
    inboxes = Inboxes()
    specs = fanout.group_sockets(servers.ports, [s["key"] for s in seeded["sockets"]], "/ws/inbox/")
    indices = [s["index"] for s in seeded["sockets"]]
    clients: list[ClientConnection] = []
    readers: list[asyncio.Task] = []
    gate = asyncio.Semaphore(fanout.CONNECT_CONCURRENCY)

    async def open_one(index: int, spec: fanout.Socket) -> None:
        async with gate:
            ws = await fanout._connect(spec)
            hello = json.loads(await asyncio.wait_for(ws.recv(), 60))
            if hello.get("type") != "hello":
                raise RuntimeError(f"inbox socket answered {hello}")
            await ws.send(json.dumps({"type": "resume", "after": hello["seq"]}))
            clients.append(ws)
            readers.append(asyncio.create_task(_read(ws, index, inboxes)))

    try:
        await asyncio.gather(*(open_one(i, s) for i, s in zip(indices, specs, strict=True)))
        for thread in threads:
            await _post_replies(thread, servers.ports[0], seeded["author_key"], inboxes, plan)
        after = await asyncio.to_thread(_drain, worker_env)
        # Whatever is still on its way: wait until nothing arrives for a few seconds.
        settled, frames = time.monotonic(), inboxes.frames
        deadline = time.monotonic() + NOTIFY_LIMIT
        while time.monotonic() < deadline and time.monotonic() - settled < 3.0:
            await asyncio.sleep(0.2)
            if inboxes.frames != frames:
                settled, frames = time.monotonic(), inboxes.frames
        return inboxes, _socket_check(threads, indices, inboxes), len(clients), after
    finally:
        for ws in clients:
            ws.transport.abort()
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)


def _ms(values: list[float], q: float) -> float:
    return targets.percentile_ms(values, q)


def report(
    title: str,
    threads: list[WatchedThread],
    queries: dict,
    sockets: dict,
    rows: dict,
    opened: int,
    plan: Plan,
    drains: tuple[Drain, Drain] | None = None,
) -> None:
    print(f"\n{title}")
    print(
        f"{'watchers':>8}{'tx queries':>16}{'before':>8}{'after':>7}{'replies':>9}{'p50 ms':>8}"
        f"{'p99 ms':>8}{'p99/0':>7}{'last notified p50':>19}{'max':>8}"
        f"{'rows found/expected':>22}{'missing':>9}{'doubled':>9}{'unexpected':>11}"
    )
    base = next((_ms(t.latencies, 0.99) for t in threads if t.watchers == 0), float("nan"))
    for t in threads:
        q = queries[str(t.opening_post)]
        low, high = q["inside_range"]
        inside = f"{q['inside']}" if low == high else f"{q['inside']} ({low}-{high})"
        r = rows[str(t.thread)]
        p99 = _ms(t.latencies, 0.99)
        notified = f"{_ms(t.last_watcher, 0.5):.0f} ms" if t.last_watcher else "-"
        worst = f"{max(t.last_watcher) * 1000:.0f}" if t.last_watcher else "-"
        print(
            f"{t.watchers:>8}{inside:>16}{q['before']:>8}{q['after']:>7}"
            f"{len(t.latencies):>9}{_ms(t.latencies, 0.5):>8.1f}{p99:>8.1f}"
            f"{targets.ratio(p99, base):>7}{notified:>19}{worst:>8}"
            f"{f'{r["found"]}/{r["expected"]}':>22}{r['missing']:>9}{r['duplicated']:>9}"
            f"{r['unexpected']:>11}"
        )
    for t in threads:
        q, s, r = queries[str(t.opening_post)], sockets[t.watchers], rows[str(t.thread)]
        delay = r["last_row_delay_max_s"]
        notes = [
            f"transaction {q['inside']} queries ({q['inside_writes']} writes, "
            f"{q['inside_savepoints']} savepoint statements) of {q['total']} in the call "
            f"(in-process replies measured: {q['measured']})",
            f"sampled sockets got {s['got']}/{s['expected']} (missing {s['missing']}, doubled "
            f"{s['doubled']}, for non-watchers {s['unexpected']})",
        ]
        if t.all_sampled:
            notes.append(
                f"every sampled socket notified p50 {_ms(t.all_sampled, 0.5):.0f} ms, max "
                f"{max(t.all_sampled) * 1000:.0f} ms"
            )
        if delay is not None:
            notes.append(f"last notification row at most {delay * 1000:.0f} ms after its post")
        if t.refused:
            notes.append(f"replies refused {t.refused}")
        if t.undelivered:
            notes.append(f"last watcher not notified within {NOTIFY_LIMIT:.0f} s: {t.undelivered}")
        if t.stopped_early:
            notes.append(f"stopped after {len(t.latencies)} replies ({plan.budget:.0f} s budget)")
        print(f"  {t.watchers} watchers: " + "; ".join(notes))
        if plan.show_sql:
            for sql in q["inside_sql"]:
                print(f"      {sql}")
    print(
        f"  {opened} inbox sockets open; latency: the reply's HTTP round trip (form POST to "
        "302); last notified: from the reply's send to the last-created watcher's socket "
        "receiving its notification.created"
    )
    if drains is not None:
        before, after = drains
        print(
            f"  task queue before the timed replies: {before.describe()}; after them, "
            f"before the check: {after.describe()}"
        )


def main(options: targets.Options | None = None, args=None) -> None:
    options = options or targets.Options()
    plan = Plan()
    if args is not None:
        plan = Plan(
            sizes=sorted({int(s) for s in args.sizes.split(",")}),
            replies=args.replies,
            sample=args.sample,
            budget=args.budget,
            show_sql=args.show_queries,
        )
    sockets = max(plan.sizes) if plan.sample == 0 else 3 * plan.sample
    targets.raise_open_files(2 * sockets + 256)
    with targets.redis_for(options, "replies") as redis:
        for database in targets.databases(options, "replies"):
            runs = fanout.configurations(database, options.processes or DEFAULT_PROCESSES, redis)
            for label, processes, redis_url in runs:
                env = targets.server_env(database, redis_url)
                targets.prepare(env)
                seeded = targets.job(
                    env, "seed_replies", ",".join(map(str, plan.sizes)), plan.sample
                )
                made = seeded["threads"]
                threads = [
                    WatchedThread(n, made[str(n)]["thread"], made[str(n)]["post"])
                    for n in plan.sizes
                ]
                posts = ",".join(str(t.opening_post) for t in threads)
                queries = targets.job(
                    env, "reply_queries", seeded["author"], posts, QUERY_REPLIES, plan.budget / 2
                )
                worker = targets.worker_command(options, env)
                worker_env = env if worker else None
                with targets.daphne_servers("replies", env, processes, worker) as servers:
                    before = _drain(worker_env)
                    inboxes, sockets, opened, after = asyncio.run(
                        _measure(servers, seeded, threads, plan, worker_env)
                    )
                rows = _check_rows(env, threads, seeded["member_ids"], plan.run_id)
                sampled = "every" if plan.sample == 0 else f"up to {plan.sample}"
                report(
                    f"replies: {label} ({database.name}), up to {plan.replies} replies per "
                    f"thread, inbox sockets for {sampled} watcher(s) per thread"
                    + (f", worker: {' '.join(worker[2:])}" if worker else "")
                    + (f"; sockets closed {dict(inboxes.closed)}" if inboxes.closed else ""),
                    threads,
                    queries,
                    sockets,
                    rows,
                    opened,
                    plan,
                    (before, after) if worker else None,
                )
        plan.run_id = f"{int(time.time())}"


def _check_rows(
    env: dict[str, str], threads: list[WatchedThread], member_ids: list[int], run_id: str
):
    """Ask the database for every notification of this run's replies."""
    expected = {t.thread: member_ids[: t.watchers] for t in threads}
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir=targets.VAR, delete=False) as f:
        json.dump(expected, f)
    try:
        return targets.job(env, "check_notifications", f.name, f"bench-{run_id}-")
    finally:
        Path(f.name).unlink()
