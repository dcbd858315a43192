"""Attachments through Daphne against a static file of the same size served by WhiteNoise.

In the same run, on each database (SQLite, and PostgreSQL with Redis as the channel layer,
when reachable): the throughput of uploading a 20 MB file (`POST /files/upload/`, streamed
to a temporary file and hashed on the way) and of downloading it back (`GET /files/<id>/`,
the visibility rule then a streamed response), against two baselines on the same server:
downloading a 20 MB static file from WhiteNoise, and POSTing the same 20 MB to /healthz
(Daphne receives the body, Django spools it to disk, then answers 405: the transport
alone). Then the resident memory (RSS) of a fresh Daphne process while 10 clients POST
20 MB each at once, to /healthz (the baseline) and as uploads: the upload path must add
nothing that grows with the file.

`python -m bench attachments [--db ...] [--rounds N] [--parallel P] [--megabytes M]`.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import statistics
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench import targets

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
PARALLEL = 10
MEGABYTES = 20
CSRF = "benchcsrfsecretbenchcsrfsecret12"  # any well-formed secret, sent as cookie and header
CHUNK = 256 * 1024


def add_arguments(parser) -> None:
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="transfers per target (5)")
    parser.add_argument("--parallel", type=int, default=PARALLEL, help="parallel uploads (10)")
    parser.add_argument("--megabytes", type=int, default=MEGABYTES, help="file size (20)")


def zip_of(size: int) -> Path:
    """A ZIP of exactly `size` bytes holding random (incompressible, unique) data."""
    path = targets.VAR / f"bench-upload-{uuid.uuid4().hex}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("data.bin", os.urandom(size - 200))
    with path.open("ab") as grow:  # top up to the exact size: a ZIP ignores trailing bytes
        grow.write(b"\0" * (size - path.stat().st_size))
    return path


@dataclass
class Transfer:
    seconds: list[float] = field(default_factory=list)
    size: int = 0
    errors: int = 0

    @property
    def mb_per_s(self) -> float:
        if not self.seconds:
            return 0.0
        return self.size / (1024 * 1024) / statistics.median(self.seconds)


def _headers(session: str) -> dict[str, str]:
    return {
        "Host": "127.0.0.1",
        "Cookie": f"sessionid={session}; csrftoken={CSRF}",
        "X-CSRFToken": CSRF,
    }


def upload(
    port: int, session: str, path: Path, url: str = "/files/upload/"
) -> tuple[int, dict | None, float]:
    """POST `path` as multipart to `url`, streamed from disk; return (status, JSON, seconds)."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{path.name}"'
        "\r\nContent-Type: application/zip\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + path.stat().st_size + len(tail)

    def body():
        yield head
        with path.open("rb") as source:
            while chunk := source.read(CHUNK):
                yield chunk
        yield tail

    headers = {
        **_headers(session),
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(length),
    }
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    began = time.perf_counter()
    connection.request("POST", url, body=body(), headers=headers)
    response = connection.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - began
    connection.close()
    answer = json.loads(data) if response.getheader("Content-Type") == "application/json" else None
    return response.status, answer, elapsed


