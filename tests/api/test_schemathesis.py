"""schemathesis fuzzes the API from its own OpenAPI document with all its checks,
against Daphne serving the test database, with read, write and moderate tokens."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.api.world import build_api_world
from tests.servers import ROOT, DaphneServer

pytestmark = pytest.mark.django_db(transaction=True)

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = os.environ.get("API_FUZZ_EXAMPLES", "25")


@pytest.fixture
def fuzzed_server():
    """Daphne with rate limits high enough that fuzzing reaches the operations."""
    world = build_api_world()
    daphne = DaphneServer(
        env={
            "API_READS_PER_MINUTE": "1000000",
            "API_WRITES_PER_MINUTE": "1000000",
            "FORUM_POSTS_PER_MINUTE": "1000000",
        }
    ).start()
    yield daphne, world
    daphne.stop()


def schemathesis(server: DaphneServer, token: str, report: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "--config-file",
            str(CONFIG),
            "run",
            f"{server.url}/api/v1/openapi.json",
            "--checks",
            "all",
            "--header",
            f"Authorization: Bearer {token}",
            "--max-examples",
            EXAMPLES,
            "--seed",
            "16",
            "--workers",
            "1",
            "--generation-database",
            "none",
            # Hypothesis's "data generation too slow" measures this shared machine's load,
            # not the API: every check still runs on every case.
            "--suppress-health-check",
            "too_slow",
            "--report",
            "junit",
            "--report-junit-path",
            str(report),
        ],
        cwd=report.parent,  # its cache directory goes there, not into the checkout
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.parametrize("scope", ["read", "write", "moderate"])
def test_schemathesis_finds_no_failure(fuzzed_server, scope, tmp_path):
    server, world = fuzzed_server
    run = schemathesis(server, world.tokens[scope], tmp_path / "junit.xml")
    log = ROOT / "var" / f"schemathesis-{connection.vendor}-{scope}.log"
    log.write_text(run.stdout + run.stderr)
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    assert "passed" in run.stdout
