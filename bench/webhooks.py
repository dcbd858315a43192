"""1,000 events to three loopback receivers, one failing half of its requests.

Each event is a new thread in a group with three signed (Standard Webhooks) endpoints,
made through the action as a page would; the deliveries go through the real task
worker (`manage.py db_worker`, django-tasks-db) with its deferred retries. The failing
receiver answers 503 to the first try of every message, so half of its requests fail
and each of its messages is retried once. Reports whether every event arrived at
every receiver, whether any arrived twice, how long until the last one arrived, and a
baseline measured in the same run: the same number of signed POSTs sent directly from
one process with httpx to the same receivers.

The retry schedule is shortened by WEBHOOKS_RETRY_SCALE (default here 0.001: 5 s
becomes 5 ms, 5 min becomes 0.3 s), otherwise each retry would wait 5 s
(and later ones minutes to hours). `python -m bench webhooks [--events N] [--scale S]`.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench import targets

EVENTS = 1000
SCALE = 0.001
WORKER_INTERVAL = 0.05
ARRIVAL_LIMIT = 1800.0


def add_arguments(parser) -> None:
    parser.add_argument("--events", type=int, default=EVENTS, help="events (default 1,000)")
    parser.add_argument(
        "--scale",
        type=float,
        default=SCALE,
        help="WEBHOOKS_RETRY_SCALE for the run (default 0.001)",
    )


class Receiver:
    """A loopback HTTP receiver that verifies signatures and records what it took."""

    def __init__(self, *, failing: bool) -> None:
        self.failing = failing
        self.secret: str | None = None
        self.requests = 0
        self.refused = 0
        self.bad_signatures = 0
        self.taken: Counter[str] = Counter()
        self.failed_once: set[str] = set()
        self.last_taken = 0.0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver.take(dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self, headers: dict[str, str], body: bytes) -> int:
        from standardwebhooks.webhooks import Webhook, WebhookVerificationError

        message_id = headers.get("webhook-id") or headers.get("Webhook-Id", "")
        with self.lock:
            self.requests += 1
            # The first try of every message fails: half of all requests, each message once.
            if self.failing and message_id not in self.failed_once:
                self.failed_once.add(message_id)
                self.refused += 1
                return 503
        if self.secret is not None:
            try:
                Webhook(self.secret).verify(body, headers)
            except WebhookVerificationError:
                with self.lock:
                    self.bad_signatures += 1
                return 400
        with self.lock:
            self.taken[message_id] += 1
            self.last_taken = time.time()
        return 204

    def reset(self) -> None:
        with self.lock:
            self.requests = self.refused = self.bad_signatures = 0
            self.taken = Counter()
            self.failed_once = set()
            self.last_taken = 0.0

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _baseline(receivers: list[Receiver], events: int) -> float:
    """Send `events` signed POSTs to each receiver from one process (none failing)."""
    from datetime import UTC, datetime

    import httpx
    from standardwebhooks.webhooks import Webhook

    body = b'{"type":"thread.created","data":{}}'
    started = time.perf_counter()
    with httpx.Client(timeout=15, follow_redirects=False) as client:
        for n in range(events):
            for receiver in receivers:
                message_id = f"msg_baseline_{n}"
                when = datetime.now(UTC)
                headers = {
                    "webhook-id": message_id,
                    "webhook-timestamp": str(int(when.timestamp())),
                    "webhook-signature": Webhook(receiver.secret).sign(
                        message_id, when, body.decode()
                    ),
                    "content-type": "application/json",
                }
                client.post(receiver.url, content=body, headers=headers)
    return time.perf_counter() - started


def run_on(database: targets.Database, options: targets.Options, events: int, scale: float):
    redis_url = None
    if database.kind == "postgres":
        redis_url = options.redis_url
    env = targets.server_env(
        database,
        redis_url,
        WEBHOOKS_ALLOW_LOOPBACK="1",
        WEBHOOKS_RETRY_SCALE=str(scale),
        TASKS_BACKEND="database",
        SITE_URL="https://forum.example.org",
    )
    targets.prepare(env)
    receivers = [Receiver(failing=False), Receiver(failing=False), Receiver(failing=True)]
    try:
        secrets = targets.job(env, "webhooks_setup", *(r.url for r in receivers))["secrets"]
        for receiver, secret in zip(receivers, secrets, strict=True):
            receiver.secret = secret
        worker = targets.Process(
            f"webhooks-worker-{database.kind}",
            [
                *targets.worker_command(options, env)[:2],
                "db_worker",
                "--no-startup-delay",
                "--interval",
                str(WORKER_INTERVAL),
                "-v",
                "0",
            ],
            env,
        )
        try:
            times = targets.job(env, "webhooks_events", events, timeout=1800)
            deadline = time.monotonic() + ARRIVAL_LIMIT
            while time.monotonic() < deadline:
                worker.check_alive()
                if all(len(r.taken) >= events for r in receivers):
                    break
                time.sleep(0.1)
        finally:
            worker.stop()
        last = max(r.last_taken for r in receivers)
        result = {
            "db": database.label,
            "write_s": times["written"] - times["started"],
            "last_arrival_s": last - times["started"],
            "after_last_write_s": last - times["written"],
            "arrived": [len(r.taken) for r in receivers],
            "twice": [sum(1 for n in r.taken.values() if n > 1) for r in receivers],
            "refused": receivers[2].refused,
            "requests": [r.requests for r in receivers],
            "bad_signatures": sum(r.bad_signatures for r in receivers),
        }
        for receiver in receivers:
            receiver.reset()
        result["baseline_s"] = _baseline(receivers, events)
        return result
    finally:
        for receiver in receivers:
            receiver.stop()


def main(options: targets.Options | None = None, args=None) -> None:
    options = options or targets.Options()
    events = args.events if args is not None else EVENTS
    scale = args.scale if args is not None else SCALE
    print(
        f"webhooks: {events} events x 3 receivers (the third fails each message's first try), "
        f"retry schedule x{scale}, one db_worker (interval {WORKER_INTERVAL} s)"
    )
    for database in targets.databases(options, "webhooks"):
        r = run_on(database, options, events, scale)
        complete = all(n == events for n in r["arrived"]) and not any(r["twice"])
        print(
            f"{r['db']}: arrived {r['arrived']} of {events} each, twice {r['twice']}, "
            f"bad signatures {r['bad_signatures']} -> {'OK' if complete else 'INCOMPLETE'}"
        )
        print(
            f"  requests per receiver {r['requests']} (failing one refused {r['refused']}); "
            f"events written in {r['write_s']:.1f} s; last arrival {r['last_arrival_s']:.1f} s "
            f"after the first write ({r['after_last_write_s']:.1f} s after the last)"
        )
        print(
            f"  baseline: {3 * events} signed POSTs from one process with httpx: "
            f"{r['baseline_s']:.1f} s; ratio {r['last_arrival_s'] / r['baseline_s']:.1f}x"
        )