def download(port: int, session: str, path: str) -> tuple[int, int, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    began = time.perf_counter()
    connection.request("GET", path, headers=_headers(session))
    response = connection.getresponse()
    size = 0
    while chunk := response.read(CHUNK):
        size += len(chunk)
    elapsed = time.perf_counter() - began
    connection.close()
    return response.status, size, elapsed


def attach(port: int, session: str, thread: int, attachment: int) -> int:
    """Reply to the thread with the uploaded file, through the page's own form."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = urlencode({"body": "A reply with a file.", "attachment": attachment})
    headers = {**_headers(session), "Content-Type": "application/x-www-form-urlencoded"}
    connection.request("POST", f"/t/{thread}/reply/", body=body, headers=headers)
    status = connection.getresponse().status
    connection.close()
    return status


def throughput(port: int, seeded: dict, rounds: int, size: int, static_path: str) -> dict:
    session = seeded["session"]
    up, down, static = Transfer(size=size), Transfer(size=size), Transfer(size=size)
    received = Transfer(size=size)
    attachment = None
    for _ in range(rounds):
        source = zip_of(size)
        try:
            # The transport alone: Daphne receives the body, Django spools it, then refuses.
            status, _answer, seconds = upload(port, session, source, "/healthz")
            if status == 405:
                received.seconds.append(seconds)
            status, answer, seconds = upload(port, session, source)
        finally:
            source.unlink()
        if status == 200:
            up.seconds.append(seconds)
            attachment = answer["files"][0]["id"]
        else:
            up.errors += 1
    if attachment is None or attach(port, session, seeded["thread"], attachment) != 302:
        raise RuntimeError("no upload was stored and attached; see var/bench-*.log")
    for path, into in ((static_path, static), (f"/files/{attachment}/", down)):
        download(port, session, path)  # warm up
        for _ in range(rounds):
            status, got, seconds = download(port, session, path)
            if status == 200 and got == size:
                into.seconds.append(seconds)
            else:
                into.errors += 1
    return {"static": static, "download": down, "received": received, "upload": up}


def parallel_memory(
    port: int, pid: int, seeded: dict, parallel: int, size: int, url: str = "/files/upload/"
) -> dict:
    """RSS of the Daphne process before and at its peak while `parallel` clients POST
    `size` bytes each to `url` at once."""
    sources = [zip_of(size) for _ in range(parallel)]
    idle = targets.rss_kb(pid)
    peak = idle
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, targets.rss_kb(pid))
            time.sleep(0.01)

    statuses: list[int] = []

    def one(path: Path) -> None:
        statuses.append(upload(port, seeded["session"], path, url)[0])

    sampler = threading.Thread(target=sample)
    sampler.start()
    began = time.perf_counter()
    workers = [threading.Thread(target=one, args=(path,)) for path in sources]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    done.set()
    sampler.join()
    for path in sources:
        path.unlink()
    return {
        "idle_mb": idle / 1024,
        "peak_mb": peak / 1024,
        "ok": statuses.count(200),
        "seconds": elapsed,
        "after_mb": targets.rss_kb(pid) / 1024,
    }


def main(options: targets.Options | None = None, args=None) -> None:
    options = options or targets.Options()
    rounds = args.rounds if args is not None else ROUNDS
    parallel = args.parallel if args is not None else PARALLEL
    size = (args.megabytes if args is not None else MEGABYTES) * 1024 * 1024
    store = targets.VAR / "bench-attachments"
    with targets.redis_for(options, "attachments") as redis:
        for database in targets.databases(options, "attachments"):
            redis_url = redis.url if redis and database.kind == "postgres" else None
            run(database, redis_url, store, rounds, parallel, size)


def run(
    database: targets.Database,
    redis_url: str | None,
    store: Path,
    rounds: int,
    parallel: int,
    size: int,
) -> None:
    """Measure on one database (with Redis as the channel layer when given)."""
    env = targets.server_env(
        database,
        redis_url,
        STORAGE_URL=f"file://{store}",
        ATTACHMENT_MAX_BYTES=str(size),
        ATTACHMENT_DAILY_QUOTA_BYTES=str(100 * size * (rounds + parallel)),
        TASKS_BACKEND="immediate",
    )
    targets.prepare(env)
    static_file = targets.VAR / "static" / "bench" / "static-20mb.bin"
    static_file.parent.mkdir(parents=True, exist_ok=True)
    static_file.write_bytes(os.urandom(size))  # WhiteNoise finds it at start-up
    seeded = targets.job(env, "seed_attachments")
    try:
        with targets.daphne_servers("attachments", env, 1) as servers:
            found = throughput(
                servers.ports[0], seeded, rounds, size, "/static/bench/static-20mb.bin"
            )
        # Baseline: the same bodies to /healthz, which Django reads (ASGI spools a
        # request body before any view) and then refuses: the server's own share.
        with targets.daphne_servers("attachments-memory-base", env, 1) as servers:
            base = parallel_memory(
                servers.ports[0], servers.pids[0], seeded, parallel, size, "/healthz"
            )
        with targets.daphne_servers("attachments-memory", env, 1) as servers:
            memory = parallel_memory(servers.ports[0], servers.pids[0], seeded, parallel, size)
    finally:
        shutil.rmtree(static_file.parent, ignore_errors=True)
        shutil.rmtree(store, ignore_errors=True)
    label = database.label + (" + Redis" if redis_url else "")
    report(label, found, base, memory, rounds, parallel, size)


def report(
    label: str, found: dict, base: dict, memory: dict, rounds: int, parallel: int, size: int
) -> None:
    mb = size // (1024 * 1024)
    print(f"\nattachments: {label}, one Daphne process, DEBUG off, {mb} MB files, {rounds} rounds")
    print(f"{'target':<40}{'MB/s':>9}{'ratio':>8}{'median s':>10}{'errors':>8}")
    baseline = found["static"].mb_per_s
    names = {
        "static": "baseline: static file (WhiteNoise)",
        "download": "download /files/<id>/ (Django)",
        "received": "POST to /healthz (body received only)",
        "upload": "upload /files/upload/",
    }
    for key, name in names.items():
        t = found[key]
        median = statistics.median(t.seconds) if t.seconds else float("nan")
        ratio = t.mb_per_s / baseline
        print(f"{name:<40}{t.mb_per_s:>9.1f}{ratio:>8.2f}{median:>10.2f}{t.errors:>8}")
    print(f"{parallel} parallel {mb} MB POSTs, Daphne RSS (MB):")
    print(f"{'target':<40}{'idle':>7}{'peak':>7}{'growth':>8}{'x sent':>8}{'after':>7}{'s':>6}")
    for name, found_memory in (
        ("baseline: POST /healthz (refused)", base),
        ("upload /files/upload/", memory),
    ):
        grown = found_memory["peak_mb"] - found_memory["idle_mb"]
        print(
            f"{name:<40}{found_memory['idle_mb']:>7.0f}{found_memory['peak_mb']:>7.0f}"
            f"{grown:>8.0f}{grown / (parallel * mb):>8.2f}{found_memory['after_mb']:>7.0f}"
            f"{found_memory['seconds']:>6.1f}"
        )
    print(f"uploads stored: {memory['ok']}/{parallel}")
