"""Job handlers by kind. A handler is a callable taking a JobContext; returning means success,
raising PermanentError means "do not retry", any other exception means "retry later" (the SQL
side decides backoff and dead-lettering). Long handlers should watch ctx.stop (set when the job
is canceled, its lease is lost or the worker shuts down) and raise JobInterrupted."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg


class PermanentError(Exception):
    """The job cannot succeed by retrying (bad payload, malformed input): dead-letter it now."""


class JobInterrupted(Exception):
    """The handler stopped because ctx.stop was set."""


@dataclass
class JobContext:
    id: int
    kind: str
    vendor_id: str | None
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    worker_id: str
    stop: threading.Event = field(default_factory=threading.Event)
    _connect: Callable[[], psycopg.Connection] | None = None
    _open: Callable[[], psycopg.Connection] | None = None

    def connection(self) -> psycopg.Connection:
        """This handler thread's own connection (role odyssey_worker, autocommit off)."""
        if self._connect is None:
            raise RuntimeError("no database connection factory")
        return self._connect()

    def open_connection(self) -> psycopg.Connection:
        """A further connection (same role, autocommit off) for work done in parallel; the caller closes it."""
        if self._open is None:
            raise RuntimeError("no database connection factory")
        return self._open()

    def check(self) -> None:
        """Raise JobInterrupted if the job must stop."""
        if self.stop.is_set():
            raise JobInterrupted()


Handler = Callable[[JobContext], None]
HANDLERS: dict[str, Handler] = {}


def register(kind: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn
    return deco


@register("noop")
def noop(ctx: JobContext) -> None:
    """Does nothing (tests, benchmarks)."""


@register("sleep")
def sleep(ctx: JobContext) -> None:
    """Sleeps payload.seconds (default 1), interruptibly; payload.fail: "retry" | "permanent" fails after."""
    seconds = float(ctx.payload.get("seconds", 1))
    if ctx.stop.wait(seconds):
        raise JobInterrupted()
    fail = ctx.payload.get("fail")
    if fail == "permanent":
        raise PermanentError("asked to fail permanently")
    if fail == "retry":
        raise RuntimeError("asked to fail")
