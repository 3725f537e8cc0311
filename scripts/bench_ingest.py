#!/usr/bin/env python3
"""CSV ingestion benchmark (not a test), on the cluster of the env file (scripts/cluster up):

  1. generates (once, cached under .odyssey/bench/) a products CSV of --rows rows of realistic
     width: a vendor's own header spellings, descriptions of 200-1,500 characters, 9 nutrients,
     allergens, dietary tags, ingredients, a UPC (about 1.2 kB a row: 2M rows ~ 2.5 GB);
  2. baseline, same run: a raw COPY of the file (streamed by the same client code path) into an
     unindexed table of text columns;
  3. ingests it into a fresh vendor's live partitions (with every other vendor present), the
     file delivered by --via tus (the gateway's TUS endpoint, as `odyssey ingest` does) or --via
     store (copied straight into the upload store: isolates the pipeline), one `odyssey worker`
     process; reports each phase (copy, validate, merge, analyze) and end to end, the worker's peak
     RSS, and the ingest rate;
  4. ingests the same file again: every row unchanged.

With --mode customers the file is a customer list instead (name, email, dob, gender and a health
profile on every row: height, weight, activity, conditions, allergens; ~200 bytes a row), merged
with the profiles' derivations.

  .venv/bin/python scripts/bench_ingest.py [--mode products|customers] [--rows 2000000] [--via store|tus] [--keep-vendor]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import psycopg  # noqa: E402

from gateway.config import setting  # noqa: E402

HEADER = ["SKU", "UPC", "Product Name", "Brand", "Description", "Category", "Price", "Currency", "Serving Size",
          "Calories", "Protein (g)", "Total Fat (g)", "Saturated Fat (g)", "Carbohydrates (g)", "Sugars (g)",
          "Fiber (g)", "Sodium (mg)", "Allergens", "Dietary Tags", "Ingredients", "Status"]
WORDS = ("organic whole grain oat rice corn wheat barley rye quinoa millet almond cashew peanut walnut hazelnut "
         "soy tofu tempeh milk cream butter cheese yogurt whey egg honey maple cane sugar salt pepper garlic onion "
         "tomato basil oregano thyme rosemary lemon lime orange apple pear berry cherry grape mango banana coconut "
         "cocoa chocolate vanilla cinnamon ginger turmeric chili paprika cumin olive sunflower canola sesame flax "
         "chia pumpkin spinach kale carrot beet potato sweet bean lentil chickpea pea broccoli cauliflower mushroom "
         "chicken beef pork turkey salmon tuna shrimp crab cod anchovy crunchy smooth creamy crispy roasted toasted "
         "baked fried fresh frozen dried smoked spicy mild savory tangy rich light hearty classic traditional "
         "artisan premium family value pack snack bar bite cracker cookie bread bagel muffin cereal granola "
         "noodle pasta sauce soup broth dressing spread dip juice drink tea coffee water soda").split()
ALLERGENS = ["milk", "whey", "egg", "soy", "wheat", "peanuts", "tree nuts", "sesame", "fish", "shellfish", "casein"]
TAGS = ["vegan", "vegetarian", "gluten free", "organic", "keto", "low sodium", "high protein", "high fiber", "kosher"]
CATEGORIES = ["Beverages", "Dairy & Eggs", "Bakery", "snacks", "frozen", "pantry", "produce", "meat_seafood"]


def su_connect(autocommit: bool = True) -> psycopg.Connection:
    return psycopg.connect(setting("ODYSSEY_SUPERUSER_URL"), autocommit=autocommit)


def csv_cell(value: str) -> str:
    if any(c in value for c in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def write_csv(path: Path, header: list[str], rows: Iterator[list[str]]) -> None:
    """The rows as a CSV file (CRLF, quoted where needed), written whole before it takes its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    started = time.monotonic()
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(header) + "\r\n")
        for i, row in enumerate(rows, 1):
            f.write(",".join(csv_cell(c) for c in row) + "\r\n")
            if i % 200_000 == 0:
                print(f"  generated {i:,} rows ({time.monotonic() - started:.0f} s)", flush=True)
    tmp.rename(path)


