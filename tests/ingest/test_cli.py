"""`odyssey ingest` against the running gateway: uploads a file completely (the job ends up queued,
its ingest.csv worker job present), resumes after being killed mid-upload, and follows the job
until it ends (here the job's end is written into the database the way a worker would finish it:
there is no CSV pipeline on this branch)."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from ..gateway.conftest import REPO, Server, World
from .conftest import job_row, queue_jobs, sha256, stored_file, wait_for

JOB_LINE = re.compile(r"^job ([0-9a-f-]{36}): ", re.M)


def _cli(args: list[str], **kw) -> list[str]:
    return [sys.executable, "-m", "gateway.cli", "ingest", *args]


def _run(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(_cli(args), cwd=REPO, capture_output=True, text=True, timeout=timeout)


def _common(server: Server, world: World, user: str, state: Path) -> list[str]:
    return ["--url", server.url, "--token", world.token(user, ttl=3600), "--state-file", str(state), "--no-progress"]


def _csv(path: Path, rows: int) -> bytes:
    data = b"external_id,name,brand,price\n" + b"".join(b"sku-%06d,Oat bar %d,Acme,%d.25\n" % (i, i, i % 9) for i in range(rows))
    path.write_bytes(data)
    return data


def test_uploads_a_file_and_leaves_the_job_queued(server: Server, world: World, superuser_url: str, tmp_path) -> None:
    data = _csv(tmp_path / "catalog.csv", 500)
    state = tmp_path / "state.json"
    done = _run([str(tmp_path / "catalog.csv"), "--mode", "products", "--user", world.users["operator_a"],
                 "--url", server.url, "--state-file", str(state), "--no-wait", "--chunk-size", "4K"])
    assert done.returncode == 0, done.stdout + done.stderr
    job_id = JOB_LINE.search(done.stdout).group(1)
    assert f"job {job_id}: upload complete ({len(data)} bytes)" in done.stdout
    assert "status queued, phase queued" in done.stdout
    assert sha256(stored_file(world.a, job_id).read_bytes()) == sha256(data)
    assert job_row(superuser_url, world.a, job_id)["phase"] == "queued"
    jobs = queue_jobs(superuser_url, job_id)
    assert [(kind, payload) for _, kind, payload, _ in jobs] == [("ingest.csv", {"job_id": job_id})]
    # The same command again does not upload the file a second time: it is that job's file.
    again = _run([str(tmp_path / "catalog.csv"), "--mode", "products", "--user", world.users["operator_a"],
                  "--url", server.url, "--state-file", str(state), "--no-wait"])
    assert again.returncode == 0 and f"job {job_id}: catalog.csv already uploaded" in again.stdout
    assert len(queue_jobs(superuser_url, job_id)) == 1
    # --new starts another ingestion of it.
    fresh = _run([str(tmp_path / "catalog.csv"), "--mode", "products", "--user", world.users["operator_a"],
                  "--url", server.url, "--state-file", str(state), "--no-wait", "--new"])
    assert fresh.returncode == 0 and JOB_LINE.search(fresh.stdout).group(1) != job_id


def test_killed_mid_upload_the_same_command_resumes(server: Server, world: World, superuser_url: str, tmp_path) -> None:
    src = tmp_path / "big.csv"
    data = _csv(src, 100_000)                         # about 4 MB, 32 KiB per PATCH: over a hundred requests
    args = [str(src), "--mode", "products", *_common(server, world, "admin_a", tmp_path / "state.json"),
            "--chunk-size", "32K", "--no-wait"]
    proc = subprocess.Popen(_cli(args), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        job_id = JOB_LINE.search(proc.stdout.readline()).group(1)

        def offset() -> int:
            with psycopg.connect(superuser_url) as su:
                return su.execute("SELECT upload_offset FROM ingest.uploads WHERE job_id = %s", (job_id,)).fetchone()[0]

        wait_for(lambda: offset() > 0, interval=0.005)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()
    # The gateway records what the killed client had sent: wait until the offset stands still.
    at = wait_for(lambda: _settled(offset))
    assert 0 < at < len(data)
    assert queue_jobs(superuser_url, job_id) == []

    resumed = _run(args)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"job {job_id}: big.csv resuming at byte {at} of {len(data)}" in resumed.stdout
    assert sha256(stored_file(world.a, job_id).read_bytes()) == sha256(data)
    assert len(queue_jobs(superuser_url, job_id)) == 1


def _settled(read) -> int | None:
    """read()'s value once it stays the same for 0.3 s (else None)."""
    before = read()
    time.sleep(0.3)
    return before if read() == before else None


