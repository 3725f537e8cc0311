"""A vendor's own header mapping through the real gateway, used by a real worker on a real upload:
the mapping maps headers the dictionary does not know and says the vendor's files use a decimal
comma; the preview shows it; the OpenAPI document lists exactly the transform ops SQL applies."""
from __future__ import annotations

import uuid

import httpx
import psycopg

from .conftest import World, idem
from .test_pipeline_http import finished_job, upload, worker  # noqa: F401  (worker: a fixture)


def test_a_vendor_mapping_maps_headers_and_decides_the_decimal_separator(client: httpx.Client, world: World,
                                                                          superuser_url: str, worker) -> None:
    with psycopg.connect(superuser_url) as su:
        code = su.execute("SELECT code FROM catalog.tax_categories WHERE id = %s", (world.category,)).fetchone()[0]
    body = {"map": {"Artikelnummer": {"field": "external_id"}, "Bezeichnung": {"field": "name"},
                    "Brennwert kJ": {"field": "energy_kcal", "ops": ["kj_to_kcal"]}, "Intern": {"field": None}},
            "options": {"decimal": ","}}
    assert client.put("/api/v1/mappings/products", json=body, headers=world.h("operator_a", **idem())).status_code == 403
    bad = client.put("/api/v1/mappings/products", json={"map": {"X": {"field": "colour"}}}, headers=world.h("admin_a", **idem()))
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["map.X"]
    r = client.put("/api/v1/mappings/products", json=body, headers=world.h("admin_a", **idem()))
    assert r.status_code == 200, r.text
    version = r.json()["version"]
    assert client.get("/api/v1/mappings/products", headers=world.h("viewer_a")).json()["version"] == version
    assert "Artikelnummer" not in client.get("/api/v1/mappings/products", headers=world.h("admin_b")).json()["map"], "B's own"

    line = 'Artikelnummer;Bezeichnung;Category;Price;"Brennwert kJ";Intern'
    preview = client.get("/api/v1/mappings/products/preview", params={"header_line": line}, headers=world.h("viewer_a"))
    assert preview.status_code == 200, preview.text
    columns = {c["header"]: (c["field"], c["via"]) for c in preview.json()["columns"]}
    assert columns["Artikelnummer"] == ("external_id", "vendor_mapping") and columns["Intern"] == (None, None)
    assert columns["Price"] == ("price", "dictionary") and preview.json()["missing"] == [] and preview.json()["delimiter"] == ";"

    # A comma-delimited file whose quoted "1,250" the file alone would read as 1250.
    sku = f"m-{uuid.uuid4().hex[:8]}"
    data = (f'Artikelnummer,Bezeichnung,Category,Price,Brennwert kJ,Intern\n{sku},Roggenbrot,{code},"1,250","1046,0",x\n').encode()
    job = finished_job(client, world, "operator_a", upload(client, world, "operator_a", data, "products"))
    assert job["status"] == "completed" and job["totals"]["inserted"] == 1, job
    assert (job["format"]["decimal"], job["format"]["decimal_from"]) == (",", "vendor_mapping")
    products = client.get("/api/v1/products", params={"updated_after": "2000-01-01T00:00:00Z", "limit": 200},
                          headers=world.h("viewer_a")).json()["items"]
    [p] = [p for p in products if p["external_id"] == sku]
    assert float(p["price"]) == 1.25 and round(float(p["nutrition"]["energy_kcal"]), 1) == 250.0

    # Back to the file's own rule for later files.
    assert client.put("/api/v1/mappings/products", json={"map": {}}, headers=world.h("admin_a", **idem())).status_code == 200


def test_openapi_lists_the_transform_ops_sql_applies(client: httpx.Client, superuser_url: str) -> None:
    spec = client.get("/openapi.json").json()
    ops = spec["components"]["schemas"]["MappingInput"]["properties"]["map"]["additionalProperties"]["properties"]["ops"]["items"]["enum"]
    with psycopg.connect(superuser_url) as su:
        assert sorted(ops) == sorted(su.execute("SELECT ingest.known_transform_ops()").fetchone()[0])
