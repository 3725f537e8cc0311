"""One JSON log line per request, Prometheus metrics, and latency samples shipped to
ops.request_metrics (api.record_requests) in batches so /metrics/performance has real percentiles."""
from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LOG = logging.getLogger("odyssey.access")
ERR = logging.getLogger("odyssey.gateway")


def setup_logging() -> None:
    if not LOG.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        LOG.addHandler(handler)
        LOG.setLevel(logging.INFO)
        LOG.propagate = False


def log_request(fields: dict[str, Any]) -> None:
    LOG.info(json.dumps(fields, default=str, separators=(",", ":")))


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("odyssey_http_requests_total", "HTTP requests", ["route", "method", "status"],
                                registry=self.registry)
        self.errors = Counter("odyssey_http_errors_total", "HTTP error responses (4xx, 5xx)", ["route", "method", "status"],
                              registry=self.registry)
        self.latency = Histogram("odyssey_http_request_duration_seconds", "Request latency", ["route", "method"],
                                 buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
                                 registry=self.registry)
        self.pool = Gauge("odyssey_db_pool_connections", "Database pool connections", ["pool", "state"],
                          registry=self.registry)
        self.replica_lag = Gauge("odyssey_replica_lag_seconds", "Replica lag seen by the last replica-served read",
                                 registry=self.registry)
        self.replica_fallbacks = Counter("odyssey_replica_fallbacks_total", "Reads sent to the primary instead of the replica",
                                         ["reason"], registry=self.registry)
        self.rate_limited = Counter("odyssey_rate_limited_total", "Requests answered 429", ["scope"], registry=self.registry)

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)
        if status >= 400:
            self.errors.labels(route, method, str(status)).inc()


class SampleShipper:
    """Buffers (vendor, route, method, status, latency) and writes them every interval."""

    def __init__(self, interval: float = 1.0, max_buffer: int = 50000) -> None:
        self.interval = interval
        self.max_buffer = max_buffer
        self.buffer: list[dict[str, Any]] = []
        self._task: asyncio.Task | None = None

    def add(self, vendor_id: str | None, route: str, method: str, status: int, latency_ms: float) -> None:
        if len(self.buffer) < self.max_buffer:
            self.buffer.append({"at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1e6) % 1000000:06d}Z",
                                "vendor_id": vendor_id, "route": route, "method": method,
                                "status": status, "latency_ms": round(latency_ms, 3)})

    def start(self, pool) -> None:
        self._task = asyncio.create_task(self._run(pool))

    async def stop(self, pool) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await self.flush(pool)

    async def _run(self, pool) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.flush(pool)

    async def flush(self, pool) -> None:
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        try:
            async with pool.connection(timeout=2.0) as conn:
                await conn.execute("SELECT api.record_requests(%s::jsonb)", (json.dumps(batch),))
        except Exception:  # metrics must never break serving
            ERR.warning("could not ship %d latency samples", len(batch), exc_info=True)
