"""The ingest.csv handler: streams an uploaded CSV file into staging with COPY and drives the
job through the SQL pipeline (db/functions/ingest_jobs.sql), one committed step at a time.

Python's part is bytes only: read the file from its checkpointed byte offset in chunks that end
on a record boundary, COPY each chunk into a session temp table and let ingest.job_stage_chunk
map it into staging and advance the checkpoint in the same transaction. A chunk that COPY
refuses (a record with the wrong number of fields, bytes that are not in the file's encoding,
blank lines) is split record by record with the csv module instead, and each unreadable record is
reported as a row defect. Every rule — format, mapping, validation, merge, totals — is SQL's.
The merge runs over ODYSSEY_INGEST_MERGE_CONNECTIONS connections at once (default 2, one per
core here): each claims, merges and checkpoints whole batches in SQL (ingest.job_merge_next).
A worker that dies leaves the job at its last checkpoint; the next one continues from there."""
from __future__ import annotations

import csv
import io
import json
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO

import psycopg
from psycopg import sql

from ..storage import upload_path
from .handlers import JobContext, JobInterrupted, PermanentError, register

log = logging.getLogger("odyssey.worker.ingest")

SAMPLE_BYTES = 256 * 1024
CHUNK_BYTES = int(os.environ.get("ODYSSEY_INGEST_CHUNK_BYTES", 32 * 1024 * 1024))
MERGE_BATCH_ROWS = int(os.environ.get("ODYSSEY_INGEST_BATCH_ROWS", 100_000))
MERGE_CONNECTIONS = max(1, int(os.environ.get("ODYSSEY_INGEST_MERGE_CONNECTIONS", 2)))
PY_ENCODINGS = {"UTF8": "utf-8", "WIN1252": "cp1252"}
COPY_REFUSALS = (psycopg.errors.BadCopyFileFormat, psycopg.errors.CharacterNotInRepertoire,
                 psycopg.errors.UntranslatableCharacter, psycopg.errors.InvalidTextRepresentation)


def open_upload(upload: dict) -> BinaryIO:
    """The uploaded file as a seekable binary stream."""
    if upload["storage"] == "local":
        try:
            return open(upload_path(upload["object_path"]), "rb")
        except ValueError as exc:
            raise PermanentError(str(exc)) from exc
        except FileNotFoundError as exc:
            raise PermanentError(f"the uploaded file is missing from the store ({upload['object_path']})") from exc
    if upload["storage"] == "supabase":
        from .supabase_source import SupabaseObject
        return SupabaseObject(upload["object_path"])
    raise PermanentError(f"unknown storage {upload['storage']!r}")


def record_boundary(buf: bytes | bytearray, at_eof: bool) -> int:
    """Length of the longest prefix of buf made of whole CSV records (0 if none yet)."""
    if at_eof:
        return len(buf)
    pos = buf.rfind(b"\n")
    while pos >= 0:
        if buf.count(b'"', 0, pos) % 2 == 0:  # the line break is outside quotes
            return pos + 1
        pos = buf.rfind(b"\n", 0, pos)
    return 0