def product_rows(rows: int, seed: int = 7) -> Iterator[list[str]]:
    rng = random.Random(seed)
    for i in range(1, rows + 1):
        n_words = rng.randint(30, 230)  # ~200-1,500 characters
        desc = " ".join(rng.choices(WORDS, k=n_words))
        desc = desc[:1500] if len(desc) > 1500 else desc
        name = " ".join(rng.choices(WORDS, k=rng.randint(2, 4))).title()
        allergens = ", ".join(sorted(set(rng.choices(ALLERGENS, k=rng.randint(0, 2))))) if rng.random() < 0.4 else ""
        tags = "; ".join(sorted(set(rng.choices(TAGS, k=rng.randint(0, 3)))))
        ingredients = ", ".join(rng.choices(WORDS, k=rng.randint(3, 12)))
        yield [f"SKU-{i:08d}", f"{400000000000 + i:012d}", name, f"Brand {rng.randint(1, 400)}", desc,
               rng.choice(CATEGORIES), f"{rng.randint(99, 2999) / 100:.2f}", "USD", f"{rng.choice([30, 40, 50, 100, 250])} g",
               str(rng.randint(20, 600)), f"{rng.randint(0, 300) / 10:.1f}", f"{rng.randint(0, 300) / 10:.1f}",
               f"{rng.randint(0, 120) / 10:.1f}", f"{rng.randint(0, 800) / 10:.1f}", f"{rng.randint(0, 400) / 10:.1f}",
               f"{rng.randint(0, 150) / 10:.1f}", str(rng.randint(0, 1200)), allergens, tags, ingredients,
               "active" if rng.random() < 0.97 else "inactive"]


CUSTOMER_HEADER = ["external_id", "full_name", "email", "dob", "gender", "height_cm", "weight_kg", "activity_level",
                   "conditions", "avoid_allergens", "custom_tags"]
FIRST = "Ann Bob Chloé José Zoë Mary Li Omar Priya Sven Aiko Lucas Maria Noah Emma Ivan Fatima Kwame Elena Raj".split()
LAST = "Lee Stone Dupont Núñez O'Neil Kim Haddad Rao Berg Sato Silva Rossi Novak Mensah Ionescu Patel Müller".split()
ACTIVITIES = ["sedentary", "light", "moderate", "very", "extra"]
CONDITIONS = ["", "", "", "hypertension", "type2_diabetes", "celiac", "ckd", "hypertension; type2_diabetes"]


def customer_rows(rows: int, seed: int = 11) -> Iterator[list[str]]:
    rng = random.Random(seed)
    for i in range(1, rows + 1):
        gender = rng.choice(["female", "male"])
        yield [f"C-{i:08d}", f"{rng.choice(FIRST)} {rng.choice(LAST)}", f"customer{i}@example.com",
               f"{rng.randint(1940, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", gender,
               f"{rng.randint(150, 200)}", f"{rng.randint(450, 1300) / 10:.1f}", rng.choice(ACTIVITIES),
               rng.choice(CONDITIONS), ", ".join(sorted(set(rng.choices(ALLERGENS, k=rng.randint(0, 2))))),
               "; ".join(sorted(set(rng.choices(["vip", "newsletter", "clinic", "trial"], k=rng.randint(0, 2)))))]


# mode -> (header, row generator)
FILES = {"products": (HEADER, product_rows), "customers": (CUSTOMER_HEADER, customer_rows)}