def _finish(superuser_url: str, vendor: str, job_id: str, status: str, errors: int) -> None:
    """What the worker does at the end of a job (status, progress, totals, error rows)."""
    with psycopg.connect(superuser_url, autocommit=True) as su:
        su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (vendor,))
        for row in range(errors):
            su.execute("INSERT INTO ingest.ingestion_job_errors (vendor_id, job_id, row_no, code, message) "
                       "VALUES (%s, %s, %s, 'bad_value', 'price is not a number')", (vendor, job_id, row + 2))
        su.execute("UPDATE ingest.ingestion_jobs SET status = %s, phase = 'done', progress_pct = 100, started_at = now(), "
                   "finished_at = now(), totals = %s::jsonb WHERE id = %s",
                   (status, '{"rows": 3, "inserted": 2, "errors": %d}' % errors, job_id))


def test_follows_the_job_to_its_end_and_reports_totals_and_errors(server: Server, world: World, superuser_url: str,
                                                                  tmp_path) -> None:
    for status, errors, code in (("completed", 1, 0), ("failed", 0, 1)):
        src = tmp_path / f"{status}.csv"
        _csv(src, 3)
        proc = subprocess.Popen(_cli([str(src), "--mode", "products", *_common(server, world, "operator_a", tmp_path / "s.json"),
                                      "--poll-interval", "0.2", "--timeout", "60"]),
                                cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        job_id = JOB_LINE.search(proc.stdout.readline()).group(1)
        wait_for(lambda: queue_jobs(superuser_url, job_id))           # uploaded: the job waits for a worker
        time.sleep(0.5)
        assert proc.poll() is None                                     # ... and the command waits for the job
        _finish(superuser_url, world.a, job_id, status, errors)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == code, out + err
        assert f'job {job_id}: {status}; totals {{"rows": 3, "errors": {errors}, "inserted": 2}}' in out
        assert (f"errors: {server.url}/api/v1/jobs/{job_id}/errors.csv" in out) == bool(errors)


def test_timeout_and_refusals_have_their_exit_codes(server: Server, world: World, tmp_path) -> None:
    src = tmp_path / "t.csv"
    _csv(src, 3)
    waited = _run([str(src), "--mode", "customers", *_common(server, world, "admin_a", tmp_path / "s.json"),
                   "--timeout", "1", "--poll-interval", "0.2"])
    assert waited.returncode == 3 and "still queued (phase queued) after 1 s" in waited.stdout
    refused = _run([str(src), "--mode", "customers", *_common(server, world, "viewer_a", tmp_path / "v.json")])
    assert refused.returncode == 4 and "HTTP 403" in refused.stderr
    no_token = subprocess.run(_cli([str(src), "--mode", "customers", "--url", server.url, "--state-file", str(tmp_path / "n.json")]),
                              cwd=REPO, capture_output=True, text=True, timeout=60,
                              env={k: v for k, v in os.environ.items() if k != "ODYSSEY_TOKEN"})
    assert no_token.returncode == 2 and "no credentials" in no_token.stderr
    missing = _run([str(tmp_path / "absent.csv"), "--mode", "products", *_common(server, world, "admin_a", tmp_path / "s.json")])
    assert missing.returncode == 2
    help_text = subprocess.run([sys.executable, "-m", "gateway.cli", "ingest", "--help"], cwd=REPO, capture_output=True,
                               text=True, timeout=60).stdout
    assert "--mode {products,customers}" in help_text and "Exit status" in help_text