class IngestJob:
    def __init__(self, ctx: JobContext) -> None:
        self.ctx = ctx
        self.job_id = str(ctx.payload.get("job_id") or "")
        if not self.job_id:
            raise PermanentError("payload has no job_id")
        self.conn = ctx.connection()
        self.user_id: str | None = None

    # ---- database steps: one transaction each -------------------------------------------
    def call(self, function: str, *args: object, conn: psycopg.Connection | None = None) -> dict:
        conn = conn or self.conn
        with conn.transaction():
            row = conn.execute(
                sql.SQL("select {}({})").format(sql.SQL(function), sql.SQL(", ").join(sql.Placeholder() * len(args))),
                args).fetchone()
        return row[0] if row else None

    def set_tenant(self, vendor_id: str, user_id: str | None, conn: psycopg.Connection | None = None) -> None:
        # Session-wide on this handler thread's own connection, reset for every job.
        conn = conn or self.conn
        conn.execute("select set_config('odyssey.vendor_id', %s, false), set_config('odyssey.user_id', %s, false)",
                     (vendor_id, user_id or ""))
        conn.commit()

    def fail(self, code: str, message: str) -> None:
        self.call("ingest.job_fail", self.job_id, code, message)

    # ---- the job ------------------------------------------------------------------------
    def run(self) -> None:
        if not self.ctx.vendor_id:
            raise PermanentError("an ingest job needs a vendor")
        self.set_tenant(self.ctx.vendor_id, None)
        try:
            state = self.begin()
        except psycopg.Error as exc:
            if exc.sqlstate == "OD422":  # a job that cannot run (a sync whose connector was deleted)
                self.fail(exc.diag.message_hint or "invalid_job", exc.diag.message_primary or str(exc))
            if exc.sqlstate in ("OD404", "OD422"):
                raise PermanentError(str(exc)) from exc
            raise
        if state["finished"]:
            return
        self.user_id = state.get("created_by")
        self.set_tenant(self.ctx.vendor_id, self.user_id)
        try:
            self.steps(state)
        except PermanentError as exc:
            self.fail(getattr(exc, "code", "unreadable_file"), str(exc))
            raise
        except psycopg.Error as exc:
            if exc.sqlstate == "OD409" and exc.diag.message_hint in ("canceled", "stale"):
                raise JobInterrupted() from exc
            if exc.sqlstate == "OD422":
                self.fail(exc.diag.message_hint or "invalid_file", exc.diag.message_primary or str(exc))
                raise PermanentError(exc.diag.message_primary or str(exc)) from exc
            self.fail_if_last_attempt(exc)
            raise
        except JobInterrupted:
            raise
        except Exception as exc:
            self.fail_if_last_attempt(exc)
            raise

    def fail_if_last_attempt(self, exc: Exception) -> None:
        if self.ctx.attempts >= self.ctx.max_attempts:
            self.conn.rollback()
            self.fail("internal_error", f"gave up after {self.ctx.attempts} attempts: {exc}")

    def begin(self) -> dict:
        """Takes (or takes over) the job in SQL; returns its state."""
        return self.call("ingest.job_begin", self.job_id)

    def fill_staging(self, state: dict) -> None:
        """The copying phase: the uploaded file into staging, from the checkpointed byte on."""
        with open_upload(state["upload"]) as source:
            checkpoint = state["checkpoint"]
            if "plan" not in checkpoint:
                sample = source.read(SAMPLE_BYTES)
                checkpoint = self.call("ingest.job_plan", self.job_id, sample)
            self.copy(source, checkpoint)

    def steps(self, state: dict) -> None:
        phase = state["phase"]
        if phase == "copying":
            self.fill_staging(state)
            self.ctx.check()
            self.call("ingest.job_validate", self.job_id)
            phase = "merging"
        if phase == "merging":
            self.merge()
            phase = "analyzing"
        if phase == "analyzing":
            self.ctx.check()
            self.call("ingest.job_analyze", self.job_id)
            self.call("ingest.job_finalize", self.job_id)

    # ---- merge phase --------------------------------------------------------------------
    def merge(self) -> None:
        """Merges every staged batch, MERGE_CONNECTIONS batches at a time (SQL claims each batch and
        checkpoints it); returns once the job has left the merging phase."""
        extra = [self.ctx.open_connection() for _ in range(MERGE_CONNECTIONS - 1)]
        failed = threading.Event()
        try:
            for conn in extra:
                self.set_tenant(self.ctx.vendor_id, self.user_id, conn)
            with ThreadPoolExecutor(max_workers=max(1, len(extra))) as pool:
                while True:
                    futures = [pool.submit(self.merge_batches, conn, failed) for conn in extra]
                    try:
                        finished = self.merge_batches(self.conn, failed)
                    except BaseException:
                        failed.set()
                        raise
                    for future in futures:
                        finished = future.result() or finished
                    if finished:
                        return
                    time.sleep(0.5)  # every batch left is claimed by a connection that is not ours (a taken-over worker's)
        finally:
            for conn in extra:
                conn.close()

    def merge_batches(self, conn: psycopg.Connection, failed: threading.Event) -> bool:
        """Merges batches on one connection until none is left (True) or all left are claimed elsewhere (False)."""
        try:
            while not failed.is_set():
                self.ctx.check()
                step = self.call("ingest.job_merge_next", self.job_id, MERGE_BATCH_ROWS, conn=conn)
                if step["done"]:
                    return True
                if step.get("busy"):
                    return False
            return False
        except BaseException:
            failed.set()
            raise

    # ---- copy phase ---------------------------------------------------------------------
    def copy(self, source: BinaryIO, checkpoint: dict) -> None:
        fmt = checkpoint["format"]
        ncols = int(fmt["columns"])
        resume = self.call("ingest.job_copy_resume", self.job_id)
        offset = int(resume["offset"])
        self.conn.execute("drop table if exists pg_temp.ingest_raw")
        self.conn.execute(sql.SQL("create temp table ingest_raw (n bigint generated by default as identity, {})").format(
            sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(f"c{i}")) for i in range(1, ncols + 1))))
        self.conn.commit()
        copy_sql = self.copy_sql(fmt, ncols)
        source.seek(offset)
        buf = bytearray()
        at_eof = False
        while True:
            self.ctx.check()
            if not at_eof:
                data = source.read(CHUNK_BYTES)
                if data:
                    buf += data
                else:
                    at_eof = True
            cut = record_boundary(buf, at_eof)
            if cut == 0:
                if at_eof:
                    break
                continue  # one record longer than a chunk: read on
            chunk = bytes(buf[:cut])
            del buf[:cut]
            if not fmt.get("encoding_settled", True) and not chunk.isascii():
                fmt = self.call("ingest.job_settle_encoding", self.job_id, chunk)
                copy_sql = self.copy_sql(fmt, ncols)
            self.stage(chunk, offset, copy_sql, fmt, ncols)
            offset += len(chunk)
            if at_eof and not buf:
                break

    @staticmethod
    def copy_sql(fmt: dict, ncols: int) -> sql.Composed:
        return sql.SQL("copy pg_temp.ingest_raw ({}) from stdin with (format csv, delimiter {}, encoding {})").format(
            sql.SQL(", ").join(sql.Identifier(f"c{i}") for i in range(1, ncols + 1)),
            sql.Literal(fmt["delimiter"]), sql.Literal(fmt["encoding"]))

    def stage(self, chunk: bytes, start: int, copy_sql: sql.Composed, fmt: dict, ncols: int) -> None:
        with self.conn.transaction():
            try:
                with self.conn.transaction():  # savepoint: a refused COPY leaves nothing behind
                    with self.conn.cursor().copy(copy_sql) as cp:
                        cp.write(chunk)
                records = None
                defects: list[tuple[int, str, str, list[str]]] = []
            except COPY_REFUSALS:
                records, defects = self.stage_record_by_record(chunk, fmt, ncols)
            base = self.conn.execute("select (checkpoint #>> '{copy,rows}')::bigint from ingest.ingestion_jobs where id = %s",
                                     (self.job_id,)).fetchone()[0]
            # start: where this chunk was read; refused (OD409 stale) if another worker moved the copy on.
            self.conn.execute("select ingest.job_stage_chunk(%s, %s, %s, %s)", (self.job_id, len(chunk), records, start))
            for n, code, message, cells in defects:
                self.conn.execute("select ingest.job_row_defect(%s, %s, %s, %s, %s)",
                                  (self.job_id, base + n, code, message, json.dumps({"fields": cells})))

    def stage_record_by_record(self, chunk: bytes, fmt: dict, ncols: int) -> tuple[int, list]:
        """COPY refused the chunk: split it with the csv module, COPY the well-formed records and
        return the unreadable ones as defects (record number within the chunk, code, message, cells)."""
        text = chunk.decode(PY_ENCODINGS[fmt["encoding"]], errors="surrogateescape")
        defects: list[tuple[int, str, str, list[str]]] = []
        n = 0
        with self.conn.cursor().copy(sql.SQL("copy pg_temp.ingest_raw (n, {}) from stdin").format(
                sql.SQL(", ").join(sql.Identifier(f"c{i}") for i in range(1, ncols + 1)))) as cp:
            for cells in csv.reader(io.StringIO(text, newline=""), delimiter=fmt["delimiter"]):
                if not cells or (len(cells) != ncols and all(not c.strip() for c in cells)):
                    # A blank line is not a record. A line of empty fields as many as the header's
                    # is one: COPY takes it as one, and records are numbered alike on both paths.
                    continue
                n += 1
                if any("\udc80" <= ch <= "\udcff" for c in cells for ch in c):
                    defects.append((n, "bad_encoding", f"the record is not valid {fmt['encoding']} text",
                                    [c.encode("utf-8", "surrogateescape").decode("latin-1") for c in cells]))
                elif len(cells) != ncols:
                    defects.append((n, "wrong_field_count", f"the record has {len(cells)} fields, the header {ncols}", cells))
                else:
                    cp.write_row([n, *[c if c != "" else None for c in cells]])
        return n, defects


@register("ingest.csv")
def ingest_csv(ctx: JobContext) -> None:
    """CSV ingestion of one ingestion job: payload {"job_id": uuid}."""
    IngestJob(ctx).run()
