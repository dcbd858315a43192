"""`manage.py serve`: several Daphne processes on one port, balanced by the kernel
(SO_REUSEPORT), sharing events through Redis, supervised and stopped together.

Which process holds a connection is read from outside, the way `ss -tp` does: the socket
inodes in /proc/<pid>/fd of each child, matched against /proc/net/tcp. Nothing about the
process shows in what members receive.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from forum.actions import threads as actions
from tests.conftest import skip_or_fail
from tests.servers import DaphneServer, next_event, open_socket, reply_over_http, session_for

pytestmark = pytest.mark.django_db(transaction=True)

SOCKETS = 20  # all on one of two processes by chance: 2 in 2**20


class ServeCommand(DaphneServer):
    """`manage.py serve --processes 2` on a free port, against the test database."""

    processes = 2

    def command(self) -> list[str]:
        return [
            *(sys.executable, "manage.py", "serve", "-p", str(self.port)),
            *("--processes", str(self.processes)),
        ]

    def ready(self) -> bool:
        # Every child first: until a child adopts its socket, the kernel queues the
        # connections it hashes there, and a probe that gave up would still be served later.
        started = self.log_text().count("Listening on TCP address")
        return started == self.processes and super().ready()

    def start(self, timeout: float = 60) -> ServeCommand:
        super().start(timeout)
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        self.pids = [int(child) for child in children.split()]
        return self

    def stop(self) -> None:
        """Stop the command, and its children should it fail to: none may outlive a test."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)  # it kills a child that is slow to stop at 10 s
            except subprocess.TimeoutExpired:
                self.process.kill()
        for pid in getattr(self, "pids", []):
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)
        self.log.close()


def client_ports_by_child(pids: list[int], port: int) -> dict[int, set[int]]:
    """Map each pid to the client ports of the connections it holds on `port`."""
    owner = {}
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            target = os.readlink(fd)
            if target.startswith("socket:["):
                owner[target.removeprefix("socket:[").rstrip("]")] = pid
    held: dict[int, set[int]] = {pid: set() for pid in pids}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
        if state == "01" and int(local.split(":")[1], 16) == port and inode in owner:
            held[owner[inode]].add(int(remote.split(":")[1], 16))
    return held


def gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


@pytest.fixture
def reuseport() -> None:
    try:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    except (AttributeError, OSError):
        skip_or_fail("SO_REUSEPORT is not available on this system")
    if not Path("/proc/net/tcp").exists() or not Path(f"/proc/{os.getpid()}/task").exists():
        skip_or_fail("/proc is needed to see which process holds a connection")


@pytest.fixture
def serve(reuseport, private_redis, legal):
    server = ServeCommand(env={"REDIS_URL": private_redis.url}).start()
    yield server
    server.stop()


def test_both_processes_accept_connections_on_the_one_port(serve, other_country_member):
    session = session_for(other_country_member)
    with ExitStack() as stack:
        sockets = [stack.enter_context(open_socket(serve, session)) for _ in range(SOCKETS)]
        held = client_ports_by_child(serve.pids, serve.port)
        ours = {websocket.local_address[1] for websocket in sockets}

    assert len(serve.pids) == 2
    assert all(held.values()), held  # every process holds some of the sockets
    assert set.union(*held.values()) == ours  # and they hold nothing but ours


def test_a_post_served_by_one_process_reaches_sockets_on_the_other(
    serve, member, other_country_member, legal
):
    """Listeners sit on both processes, so whichever process serves the reply, the
    listeners on the other one receive it too."""
    thread = actions.create_thread(author=member, group=legal, title="Across", body="x")
    session = session_for(other_country_member)
    with ExitStack() as stack:
        listeners = [stack.enter_context(open_socket(serve, session)) for _ in range(SOCKETS)]
        held = client_ports_by_child(serve.pids, serve.port)
        assert all(held.values()), held

        status = reply_over_http(serve, session_for(member), thread.posts.get().pk, "Hello")
        assert status == 302
        events = [next_event(listener, timeout=15) for listener in listeners]

    assert {event["type"] for event in events} == {"post.created"}
    assert all("Hello" in event["data"]["html"] for event in events)


def test_sigterm_stops_every_process_and_frees_the_port(serve):
    serve.process.send_signal(signal.SIGTERM)

    assert serve.process.wait(timeout=60) == 0
    assert all(gone(pid) for pid in serve.pids)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", serve.port), timeout=5)


def test_a_process_that_dies_stops_the_others_and_the_command_fails(serve):
    dying, other = serve.pids

    os.kill(dying, signal.SIGKILL)

    assert serve.process.wait(timeout=60) == 1
    assert gone(other)
    assert f"(pid {dying}) was killed by SIGKILL; stopping the others." in serve.log_text()


def test_several_processes_without_redis_are_refused(settings):
    settings.REDIS_URL = None
    with pytest.raises(CommandError, match="share live events through Redis: set REDIS_URL"):
        call_command("serve", processes=2)


def test_a_port_another_server_listens_on_is_refused(reuseport):
    """Even one bound with SO_REUSEPORT, as an old `serve` would be: no silent sharing."""
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(CommandError, match=f"Cannot listen on 127.0.0.1:{port}"):
            call_command("serve", processes=1, port=port)
