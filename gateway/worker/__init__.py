"""The queue worker: dequeues jobs from queue.* (SQL), runs a handler per kind, heartbeats long
jobs, completes or fails them. All queue rules (leases, caps, fairness, retries) live in SQL."""
from .handlers import HANDLERS, JobContext, JobInterrupted, PermanentError, register
from .runner import Worker, WorkerConfig
from . import connector, ingest, maintenance, webhooks  # noqa: F401  (register the handlers: ingest.csv, ingest.api, connector.test, matching.allergen_masks, webhook.deliver)

__all__ = ["HANDLERS", "JobContext", "JobInterrupted", "PermanentError", "register", "Worker", "WorkerConfig"]
