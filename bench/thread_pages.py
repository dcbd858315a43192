"""Thread pages of a 1,000-post thread served by Daphne, against /healthz on the same server.

The baseline (/healthz: one trivial query, no template) is measured in the same
run, so the ratio stays meaningful on a shared, noisy machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.server import prepare

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")
    env.update(
        DJANGO_SETTINGS_MODULE="forum.settings",
        DEBUG="0",
        SECRET_KEY=env.get("SECRET_KEY", "bench-only-secret-key-" + "x" * 30),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="WARNING",
    )
    return env


SEED = r"""
import django, sys
django.setup()
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
from accounts.models import Member
from forum.models import Post, Thread, WorkingGroup, Membership
from forum.actions import threads as actions

group = WorkingGroup.objects.get(slug="legal-policy")
reader, _ = Member.objects.get_or_create(
    email="bench.reader@bench.example",
    defaults={"display_name": "Bench Reader", "handle": "bench-reader", "country": "ZM"})
writer, _ = Member.objects.get_or_create(
    email="bench.writer@bench.example",
    defaults={"display_name": "Bench Writer", "handle": "bench-writer", "country": "CN"})
for m in (reader, writer):
    Membership.objects.get_or_create(member=m, group=group)
# Trusted: the writer's cross-border posts publish at once under the default policy.
Membership.objects.filter(member=writer, group=group).update(role="trusted")
thread = Thread.objects.filter(title="Benchmark thread").first()
if thread is None:
    thread = actions.create_thread(author=writer, group=group, title="Benchmark thread",
                                   body="Opening post of the benchmark thread.")
    posts = []
    body = ("A reply with **some** Markdown, a [link](https://example.org) "
            "and a list:\n\n- one\n- two")
    from forum import rendering
    html = rendering.render_markdown(body)
    for number in range(2, 1001):
        parent = 1 if number % 5 == 2 else number - 1
        depth = 1 if parent == 1 else min(6, (number - 2) % 5 + 1)
        posts.append(Post(thread=thread, author=writer if number % 2 else reader, number=number,
                          depth=depth, path=f"{number:06d}", body_source=body, body_html=html))
    Post.objects.bulk_create(posts, batch_size=500)
    Thread.objects.filter(pk=thread.pk).update(reply_count=999, post_counter=1000)
session = SessionStore()
session[SESSION_KEY] = str(reader.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = reader.get_session_auth_hash()
session.create()
print(thread.pk, session.session_key)
"""


def main() -> None:
    env = _env()
    python = sys.executable
    thread_id, session_key = prepare(env, SEED).split()
    port = 8765
    server = subprocess.Popen(
        [python, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "forum.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        from bench.httpload import run

        headers = {"Cookie": f"sessionid={session_key}", "Host": "127.0.0.1"}
        targets = [
            ("baseline /healthz", "/healthz"),
            ("thread page 1", f"/t/{thread_id}/"),
            ("thread page 25 (middle)", f"/t/{thread_id}/?page=25"),
        ]
        for _label, path in targets:  # warm up
            run("127.0.0.1", port, path, seconds=1, connections=2, headers=headers)
        results = [
            (
                label,
                run(
                    "127.0.0.1",
                    port,
                    path,
                    seconds=SECONDS,
                    connections=CONNECTIONS,
                    headers=headers,
                ),
            )
            for label, path in targets
        ]
    finally:
        server.terminate()
        server.wait(timeout=10)
    baseline = results[0][1].rps
    print(
        f"\nthread_pages: one Daphne process, {CONNECTIONS} connections, {SECONDS:.0f} s each, "
        f"database {env['DATABASE_URL'].split(':', 1)[0]}"
    )
    print(f"{'target':<26}{'req/s':>8}{'ratio':>8}{'p50 ms':>9}{'p99 ms':>9}{'KB':>7}{'errors':>8}")
    for label, r in results:
        print(
            f"{label:<26}{r.rps:>8.1f}{r.rps / baseline:>8.2f}{r.p50_ms:>9.1f}"
            f"{r.percentile(0.99):>9.1f}{r.bytes_per_response / 1024:>7.1f}{r.errors:>8}"
        )
