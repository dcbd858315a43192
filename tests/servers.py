"""Real server processes for tests: Daphne serving the test database."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from django.db import connection
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_url() -> str:
    """Return a DATABASE_URL for the database the current test run uses."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or "postgres"
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


class DaphneServer:
    """A Daphne process on a free port, started and stopped by a fixture."""

    def __init__(self, port: int | None = None, env: dict[str, str] | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = ROOT / "var" / f"daphne-{self.port}.log"
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(self.port),
            "forum.asgi:application",
        ]

    def log_text(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def start(self, timeout: float = 30) -> DaphneServer:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DEBUG": "1",
            "DATABASE_URL": test_database_url(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            **self.extra_env,
        }
        self.log_path.parent.mkdir(exist_ok=True)
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command(),
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{type(self).__name__} exited early:\n{self.log_path.read_text()}"
                )
            if self.ready():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{type(self).__name__} did not answer /healthz in {timeout}s")

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if hasattr(self, "log"):
            self.log.close()


class UvicornServer(DaphneServer):
    """The same application under uvicorn: the real-time path must not depend on Daphne."""

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--ws",
            "websockets",
            "--log-level",
            "info",
            "forum.asgi:application",
        ]


class PrivateRedis:
    """A redis-server of our own on a free port, so stopping it harms nobody else."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server") or "/usr/sbin/redis-server"
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> PrivateRedis:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


# --- talking to a real server the way a browser does -----------------------------


def session_for(member) -> str:
    client = Client()
    client.force_login(member)
    return client.cookies["sessionid"].value


@contextmanager
def open_socket(server: DaphneServer, session: str, slug: str = "legal-policy"):
    from websockets.sync.client import connect

    with connect(
        f"ws://127.0.0.1:{server.port}/ws/groups/{slug}/",
        additional_headers={"Cookie": f"sessionid={session}", "Origin": server.url},
        open_timeout=10,
    ) as websocket:
        assert json.loads(websocket.recv(timeout=10))["type"] == "hello"
        yield websocket


def next_event(websocket, timeout: float) -> dict:
    """Return the next frame that carries a seq, skipping presence and the like."""
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(websocket.recv(timeout=max(0.1, deadline - time.monotonic())))
        if "seq" in frame and frame["type"] not in ("hello", "resync"):
            return frame


def reply_over_http(server: DaphneServer, session: str, post_id: int, body: str) -> int:
    """Post a reply through the server's own form, with its CSRF token; return the status."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    url = f"{server.url}/p/{post_id}/reply/"
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={session}"})
    page = opener.open(request, timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    csrf_cookie = next(c.value for c in jar if c.name == "csrftoken")
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "body": body}).encode()
    request = urllib.request.Request(
        url,
        data=data,
        headers={"Cookie": f"sessionid={session}; csrftoken={csrf_cookie}"},
    )
    try:
        return opener.open(request, timeout=30).status
    except urllib.error.HTTPError as error:
        return error.code


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