def raw_copy_baseline(path: Path, ncols: int) -> float:
    """COPY the file as it is into an unindexed table of text columns (the floor of any pipeline)."""
    cols = ", ".join(f"c{i} text" for i in range(1, ncols + 1))
    with su_connect() as conn:
        conn.execute("DROP TABLE IF EXISTS public.bench_raw_copy")
        conn.execute(f"CREATE TABLE public.bench_raw_copy ({cols})")
        started = time.monotonic()
        with conn.cursor() as cur, open(path, "rb") as f:
            with cur.copy("COPY public.bench_raw_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as cp:
                while data := f.read(8 * 1024 * 1024):
                    cp.write(data)
        elapsed = time.monotonic() - started
        n = conn.execute("SELECT count(*) FROM public.bench_raw_copy").fetchone()[0]
        conn.execute("DROP TABLE public.bench_raw_copy")
    print(f"  raw COPY into an unindexed table: {n:,} rows in {elapsed:.1f} s ({n / elapsed:,.0f} rows/s)", flush=True)
    return elapsed


def create_vendor(name: str) -> str:
    vendor = str(uuid.uuid5(uuid.NAMESPACE_URL, f"odyssey-bench-ingest/{name}"))
    with su_connect() as conn:
        if conn.execute("SELECT 1 FROM core.vendors WHERE id = %s", (vendor,)).fetchone():
            conn.execute("SELECT app.offboard_vendor(%s, false)", (vendor,))
            conn.execute("DELETE FROM core.vendors WHERE id = %s", (vendor,))
        conn.execute("INSERT INTO core.vendors (id, name) VALUES (%s, %s)", (vendor, f"bench ingest {name}"))
    return vendor


def submit_store(vendor: str, path: Path, mode: str) -> str:
    """Job + completed upload written directly, the file copied into the local upload store."""
    job = str(uuid.uuid4())
    store = Path(setting("ODYSSEY_UPLOAD_DIR") or REPO / ".odyssey" / "uploads")
    (store / vendor).mkdir(parents=True, exist_ok=True)
    dest = store / vendor / job
    try:
        os.link(path, dest)
    except OSError:
        shutil.copyfile(path, dest)
    size = path.stat().st_size
    with su_connect() as conn, conn.transaction():
        conn.execute("SELECT set_config('odyssey.vendor_id', %s, true)", (vendor,))
        conn.execute("INSERT INTO ingest.ingestion_jobs (id, vendor_id, mode, phase, params) VALUES (%s, %s, %s, 'queued', %s)",
                     (job, vendor, mode, json.dumps({"filename": path.name, "size": size, "source": "bench"})))
        conn.execute("INSERT INTO ingest.uploads (job_id, vendor_id, object_path, upload_length, upload_offset, completed_at) "
                     "VALUES (%s, %s, %s, %s, %s, now())", (job, vendor, f"{vendor}/{job}", size, size))
        conn.execute("UPDATE ingest.ingestion_jobs SET queue_job_id = queue.enqueue('ingest.csv', %s, jsonb_build_object('job_id', %s::text)) "
                     "WHERE id = %s", (vendor, job, job))
    return job


def submit_tus(vendor: str, path: Path, base_url: str, mode: str) -> tuple[str, float]:
    """The file through the gateway: POST /api/v1/ingest/csv, then a tuspy upload (as `odyssey ingest`)."""
    from tusclient import client as tus_client  # noqa: PLC0415

    import httpx  # noqa: PLC0415
    token = subprocess.run([str(REPO / ".venv/bin/odyssey"), "token", "bench-ingest-admin"], capture_output=True, text=True,
                           check=True).stdout.strip()
    with su_connect() as conn:
        conn.execute("INSERT INTO core.users (id, email) VALUES ('bench-ingest-admin', 'bench-ingest@example.com') "
                     "ON CONFLICT DO NOTHING")
        conn.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (vendor,))
        conn.execute("INSERT INTO core.user_links (user_id, vendor_id, role) VALUES ('bench-ingest-admin', %s, 'vendor_admin') "
                     "ON CONFLICT DO NOTHING", (vendor,))
    headers = {"Authorization": f"Bearer {token}", "X-Vendor-Id": vendor}
    size = path.stat().st_size
    r = httpx.post(f"{base_url}/api/v1/ingest/csv", params={"mode": mode},
                   headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                   json={"size": size, "filename": path.name}, timeout=60)
    r.raise_for_status()
    body = r.json()
    started = time.monotonic()
    uploader = tus_client.TusClient(f"{base_url}/api/v1/uploads", headers=headers).uploader(
        str(path), url=body["upload_url"], chunk_size=64 * 1024 * 1024)
    uploader.upload()
    return body["job_id"], time.monotonic() - started


class RssWatcher(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.stop = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.5):
            try:
                for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak_kb = max(self.peak_kb, int(line.split()[1]))
            except FileNotFoundError:
                return


