"""First contentful paint of a 20-post thread page on a slow mobile link, against a static
page of the same bytes served by the same server in the same run.

Chromium (Debian's, driven by Playwright) emulates a 400 kbit/s, 400 ms round-trip link
through the DevTools protocol. Each sample is a fresh browser context: "cold" is its
first visit (nothing cached), "warm" a second visit in the same context (CSS, scripts
and icons cached; the thread page revalidated by its ETag). The static twin is the
thread page's own HTML written beside the collected static files, gzipped like the
page, so the ratio isolates what the server adds (session, queries, rendering, ETag).

`python -m bench reading [--db ...] [--samples N]`; BENCH_READING_SAMPLES (5) sets the
default. Needs /usr/bin/chromium.
"""

from __future__ import annotations

import os
import statistics

from bench import targets

SAMPLES = int(os.environ.get("BENCH_READING_SAMPLES", "5"))
CHROMIUM = "/usr/bin/chromium"
# 400 kbit/s both ways, 400 ms round trip (DevTools applies the latency per request).
LINK = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400_000 / 8,
    "uploadThroughput": 400_000 / 8,
}
FCP = "(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || -1"


def add_arguments(parser) -> None:
    parser.add_argument("--samples", type=int, default=SAMPLES, help="per target (default 5)")


def _visit(page, url: str) -> tuple[float, int]:
    """Load `url` on the emulated link; return (first contentful paint in ms, bytes
    received for the document over the wire)."""
    sizes: dict[str, int] = {}
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.setCacheDisabled", {"cacheDisabled": False})
    session.send("Network.emulateNetworkConditions", LINK)
    documents: set[str] = set()
    session.on(
        "Network.responseReceived",
        lambda e: documents.add(e["requestId"]) if e.get("type") == "Document" else None,
    )
    session.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], int(e.get("encodedDataLength", 0))),
    )
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)  # let the paint entry be recorded
    fcp = float(page.evaluate(FCP))
    session.detach()
    return fcp, sum(sizes.get(r, 0) for r in documents)


def measure(port: int, seeded: dict, samples: int) -> dict[str, dict[str, list]]:
    from playwright.sync_api import sync_playwright

    base = f"http://127.0.0.1:{port}"
    results: dict[str, dict[str, list]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-quic"]
        )
        try:
            for _sample in range(samples):
                # Alternate the two targets so that a noisy moment hits both.
                for name, path in (
                    ("static page", seeded["static"]),
                    ("thread page", seeded["thread"]),
                ):
                    context = browser.new_context(base_url=base)
                    context.add_cookies(
                        [{"name": "sessionid", "value": seeded["session"], "url": base}]
                    )
                    page = context.new_page()
                    cold = _visit(page, path)
                    page.goto("about:blank")
                    warm = _visit(page, path)
                    context.close()
                    entry = results.setdefault(name, {"cold": [], "warm": [], "bytes": []})
                    entry["cold"].append(cold[0])
                    entry["warm"].append(warm[0])
                    entry["bytes"].append(cold[1])
        finally:
            browser.close()
    return results


def report(title: str, results: dict[str, dict[str, list]], seeded: dict) -> None:
    print(f"\n{title}")
    print(
        f"page HTML: {seeded['bytes'] / 1024:.1f} KB, gzipped {seeded['gzip_bytes'] / 1024:.1f} KB"
    )
    print(
        f"{'target':<14}{'cold FCP ms':>13}{'ratio':>8}{'warm FCP ms':>13}{'ratio':>8}"
        f"{'doc KB on wire':>16}"
    )
    base = results["static page"]
    for name in ("static page", "thread page"):
        r = results[name]
        cold, warm = statistics.median(r["cold"]), statistics.median(r["warm"])
        print(
            f"{name:<14}{cold:>13.0f}{cold / statistics.median(base['cold']):>8.2f}"
            f"{warm:>13.0f}{warm / statistics.median(base['warm']):>8.2f}"
            f"{statistics.median(r['bytes']) / 1024:>16.1f}"
        )


def main(options: targets.Options | None = None, args=None) -> None:
    options = options or targets.Options()
    samples = args.samples if args is not None else SAMPLES
    if not os.path.exists(CHROMIUM):
        print(f"reading: {CHROMIUM} is missing; skipped")
        return
    with targets.redis_for(options, "reading") as redis:
        for database in targets.databases(options, "reading"):
            redis_url = redis.url if redis is not None and database.kind == "postgres" else None
            env = targets.server_env(database, redis_url)
            targets.prepare(env)
            seeded = targets.job(env, "reading_thread")
            with targets.daphne_servers("reading", env, 1) as servers:
                results = measure(servers.ports[0], seeded, samples)
            report(
                f"reading: one Daphne process ({database.label}"
                f"{' + Redis' if redis_url else ''}), 400 kbit/s, 400 ms RTT, "
                f"median of {samples} fresh contexts",
                results,
                seeded,
            )
