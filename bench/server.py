"""What every benchmark does first: prepare its own database and seed it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def prepare(env: dict[str, str], seed_code: str, *args: str, timeout: float = 600) -> str:
    """Migrate, collect static files (DEBUG=0 serves hashed names) and run `seed_code`.

    Return what the seed printed.
    """
    (ROOT / "var").mkdir(exist_ok=True)
    python = sys.executable
    for command in (["migrate", "-v", "0"], ["collectstatic", "--no-input", "-v", "0"]):
        subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, check=True)
    done = subprocess.run(
        [python, "-c", seed_code, *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return done.stdout
