"""Run the benchmarks: `make bench` or `python -m bench [name ...]`."""

from __future__ import annotations

import sys

from bench import digests, fanout, meeting_chat, thread_pages

BENCHMARKS = {
    "thread_pages": thread_pages.main,
    "fanout": fanout.main,
    "meeting_chat": meeting_chat.main,
    "digests": digests.main,
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    for name in names:
        BENCHMARKS[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
