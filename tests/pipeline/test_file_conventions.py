"""File conventions a real worker must read right beyond the sniffed sample: the encoding of a
Windows-1252 file whose first accented letter comes after the first 256 KB, and the decimal
separator of a file, which decides how "1,234" and "1.234" are read in every row."""
from __future__ import annotations

import psycopg

from conftest import job_errors, submit, wait_job


def products(conn: psycopg.Connection, vendor: str) -> dict[str, tuple]:
    rows = conn.execute("""select external_id, name, price::text, nutrition ->> 'sodium_mg'
                             from catalog.products where vendor_id = %s""", (vendor,)).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_windows_1252_after_an_ascii_sample_is_read_as_windows_1252(su_conn, new_vendor, store, workers) -> None:
    vendor = new_vendor("late cp1252")
    lines = ["sku,name,category,price,description"]
    lines += [f"a{i},Plain product {i},bakery,1.50,{'ascii only ' * 6}" for i in range(4000)]   # about 340 KB
    lines += ["e1,Café crème,bakery,2.50,déjà vu", "e2,Müsli Über,bakery,3.10,naïve"]
    lines += [f"z{i},Later product {i},bakery,1.50,plain" for i in range(100)]
    data = ("\r\n".join(lines) + "\r\n").encode("cp1252")
    assert data[:256 * 1024].isascii() and not data.isascii()
    # Chunks of 64 KB: the accented records arrive several chunks after the ASCII ones were staged.
    workers.start("--concurrency", "1", env={"ODYSSEY_INGEST_CHUNK_BYTES": str(64 * 1024)})
    job = submit(su_conn, store, vendor, "products", data)
    status, _, totals, _, _ = wait_job(su_conn, job, timeout=120)
    assert status == "completed", (totals, workers.logs())
    assert (totals["rows_read"], totals["inserted"], totals["rejected"]) == (4102, 4102, 0), job_errors(su_conn, job)
    got = products(su_conn, vendor)
    assert got["e1"][0] == "Café crème" and got["e2"][0] == "Müsli Über"
    fmt = su_conn.execute("select checkpoint -> 'format' from ingest.ingestion_jobs where id = %s", (job,)).fetchone()[0]
    assert (fmt["encoding"], fmt["encoding_settled"]) == ("WIN1252", True)


def test_numbers_are_read_with_the_files_decimal_separator(su_conn, new_vendor, store, workers) -> None:
    vendor = new_vendor("decimals")
    workers.start("--concurrency", "1")
    us = submit(su_conn, store, vendor, "products", b'sku,name,category,price,sodium_mg\nus1,Bread,bakery,2.50,"1,234"\n'
                                           b'us2,Rolls,bakery,"1,299.00",80\n')
    eu = submit(su_conn, store, vendor, "products", "sku;name;category;price;sodium_mg\neu1;Brot;bakery;2,50;1.234\n"
                                           "eu2;Brötchen;bakery;1.299,00;12,5\n".encode("utf-8-sig"))
    for job in (us, eu):
        status, _, totals, _, _ = wait_job(su_conn, job)
        assert status == "completed" and totals["rejected"] == 0, (totals, job_errors(su_conn, job))
    assert products(su_conn, vendor) == {
        "us1": ("Bread", "2.50", "1234"), "us2": ("Rolls", "1299.00", "80"),
        "eu1": ("Brot", "2.50", "1234"), "eu2": ("Brötchen", "1299.00", "12.5")}
