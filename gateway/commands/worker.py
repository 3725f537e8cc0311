"""odyssey worker: run a queue worker process (several may run at once, on one or many hosts)."""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

from ..config import setting


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kinds", default=None,
                        help="comma-separated job kinds to run (default: every kind with a handler)")
    parser.add_argument("--concurrency", type=int, default=4, help="handler threads (default 4)")
    parser.add_argument("--batch", type=int, default=10, help="max jobs taken per dequeue (default 10)")
    parser.add_argument("--lease", type=float, default=30.0,
                        help="lease in seconds; running jobs are heartbeated every lease/3 (default 30)")
    parser.add_argument("--poll-interval", type=float, default=5.0,
                        help="safety poll when no notification arrives, seconds (default 5)")
    parser.add_argument("--reap-interval", type=float, default=10.0,
                        help="how often to requeue jobs whose lease expired, end expired uploads (deleting their bytes) "
                             "and purge old outbox events, webhook deliveries and raw connector pages, seconds (default 10)")
    parser.add_argument("--shutdown-timeout", type=float, default=30.0,
                        help="on SIGTERM/SIGINT, how long running jobs may finish before being handed back (default 30)")
    parser.add_argument("--worker-id", default=None, help="worker id recorded on the jobs it holds (default host:pid)")
    parser.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                        help="import a module that registers more handlers (repeatable)")
    parser.add_argument("--max-jobs", type=int, default=None, help="exit after this many jobs")
    parser.add_argument("--exit-when-idle", action="store_true", help="exit when no job is due")
    parser.add_argument("--database-url", default=None, help="default: ODYSSEY_WORKER_URL")
    parser.add_argument("--log-level", default="INFO")


def main(args: argparse.Namespace) -> int:
    from ..worker import HANDLERS, Worker, WorkerConfig

    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for module in args.imports:
        importlib.import_module(module)
    url = args.database_url or setting("ODYSSEY_WORKER_URL")
    if not url:
        print("ODYSSEY_WORKER_URL is not set (run scripts/cluster up, or export it)", file=sys.stderr)
        return 2
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()] if args.kinds else sorted(HANDLERS)
    config = WorkerConfig(url=url, kinds=kinds, concurrency=max(1, args.concurrency), batch=max(1, args.batch),
                          lease=args.lease, poll_interval=args.poll_interval, reap_interval=args.reap_interval,
                          shutdown_timeout=args.shutdown_timeout, max_jobs=args.max_jobs,
                          exit_when_idle=args.exit_when_idle)
    if args.worker_id:
        config.worker_id = args.worker_id
    try:
        worker = Worker(config)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return worker.run()
