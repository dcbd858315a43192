"""Search: 200 queries in four languages as a reader from another country, on SQLite and
on PostgreSQL, against a baseline measured in the same run (a plain SELECT of the 20
threads that reader sees first, as the group page does).

Seeds POSTS posts (10% pending, 20% of threads domestic to a country not the reader's)
in a database of its own per size, once (`var/bench-search-<N>.sqlite3`,
`<name>_search<N>_bench` on PostgreSQL), then builds the index as
`manage.py rebuild_search_index` does and reports its time and size, and p50/p95 of
the searches (the whole `search.query.search`: the query and the snippets).
`python -m bench search [--posts N] [--queries N]`; BENCH_SEARCH_POSTS (10,000) sets
the default.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse

from bench import targets

ROOT = targets.ROOT
POSTS = int(os.environ.get("BENCH_SEARCH_POSTS", "10000"))
QUERIES = 200


def add_arguments(parser) -> None:
    parser.add_argument(
        "--posts", type=int, default=POSTS, help="posts to seed (default 10,000; 1,000 is quick)"
    )
    parser.add_argument(
        "--queries", type=int, default=QUERIES, help="searches to time (default 200)"
    )


def _database(database: targets.Database, posts: int) -> targets.Database:
    """A database of this benchmark's own per size: its seed would change the others'."""
    if database.kind == "sqlite":
        return targets.sqlite_database(f"search-{posts}")
    parts = urllib.parse.urlsplit(database.url)
    base = database.name.removesuffix(targets.BENCH_SUFFIX)
    name = f"{base}_search{posts}{targets.BENCH_SUFFIX}"
    return targets.Database("postgres", urllib.parse.urlunsplit(parts._replace(path="/" + name)))


def main(options: targets.Options | None = None, args=None) -> None:
    options = options or targets.Options()
    posts = args.posts if args is not None else POSTS
    count = args.queries if args is not None else QUERIES
    rows = []
    for found in targets.databases(options, "search"):
        database = _database(found, posts)
        if database.kind == "postgres":
            problem = targets.ensure_postgres(database)
            if problem:
                print(f"search: {problem}; PostgreSQL rows skipped")
                continue
        env = targets.server_env(database)
        print(f"search: {database.label}: seeding {posts:,} posts in {database.name} …", flush=True)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        targets.job(env, "search_seed", posts, timeout=3600)
        result = targets.job(env, "search_run", count, timeout=3600)
        rows.append((database.label, result))
        _report(database.label, result)
    if rows:
        print()
        print(
            "| database | posts | index entries | index build | index size | search p50 | "
            "search p95 | baseline p50 | baseline p95 | p95 ratio |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for label, r in rows:
            s, b = r["search"], r["baseline"]
            print(
                f"| {label} | {r['posts']:,} | {r['entries']:,} | {r['build_s']:.1f} s | "
                f"{r['index_bytes'] / 2**20:.1f} MB | "
                f"{s['p50_ms']:.1f} ms | {s['p95_ms']:.1f} ms | "
                f"{b['p50_ms']:.1f} ms | {b['p95_ms']:.1f} ms | "
                f"{s['p95_ms'] / max(b['p95_ms'], 1e-6):.1f}x |"
            )


def _report(label: str, result: dict) -> None:
    s, b = result["search"], result["baseline"]
    print(
        f"{label}: {result['posts']:,} posts, {result['entries']:,} index entries built in "
        f"{result['build_s']:.1f} s, {result['index_bytes'] / 2**20:.1f} MB"
    )
    print(
        f"  search   p50 {s['p50_ms']:.1f} ms, p95 {s['p95_ms']:.1f} ms, max {s['max_ms']:.1f} ms"
    )
    print(
        f"  baseline p50 {b['p50_ms']:.1f} ms, p95 {b['p95_ms']:.1f} ms "
        f"(20 visible threads); p95 ratio {s['p95_ms'] / max(b['p95_ms'], 1e-6):.1f}x"
    )
    per = ", ".join(
        f"{text} {ms:.1f} ms ({result['hits'][text]})"
        for text, ms in result["per_query_ms"].items()
    )
    print(f"  per query (median, hits on page 1): {per}", flush=True)
