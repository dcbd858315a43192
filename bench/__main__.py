"""Run the benchmarks: `make bench` or `python -m bench [NAME ...] [flags]`.

`python -m bench` runs every benchmark with its default sizes; `python -m bench NAME
[flags]` runs one, with its own flags as well (`python -m bench NAME --help`). Every
benchmark takes the common flags: --db, --pg-url, --redis-url, --processes, --worker.
"""

from __future__ import annotations

import argparse
import sys
import time

from bench import (
    api,
    connect_storm,
    digests,
    fanout,
    meeting_chat,
    replies,
    targets,
    thread_pages,
)

BENCHMARKS = {
    "thread_pages": thread_pages,
    "fanout": fanout,
    "meeting_chat": meeting_chat,
    "replies": replies,
    "connect_storm": connect_storm,
    "digests": digests,
    "api": api,
}


def parser_for(names: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks, each against a baseline measured in the same run.",
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(BENCHMARKS))
    targets.add_common_arguments(parser)
    if len(names) == 1 and names[0] in BENCHMARKS:
        group = parser.add_argument_group(f"{names[0]} options")
        BENCHMARKS[names[0]].add_arguments(group)
    return parser


def main(argv: list[str]) -> int:
    args = parser_for([a for a in argv if a in BENCHMARKS]).parse_args(argv)
    chosen = args.names or list(BENCHMARKS)
    unknown = [n for n in chosen if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    options = targets.options_from(args)
    began = time.monotonic()
    for name in chosen:
        started = time.monotonic()
        module = BENCHMARKS[name]
        # A benchmark's own flags apply when it runs alone; otherwise its defaults do.
        module.main(options, args if len(chosen) == 1 else None)
        print(f"[{name}: {time.monotonic() - started:.0f} s]", flush=True)
    if len(chosen) > 1:
        print(f"[all benchmarks: {time.monotonic() - began:.0f} s]")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