def run_job(vendor: str, job: str) -> dict:
    env = {**os.environ}
    worker = subprocess.Popen([str(REPO / ".venv/bin/odyssey"), "worker", "--kinds", "ingest.csv", "--concurrency", "1",
                               "--max-jobs", "1", "--exit-when-idle", "--lease", "60"], env=env,
                              stdout=subprocess.DEVNULL, stderr=open(REPO / ".odyssey" / "bench_ingest_worker.log", "a"))
    watcher = RssWatcher(worker.pid)
    watcher.start()
    started = time.monotonic()
    last = None
    with su_connect() as conn:
        conn.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (vendor,))
        while True:
            status, phase, pct = conn.execute("SELECT status, phase, progress_pct FROM ingest.ingestion_jobs WHERE id = %s",
                                              (job,)).fetchone()
            if (phase, int(pct) // 10) != last:
                print(f"    {time.monotonic() - started:7.1f} s  {phase:<10} {pct:6.2f} %", flush=True)
                last = (phase, int(pct) // 10)
            if status in ("completed", "failed", "canceled"):
                break
            if worker.poll() is not None and status not in ("completed", "failed", "canceled"):
                raise SystemExit(f"worker exited ({worker.returncode}) with the job {status}/{phase}: see .odyssey/bench_ingest_worker.log")
            time.sleep(1)
        row = conn.execute("SELECT status, totals, started_at, finished_at FROM ingest.ingestion_jobs WHERE id = %s",
                           (job,)).fetchone()
    worker.wait(timeout=60)
    watcher.stop.set()
    watcher.join()
    return {"status": row[0], "totals": row[1], "wall_s": time.monotonic() - started, "worker_peak_rss_mb": watcher.peak_kb / 1024}


def report(label: str, result: dict, upload_s: float | None) -> None:
    t = result["totals"]
    ph = t.get("phases", {})
    rows = t.get("rows_read", 0)
    print(f"  {label}: status {result['status']}, {rows:,} rows: inserted {t.get('inserted', 0):,}, updated {t.get('updated', 0):,}, "
          f"unchanged {t.get('unchanged', 0):,}, rejected {t.get('rejected', 0):,}")
    if upload_s is not None:
        print(f"    upload (TUS)  {upload_s:8.1f} s")
    for k in ("copy_s", "validate_s", "merge_s", "analyze_s"):
        print(f"    {k[:-2]:<13} {ph.get(k, float('nan')):8.1f} s")
    total = result["wall_s"] + (upload_s or 0)
    print(f"    job (worker)  {t.get('duration_s', float('nan')):8.1f} s   end to end {total:8.1f} s   "
          f"{rows / max(total, 1e-9):,.0f} rows/s   worker peak RSS {result['worker_peak_rss_mb']:.0f} MB", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["products", "customers"], default="products")
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--via", choices=["store", "tus"], default="tus")
    ap.add_argument("--gateway", default=setting("ODYSSEY_GATEWAY_URL") or "http://127.0.0.1:8080")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--skip-reingest", action="store_true")
    ap.add_argument("--keep-vendor", action="store_true", help="leave the bench vendor's rows in place")
    args = ap.parse_args()

    header, rows = FILES[args.mode]
    path = REPO / ".odyssey" / "bench" / f"{args.mode}_{args.rows}.csv"
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        write_csv(path, header, rows(args.rows))
    print(f"file: {path} ({path.stat().st_size / 1e9:.2f} GB, {args.rows:,} rows)", flush=True)
    if not args.skip_baseline:
        raw_copy_baseline(path, len(header))
    vendor = create_vendor(f"{args.rows}" if args.mode == "products" else f"customers-{args.rows}")
    print(f"vendor {vendor} (fresh partitions)", flush=True)
    for label in ("fresh ingest", "unchanged re-ingest"):
        if label != "fresh ingest" and args.skip_reingest:
            break
        upload_s = None
        if args.via == "tus":
            job, upload_s = submit_tus(vendor, path, args.gateway, args.mode)
        else:
            job = submit_store(vendor, path, args.mode)
        print(f"  {label}: job {job}", flush=True)
        report(label, run_job(vendor, job), upload_s)
    if not args.keep_vendor:
        with su_connect() as conn:
            conn.execute("SELECT app.offboard_vendor(%s, false)", (vendor,))
            conn.execute("DELETE FROM core.vendors WHERE id = %s", (vendor,))


if __name__ == "__main__":
    main()
