"""A new allergen synonym reaches matching: a product labelled with a word the dictionary did not
know has no allergen bit; a superadmin adds the word to milk's synonyms through the API, and a real
`odyssey worker` runs the queued matching.allergen_masks job, after which the product carries the
milk bit (what matching's hard filter reads) and the vendor's catalog_version has moved."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psycopg

from ..gateway.conftest import product
from .conftest import World, idem, wait_for

REPO = Path(__file__).resolve().parents[2]


def _mask_and_version(superuser_url: str, vendor: str, external_id: str) -> tuple[int | None, int]:
    with psycopg.connect(superuser_url) as su:
        su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (vendor,))
        mask = su.execute("SELECT amask FROM matching.product_features WHERE vendor_id = %s AND tag = '' "
                          "AND product_id = catalog.product_id(%s, %s)", (vendor, vendor, external_id)).fetchone()
        version = su.execute("SELECT catalog_version FROM core.vendors WHERE id = %s", (vendor,)).fetchone()[0]
    return (mask[0] if mask else None), version


def test_a_new_allergen_synonym_gives_existing_products_their_bit(client: httpx.Client, world: World, superuser_url: str,
                                                                   tmp_path: Path) -> None:
    word = f"zzwhey{world.tag}"
    r = client.post("/api/v1/products", json={"items": [product(f"mask-{world.tag}", world.category, allergens=[word])]},
                    headers=world.h("operator_a", **idem()))
    assert r.status_code == 200, r.text
    mask, version = _mask_and_version(superuser_url, world.a, f"mask-{world.tag}")
    assert mask == 0
    with psycopg.connect(superuser_url) as su:
        milk_bit = su.execute("SELECT health.allergen_mask('{milk}')").fetchone()[0]
    milk = next(s for s in client.get("/api/v1/synonyms?domain=allergen&limit=200", headers=world.h("root")).json()["items"]
                if s["canonical"] == "milk")
    log = open(tmp_path / "worker.log", "w")
    worker = subprocess.Popen([sys.executable, "-m", "gateway.cli", "worker", "--kinds", "matching.allergen_masks",
                               "--poll-interval", "0.5"], cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ))
    try:
        r = client.patch(f"/api/v1/synonyms/{milk['id']}", json={"synonyms": milk["synonyms"] + [word]}, headers=world.h("root"))
        assert r.status_code == 200, r.text
        wait_for(lambda: _mask_and_version(superuser_url, world.a, f"mask-{world.tag}")[0] == milk_bit, timeout=30, interval=0.25)
        assert _mask_and_version(superuser_url, world.a, f"mask-{world.tag}")[1] > version
    finally:
        client.patch(f"/api/v1/synonyms/{milk['id']}", json={"synonyms": milk["synonyms"]}, headers=world.h("root"))
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
