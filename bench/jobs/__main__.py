"""`python -m bench.jobs NAME [ARG ...]`: run one seed or probe, print its JSON answer last.

The settings come from the environment (DATABASE_URL and the rest, built by
bench/targets.py), so the same job runs against SQLite or PostgreSQL.
"""

from __future__ import annotations

import json
import sys

import django


def main(argv: list[str]) -> int:
    django.setup()
    from bench.jobs import digests, probes, reading, seeds

    jobs = {**seeds.JOBS, **probes.JOBS, **digests.JOBS, **reading.JOBS}
    if not argv or argv[0] not in jobs:
        print(f"choose a job: {', '.join(sorted(jobs))}", file=sys.stderr)
        return 2
    print(json.dumps(jobs[argv[0]](*argv[1:])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
