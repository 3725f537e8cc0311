"""scripts/reindex-vendor-indexes: rebuilds one vendor's (or every vendor's) leaf indexes of a
vendor-partitioned table with REINDEX CONCURRENTLY, leaving every index valid and other vendors'
indexes untouched."""
from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent


def _indexes(su: psycopg.Connection, vendor: str) -> dict[str, tuple[int, bool]]:
    """index name -> (relfilenode, valid) of the leaves of a vendor's matching.product_features partition."""
    rows = su.execute("""
        SELECT c.relname, c.relfilenode, i.indisvalid
          FROM pg_partition_tree(app.vendor_partition('matching.product_features', %s)) l
          JOIN pg_index i ON i.indrelid = l.relid JOIN pg_class c ON c.oid = i.indexrelid
         WHERE l.isleaf""", (vendor,)).fetchall()
    return {name: (node, valid) for name, node, valid in rows}


def test_reindex_rebuilds_one_vendors_indexes_concurrently(su: psycopg.Connection) -> None:
    mine, other = str(uuid.uuid4()), str(uuid.uuid4())
    category = su.execute("INSERT INTO catalog.tax_categories (code, label) VALUES (%s, 'Reindex') RETURNING id",
                          (f"t-reindex-{mine[:8]}",)).fetchone()[0]
    for vendor in (mine, other):
        su.execute("INSERT INTO core.vendors (id, name) VALUES (%s, %s)", (vendor, f"Reindex {vendor[:8]}"))
        su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (vendor,))
        su.execute("""INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price,
                                                    nutrition, dietary_tags)
                      SELECT catalog.product_id(%(v)s, 'r' || g), %(v)s, 'r' || g, 'Item ' || g, 'B', 'd', %(c)s, 1,
                             jsonb_build_object('sodium_mg', g, 'protein_g', g %% 9), '{vegan}'
                        FROM generate_series(1, 200) g""", {"v": vendor, "c": category})
    before_mine, before_other = _indexes(su, mine), _indexes(su, other)
    assert len(before_mine) >= 6 and all(valid for _, valid in before_mine.values())

    env = {**os.environ, "ODYSSEY_ENV_FILE": os.environ.get("ODYSSEY_ENV_FILE", str(REPO / ".env"))}
    run = subprocess.run([str(REPO / "scripts" / "reindex-vendor-indexes"), "matching.product_features", mine],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("[reindex]") == len(before_mine)

    after_mine, after_other = _indexes(su, mine), _indexes(su, other)
    assert after_mine.keys() == before_mine.keys(), "same index names, no _ccnew leftovers"
    assert all(valid for _, valid in after_mine.values())
    assert all(after_mine[n][0] != before_mine[n][0] for n in before_mine), "every index was rebuilt"
    assert after_other == before_other, "another vendor's indexes were not touched"
