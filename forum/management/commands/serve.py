"""Serve the forum on one address with several Daphne processes, one per core by default.

Each process gets a listening socket of its own, bound with SO_REUSEPORT to the same host
and port, and the kernel spreads new connections across them. The processes share live
events through Redis. This command only supervises: it forwards SIGINT and SIGTERM, and if
a process dies it stops the others and exits non-zero, so that systemd restarts the unit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

APPLICATION = "forum.asgi:application"
# Seconds a process has to exit once asked to stop, then it is killed. Daphne drops its
# connections at once, but a request caught between the event loop and a worker thread
# (async_to_sync into a loop that has stopped) can keep the interpreter from exiting.
STOP_TIMEOUT = 10


def cpu_cores() -> int:
    """Return the number of cores this process may run on (its affinity, in a container)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def reuseport_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """Return `count` IPv4 sockets listening on host:port, each bound with SO_REUSEPORT."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise CommandError("This system has no SO_REUSEPORT; run one Daphne per port instead.")
    sockets: list[socket.socket] = []
    try:
        # A plain bind first: with SO_REUSEPORT alone, a second server of the same user
        # (say, an old `serve` still running) would quietly share the port instead of failing.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
        for _ in range(count):
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(listener)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            listener.bind((host, port))
            listener.listen(socket.SOMAXCONN)  # a reconnect storm arrives all at once
    except OSError as error:
        for listener in sockets:
            listener.close()
        raise CommandError(f"Cannot listen on {host}:{port}: {error}") from None
    return sockets


def describe_exit(code: int) -> str:
    if code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


class Command(BaseCommand):
    help = (
        "Serve HTTP and WebSocket on one address with several Daphne processes (default: one "
        "per CPU core) that the kernel balances connections across (SO_REUSEPORT, Linux)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "-b", "--bind", default="127.0.0.1", help="IPv4 address (default 127.0.0.1)."
        )
        parser.add_argument("-p", "--port", type=int, default=8000, help="Port (default 8000).")
        parser.add_argument(
            "--processes",
            type=int,
            default=None,
            help="Daphne processes (default: the SERVE_PROCESSES setting; 0 means one per "
            "CPU core). More than one needs REDIS_URL.",
        )
        parser.add_argument(
            "--proxy-headers",
            action="store_true",
            help="Take the client address from X-Forwarded-For (set only behind a proxy).",
        )

    def handle(
        self, *args, bind: str, port: int, processes: int | None, proxy_headers: bool, **options
    ) -> None:
        if processes is None:
            processes = settings.SERVE_PROCESSES
        processes = processes or cpu_cores()
        if processes < 1:
            raise CommandError("--processes must be at least 1")
        if not 1 <= port <= 65535:
            raise CommandError("--port must be between 1 and 65535")
        if processes > 1 and not settings.REDIS_URL:
            raise CommandError(
                f"{processes} processes must share live events through Redis: set REDIS_URL, "
                "or pass --processes 1."
            )
        daphne = [sys.executable, "-m", "daphne", "-v", str(options["verbosity"])]
        if proxy_headers:
            daphne.append("--proxy-headers")

        sockets = reuseport_sockets(bind, port, processes)
        self.children: dict[int, tuple[int, subprocess.Popen]] = {}
        self.stopping = False
        self.killed: set[int] = set()
        signal.signal(signal.SIGINT, self.forward)
        signal.signal(signal.SIGTERM, self.forward)
        signal.signal(signal.SIGALRM, self.kill_stragglers)
        try:
            for index, listener in enumerate(sockets, 1):
                if self.stopping:
                    break
                fd = listener.fileno()
                command = [*daphne, "--fd", str(fd), APPLICATION]
                child = subprocess.Popen(command, pass_fds=[fd])  # noqa: S603
                self.children[child.pid] = (index, child)
        finally:
            # Each child holds its own socket now; one that dies must take its socket with it,
            # or the kernel would keep queueing connections there.
            for listener in sockets:
                listener.close()
        count, pids = len(self.children), ", ".join(str(pid) for pid in self.children)
        self.say(
            f"Serving on http://{bind}:{port} with {count} Daphne process{'es' * (count > 1)} "
            f"(pid {pids}){', sharing events through Redis' if settings.REDIS_URL else ''}."
        )

        failure = None
        while self.children:
            # Block until a child has exited, without reaping it (poll() below reaps); the
            # signal handler's poll() may have reaped the last one already.
            with contextlib.suppress(ChildProcessError):
                os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)
            for pid, (index, child) in list(self.children.items()):
                if child.poll() is None:
                    continue
                del self.children[pid]
                if pid in self.killed:
                    late = f"did not stop within {STOP_TIMEOUT}s; killed it"
                    self.say(f"Process {index} (pid {pid}) {late}.")
                elif not self.stopping:
                    failure = f"Process {index} (pid {pid}) {describe_exit(child.returncode)}"
                    self.say(f"{failure}; stopping the others.")
                    self.forward(signal.SIGTERM)
        signal.alarm(0)
        if failure:
            raise CommandError(f"{failure}; stopped the others.")
        self.say("Stopped.")

    def forward(self, signum: int, frame: object = None) -> None:
        """Pass a stop signal on to every running child; they stop, then so do we."""
        if not self.stopping:
            signal.alarm(STOP_TIMEOUT)
        self.stopping = True
        for _index, child in self.children.values():
            if child.returncode is None:
                child.send_signal(signum)

    def kill_stragglers(self, signum: int, frame: object = None) -> None:
        """Kill the children still running STOP_TIMEOUT seconds after the stop signal."""
        for _index, child in self.children.values():
            if child.poll() is None:
                self.killed.add(child.pid)
                child.kill()

    def say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
