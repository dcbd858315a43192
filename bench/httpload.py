"""A small closed-loop HTTP load generator: N keep-alive connections for a fixed time."""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    path: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    bytes_per_response: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")


def run(
    host: str, port: int, path: str, *, seconds: float, connections: int, headers: dict[str, str]
) -> LoadResult:
    """Hit `path` from `connections` threads for `seconds`; count 200 responses."""
    result = LoadResult(path=path)
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        local: list[float] = []
        ok = errors = size = 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
                continue
            if response.status == 200:
                ok += 1
                size = len(body)
                local.append(time.perf_counter() - started)
            else:
                errors += 1
        conn.close()
        with lock:
            result.requests += ok
            result.errors += errors
            result.latencies.extend(local)
            result.bytes_per_response = size or result.bytes_per_response

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - began
    return result
