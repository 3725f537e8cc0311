"""OpenAPI 3.1 document of the gateway, generated from the endpoint table (gateway/routes.py) and
the schemas below (which describe the JSON the api functions build)."""
from __future__ import annotations

from typing import Any

from .routes import ENDPOINTS, Endpoint

S = dict[str, Any]


def _n(type_: str, **kw: Any) -> S:
    """A nullable scalar."""
    return {"type": [type_, "null"], **kw}


MAX_UPLOAD = 10737418240
PHASES = ("awaiting_upload", "queued", "copying", "validating", "merging", "analyzing", "done")
UUID = {"type": "string", "format": "uuid"}
TS = {"type": "string", "format": "date-time"}
TEXTS = {"type": "array", "items": {"type": "string"}}
CURSOR = {"type": ["string", "null"], "description": "pass as ?cursor= to get the next page; null on the last page"}


def _page(item: str) -> S:
    return {"type": "object", "required": ["items", "limit", "next_cursor"],
            "properties": {"items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
                           "limit": {"type": "integer"}, "next_cursor": CURSOR}}


PRODUCT_FIELDS: S = {
    "external_id": {"type": "string", "minLength": 1, "maxLength": 255},
    "barcode": _n("string", pattern="^[0-9]{8,14}$"),
    "gtin_type": {"enum": ["upc_a", "upc_e", "ean_8", "ean_13", "gtin_14", "isbn", None]},
    "name": {"type": "string", "minLength": 1, "maxLength": 500},
    "brand": {"type": "string", "maxLength": 200},
    "description": {"type": "string", "maxLength": 20000},
    "category_id": {"type": "integer"},
    "sub_category_id": _n("integer"), "cuisine_id": _n("integer"), "market_id": _n("integer"),
    "price": {"type": "number", "minimum": 0},
    "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    "status": {"enum": ["active", "inactive"]},
    "ingredients": _n("string"),
    "nutrition": {"type": ["object", "null"], "description": "per serving; keys from catalog.nutrient_keys()"},
    "serving_size": _n("string"), "package_weight": _n("string"),
    "dietary_tags": TEXTS, "allergens": TEXTS, "certifications": TEXTS, "regulatory_codes": TEXTS,
    "source_url": _n("string"),
}
ROW_META: S = {"id": UUID, "vendor_id": UUID, "version": {"type": "integer", "minimum": 1},
               "soft_deleted_at": {"type": ["string", "null"], "format": "date-time"},
               "created_at": TS, "updated_at": TS}
CUSTOMER_FIELDS: S = {
    "external_id": {"type": "string", "minLength": 1, "maxLength": 255},
    "full_name": {"type": "string", "minLength": 1, "maxLength": 300},
    "email": {"type": "string", "format": "email"},
    "dob": {"type": ["string", "null"], "format": "date"},
    "age": _n("integer", minimum=0, maximum=130),
    "gender": {"enum": ["male", "female", "other", "unspecified"]},
    "location": {"type": "object"},
    "phone": _n("string"),
    "custom_tags": TEXTS,
}
TAXONOMY_FIELDS: S = {"code": {"type": "string", "pattern": "^[a-z0-9]+([_-][a-z0-9]+)*$", "maxLength": 80},
                      "label": {"type": "string", "minLength": 1, "maxLength": 200},
                      "parent_id": _n("integer"), "active": {"type": "boolean"}}
SYNONYM_FIELDS: S = {"domain": {"enum": ["allergen", "condition", "unit", "diet", "gender", "activity"]},
                     "canonical": {"type": "string"}, "synonyms": TEXTS}
VENDOR_FIELDS: S = {"name": {"type": "string", "minLength": 1, "maxLength": 200},
                    "status": {"enum": ["active", "suspended", "offboarded"]},
                    "settings_json": {"type": "object", "description": "vendor settings; rate_limits: {user_rpm, vendor_rpm, ingest_rpm}"}}
MEMBER_FIELDS: S = {"role": {"enum": ["vendor_admin", "vendor_operator", "vendor_viewer"]},
                    "status": {"enum": ["active", "invited", "disabled"]},
                    "email": {"type": "string", "format": "email"}, "display_name": _n("string")}
FRESHNESS: S = {"served_by": {"enum": ["primary", "replica"]},
                "freshness": {"enum": ["live", "fresh", "lagging"],
                              "description": "live: primary; fresh: replica caught up; lagging: replica behind by replica_lag_seconds"},
                "replica_lag_seconds": {"type": "number", "minimum": 0}}


def _obj(props: S, required: list[str] | None = None, extra: bool = True, **kw: Any) -> S:
    schema: S = {"type": "object", "properties": props, **kw}
    if required:
        schema["required"] = required
    if not extra:
        schema["additionalProperties"] = False
    return schema


def _patch(fields: S, drop: tuple[str, ...] = ()) -> S:
    return _obj({k: v for k, v in fields.items() if k not in drop}, extra=False, minProperties=0)


MAPPING_ENTRY: S = {"type": "object", "required": ["field"], "additionalProperties": False,
                    "properties": {"field": {"type": ["string", "null"], "description": "a canonical field of the mode; null ignores the column"},
                                   "ops": {"type": "array", "items": {"enum": ["split_list", "ft_in_to_cm", "kj_to_kcal", "g_to_mg", "mg_to_g",
                                                                               "salt_g_to_sodium_mg", "lb_to_kg", "oz_to_g", "in_to_cm",
                                                                               "m_to_cm", "per_100g"]}}}}
PARAM = {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_.\[\]-]{0,63}$"}
PATH = {"type": "string", "maxLength": 200, "description": "a dotted path of JSON keys into a page (\"data.items\"; \"\": the page itself)"}
PAGING_FIELDS: S = {
    "items_path": {**PATH, "default": "items"}, "next_cursor_path": {**PATH, "default": "next_cursor"},
    "total_path": {**PATH, "default": "total", "description": "where a page may say how many items there are (for progress)"},
    "cursor_param": {**PARAM, "default": "cursor"}, "limit_param": {**PARAM, "type": ["string", "null"], "default": "limit"},
    "page_size": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100},
    "since_param": {**PARAM, "type": ["string", "null"], "default": None,
                    "description": "set: a sync sends the previous completed sync's start time (ISO 8601) in it"},
    "max_pages": {"type": "integer", "minimum": 1, "maximum": 1000000, "default": 100000},
}
CONNECTOR_FIELDS: S = {
    "base_url": {"type": "string", "maxLength": 2000, "description": "https:// (http:// only to localhost); pages are GET from it"},
    "mode": {"enum": ["products", "customers"], "default": "products"},
    "auth_type": {"enum": ["none", "api_key", "bearer", "basic", "oauth2"], "default": "none"},
    "auth_header": _n("string", pattern="^[A-Za-z][A-Za-z0-9-]{0,63}$", description="api_key only (default X-Api-Key)"),
    "token_url": _n("string", maxLength=2000, description="oauth2 only: the token endpoint (client credentials grant)"),
    "rate_limit_rpm": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 60},
    "paging": _obj(PAGING_FIELDS, extra=False),
    "enabled": {"type": "boolean", "default": True},
    "secret": _n("string", minLength=1, maxLength=4096, writeOnly=True,
                 description="the credential (basic: user:password; oauth2: client_id:client_secret); never answered; "
                             "omitted: the stored one stays; null: removed"),
}
EVENT_TYPES = ("job.completed", "job.failed", "product.updated", "customer.updated")
WEBHOOK_FIELDS: S = {
    "url": {"type": "string", "maxLength": 2000,
            "description": "https:// (http:// only to localhost, 127.0.0.1 or [::1])"},
    "description": _n("string", maxLength=500),
    "enabled": {"type": "boolean"},
    "event_types": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"enum": list(EVENT_TYPES)}},
    "retries_max": {"type": "integer", "minimum": 0, "maximum": 50},
    "tolerance_sec": {"type": "integer", "minimum": 1, "maximum": 3600},
}


SCHEMAS: S = {
    "Problem": _obj({"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                     "detail": {"type": "string"}, "instance": {"type": "string"}, "request_id": {"type": "string"},
                     "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}}},
                    ["type", "title", "status", "detail"]),
    "FieldError": _obj({"field": {"type": "string"}, "code": {"type": "string"}, "message": {"type": "string"}},
                       ["field", "code", "message"]),
    "Object": {"type": "object"},
    "Product": _obj({**PRODUCT_FIELDS, **ROW_META,
                     "images": {"type": "array", "description": "in sort_order; set by an ingested file's image_url",
                                "items": _obj({"url": {"type": "string"}, "alt": _n("string"), "sort_order": {"type": "integer"}},
                                              ["url", "sort_order"])}},
                    ["id", "vendor_id", "external_id", "name", "version", "images"]),
    "ProductInput": _obj(PRODUCT_FIELDS, ["external_id", "name", "brand", "description", "category_id", "price"], extra=False),
    "ProductBatch": _obj({"items": {"type": "array", "minItems": 1, "maxItems": 10000,
                                    "items": {"$ref": "#/components/schemas/ProductInput"}}}, ["items"]),
    "ProductPatch": _patch(PRODUCT_FIELDS, ("external_id",)),
    "ProductPage": _page("Product"),
    "UpsertResult": _obj({"received": {"type": "integer"}, "inserted": {"type": "integer"},
                          "updated": {"type": "integer"}, "unchanged": {"type": "integer"}},
                         ["received", "inserted", "updated", "unchanged"]),
    "Deleted": _obj({"deleted": {"type": "boolean"}}, ["deleted"]),
    "Customer": _obj({**CUSTOMER_FIELDS, **ROW_META, "created_by": _n("string"), "updated_by": _n("string")},
                     ["id", "vendor_id", "external_id", "version"]),
    "CustomerInput": _obj(CUSTOMER_FIELDS, ["external_id", "full_name", "email", "location"], extra=False),
    "CustomerBatch": _obj({"items": {"type": "array", "minItems": 1, "maxItems": 10000,
                                     "items": {"$ref": "#/components/schemas/CustomerInput"}}}, ["items"]),
    "CustomerPatch": _patch(CUSTOMER_FIELDS, ("external_id",)),
    "CustomerReplace": _obj({k: v for k, v in CUSTOMER_FIELDS.items() if k != "external_id"},
                            ["full_name", "email", "location"], extra=False),
    "CustomerPage": _page("Customer"),
    "HealthInput": _obj({"height_cm": {"type": "number"}, "weight_kg": {"type": "number"}, "age": {"type": "integer"},
                         "gender": {"enum": ["male", "female", "other", "unspecified"]},
                         "activity_level": {"enum": ["sedentary", "light", "moderate", "very", "extra"]},
                         "conditions": TEXTS, "diet_goals": TEXTS, "macro_targets": {"type": "object"},
                         "avoid_allergens": TEXTS}),
    "HealthProfile": _obj({"customer_id": UUID, "bmi": {"type": ["number", "null"]}, "bmr": {"type": ["number", "null"]},
                           "tdee_cached": {"type": ["number", "null"]}, "derived_limits": {"type": ["object", "null"]},
                           "version": {"type": "integer"}}),
    "SearchPage": _obj({"items": {"type": "array", "items": {"type": "object"}}, "next_cursor": CURSOR,
                        "limit": {"type": "integer"}, **FRESHNESS}, ["items"]),
    "Matches": _obj({"customer_id": UUID, "items": {"type": "array", "items": {"type": "object"}}}),
    "Job": _obj({"id": UUID, "vendor_id": UUID, "mode": {"enum": ["products", "customers", "api_sync"]},
                 "status": {"enum": ["queued", "running", "failed", "completed", "canceled"]},
                 "phase": {"enum": list(PHASES)},
                 "progress_pct": {"type": "number"}, "totals": {"type": "object"},
                 "error_url": _n("string", description="/api/v1/jobs/{id}/errors.csv when the job has row errors"),
                 "upload": {"type": ["object", "null"], "description": "upload progress (null for jobs without an upload)",
                            "properties": {"offset": {"type": "integer"}, "length": {"type": "integer"},
                                           "storage": {"enum": ["local", "supabase"]}, "expires_at": TS,
                                           "completed_at": _n("string"), "terminated_at": _n("string")}},
                 "queue_job_id": _n("integer"),
                 "format": {"type": ["object", "null"],
                            "description": "the file's format once sniffed (null before): how it was read and why",
                            "properties": {"encoding": {"enum": ["UTF8", "WIN1252"]}, "bom": {"type": "boolean"},
                                           "encoding_settled": {"type": "boolean", "description":
                                                                "false while only ASCII has been read (UTF-8 assumed)"},
                                           "delimiter": {"enum": [",", "\t", ";", "|"]}, "columns": {"type": "integer"},
                                           "decimal": {"enum": [".", ","], "description":
                                                       "the decimal separator \"1,234\" and \"1.234\" are read with"},
                                           "decimal_from": {"enum": ["values", "delimiter"], "description":
                                                            "proven by the file's number cells, or assumed from its delimiter"}}},
                 "mapping": {"type": ["array", "null"], "description": "how the file's columns were mapped (header, field, ops, via, ignored)",
                             "items": {"type": "object"}},
                 "started_at": {"type": ["string", "null"]}, "finished_at": {"type": ["string", "null"]},
                 "attempt": {"type": "integer"}, "params": {"type": "object"}, "created_at": TS, "updated_at": TS},
                ["id", "status"]),
    "IngestCsvInput": _obj({"size": {"type": "integer", "minimum": 1, "maximum": MAX_UPLOAD, "description": "the file's size in bytes"},
                            "filename": {"type": "string", "maxLength": 255},
                            "metadata": {"type": "object", "description": "kept with the upload (at most 8 KiB of JSON)"}},
                           ["size"], extra=False),
    "IngestCsvUpload": _obj({"job_id": UUID, "mode": {"enum": ["products", "customers"]}, "status": {"enum": ["queued"]},
                             "phase": {"enum": ["awaiting_upload"]},
                             "upload_url": {"type": "string", "description": "where to upload with TUS 1.0: this gateway's "
                                            "/api/v1/uploads/{job_id} (PATCH at once: the upload exists), or Supabase Storage's "
                                            "signed resumable endpoint (POST creation with upload.headers and upload.metadata)"},
                             "upload": _obj({"protocol": {"enum": ["tus"]}, "length": {"type": "integer"}, "offset": {"type": "integer"},
                                             "expires_at": TS, "storage": {"enum": ["local", "supabase"]},
                                             "object_path": {"type": "string"}, "filename": _n("string"),
                                             "bucket": {"type": "string"}, "token": {"type": "string"},
                                             "headers": {"type": "object"}, "metadata": {"type": "object"},
                                             "chunk_size": {"type": "integer"}, "complete_url": {"type": "string"}},
                                            ["length", "offset", "expires_at", "storage", "object_path"])},
                            ["job_id", "mode", "status", "phase", "upload_url", "upload"]),
    "Upload": _obj({"job_id": UUID, "storage": {"enum": ["local", "supabase"]}, "object_path": {"type": "string"},
                    "filename": _n("string"), "length": {"type": "integer"}, "offset": {"type": "integer"},
                    "metadata": {"type": "object"}, "expires_at": TS, "expired": {"type": "boolean"},
                    "completed": {"type": "boolean"}, "completed_at": _n("string"), "terminated": {"type": "boolean"},
                    "terminated_at": _n("string"), "mode": {"enum": ["products", "customers", "api_sync"]},
                    "status": {"enum": ["queued", "running", "failed", "completed", "canceled"]},
                    "phase": {"enum": list(PHASES)}, "queue_job_id": _n("integer")},
                   ["job_id", "length", "offset", "completed"]),
    "JobPage": _page("Job"),
    "JobEnd": _obj({"job_id": UUID, "status": {"enum": ["completed", "failed", "canceled"]}, "totals": {"type": "object"},
                    "error_url": _n("string")}, ["job_id", "status"]),
    "Performance": _obj({"vendor_id": UUID, "window": {"type": "string"}, "latency": {"type": "object"},
                         "requests": {"type": "object"}, "jobs_24h": {"type": "object"},
                         "queue_depth": {"type": "integer"}, **FRESHNESS}, ["latency", "requests", "jobs_24h"]),
    "TaxonomyEntry": _obj({"id": {"type": "integer"}, **TAXONOMY_FIELDS, "created_at": TS, "updated_at": TS}, ["id", "code", "label"]),
    "Webhook": _obj({"id": UUID, "url": {"type": "string"}, "description": _n("string"), "enabled": {"type": "boolean"},
                     "event_types": {"type": "array", "items": {"enum": list(EVENT_TYPES)}},
                     "retries_max": {"type": "integer"}, "tolerance_sec": {"type": "integer"}, "created_at": TS, "updated_at": TS},
                    ["id", "url", "enabled", "event_types", "retries_max", "tolerance_sec", "created_at", "updated_at"]),
    "WebhookWithSecret": {"allOf": [{"$ref": "#/components/schemas/Webhook"},
                                    _obj({"secret": {"type": "string", "pattern": "^whsec_[0-9a-f]{64}$",
                                                     "description": "the signing secret, shown only in this answer"}}, ["secret"])]},
    "WebhookInput": _obj(WEBHOOK_FIELDS, ["url"], extra=False),
    "WebhookPatch": _patch(WEBHOOK_FIELDS),
    "WebhookPage": _page("Webhook"),
    "WebhookDelivery": _obj({"id": UUID, "endpoint_id": UUID, "event_id": UUID, "event_type": {"enum": list(EVENT_TYPES)},
                             "status": {"enum": ["pending", "delivered", "failed", "dead"]}, "attempt": {"type": "integer"},
                             "response_status": _n("integer"), "last_error": _n("string"), "timestamp": _n("string", format="date-time"),
                             "created_at": TS, "delivered_at": _n("string", format="date-time"),
                             "payload": _obj({"vendor_id": UUID, "event_id": UUID, "event_type": {"type": "string"},
                                              "occurred_at": TS, "data": {"type": "object"}})},
                            ["id", "endpoint_id", "event_id", "event_type", "status", "attempt", "created_at", "payload"]),
    "WebhookDeliveryPage": _page("WebhookDelivery"),
    "MappingInput": _obj({"map": {"type": "object", "maxProperties": 500, "additionalProperties": MAPPING_ENTRY,
                                  "description": "header (as in the file; matched in any spelling) -> {field, ops}"},
                          "options": _obj({"decimal": {"enum": [".", ",", None], "description":
                                                       "the decimal separator of every file of this mode"}}, extra=False)},
                         ["map"], extra=True, description="The read-only members of a Mapping may be sent back and are ignored."),
    "Mapping": _obj({"mode": {"enum": ["products", "customers"]}, "version": {"type": "integer", "minimum": 0},
                     "map": {"type": "object", "additionalProperties": MAPPING_ENTRY}, "options": {"type": "object"},
                     "created_by": _n("string"), "updated_at": _n("string", format="date-time")},
                    ["mode", "version", "map", "options"]),
    "MappingPreview": _obj({"mode": {"enum": ["products", "customers"]}, "delimiter": {"type": "string"},
                            "columns": {"type": "array", "items": _obj({"i": {"type": "integer"}, "header": {"type": "string"},
                                                                        "field": _n("string"), "ops": {"type": "array"},
                                                                        "via": _n("string"), "ignored": _n("string")})},
                            "missing": TEXTS}, ["mode", "columns", "missing"]),
    "ConnectorInput": _obj(CONNECTOR_FIELDS, ["base_url"], extra=True, description=(
        "PUT replaces the configuration (omitted fields take their defaults). The read-only members of a Connector "
        "(id, source, has_secret, cursor, last_test, ...) may be sent back and are ignored; secrets_ref only as it is.")),
    "Connector": _obj({"id": UUID, "vendor_id": UUID, "source": {"type": "string"}, **{k: v for k, v in CONNECTOR_FIELDS.items() if k != "secret"},
                       "paging": _obj(PAGING_FIELDS, list(PAGING_FIELDS)),
                       "secrets_ref": _n("string", description="where the credential is kept (never the credential)"),
                       "has_secret": {"type": "boolean"},
                       "cursor": {"type": ["object", "null"], "description": "the last sync: watermark (for since_param), synced_at, status, job_id, last_error",
                                  "properties": {"watermark": _n("string"), "synced_at": _n("string"),
                                                 "status": {"enum": ["idle", "running", "ok", "error"]},
                                                 "job_id": {"type": ["string", "null"], "format": "uuid"}, "last_error": _n("string")}},
                       "last_test": {"type": ["object", "null"], "description": "the latest test: queued/running, then ok, http_status, "
                                     "latency_ms, items, next_cursor, mapping (how the items' keys map) or error"},
                       "created_at": TS, "updated_at": TS},
                      ["id", "source", "base_url", "mode", "auth_type", "rate_limit_rpm", "paging", "enabled", "has_secret"]),
    "ConnectorPage": _page("Connector"),
    "ConnectorTest": _obj({"id": UUID, "source": {"type": "string"}, "status": {"enum": ["queued"]}, "requested_at": TS,
                           "requested_by": _n("string"), "poll": {"type": "string", "description": "GET it: last_test holds the outcome"}},
                          ["id", "status", "poll"]),
    "ConnectorDeleted": _obj({"deleted": {"type": "boolean"}, "source": {"type": "string"},
                              "canceled_job_id": {"type": ["string", "null"], "format": "uuid"}}, ["deleted", "source"]),
    "TaxonomyInput": _obj(TAXONOMY_FIELDS, ["code", "label"], extra=False),
    "TaxonomyPatch": _patch(TAXONOMY_FIELDS),
    "TaxonomyPage": _page("TaxonomyEntry"),
    "Synonym": _obj({"id": {"type": "integer"}, **SYNONYM_FIELDS, "created_at": TS, "updated_at": TS}, ["id", "domain", "canonical"]),
    "SynonymInput": _obj(SYNONYM_FIELDS, ["domain", "canonical"], extra=False),
    "SynonymPatch": _patch(SYNONYM_FIELDS),
    "SynonymPage": _page("Synonym"),
    "Vendor": _obj({"id": UUID, **VENDOR_FIELDS, "catalog_version": {"type": "integer"}, "created_at": TS, "updated_at": TS},
                   ["id", "name", "status"]),
    "VendorInput": _obj(VENDOR_FIELDS, ["name"], extra=False),
    "VendorPatch": _patch(VENDOR_FIELDS),
    "VendorPage": _page("Vendor"),
    "Member": _obj({"user_id": {"type": "string"}, "vendor_id": UUID, **MEMBER_FIELDS, "created_at": TS, "updated_at": TS},
                   ["user_id", "vendor_id", "role", "status"]),
    "MemberInput": _obj(MEMBER_FIELDS, ["role"], extra=False),
    "MemberPage": _page("Member"),
}

PARAM_SCHEMA = {"uuid": UUID, "text": {"type": "string"}, "int": {"type": "integer", "format": "int32"},
                "bigint": {"type": "integer", "format": "int64"}, "bool": {"type": "boolean"},
                "timestamptz": {"type": "string", "format": "date-time"},
                "text[]": {"type": "array", "items": {"type": "string"}}}

HEADERS = {
    "X-Request-Id": {"description": "request id (echoed, or generated)", "schema": {"type": "string"}},
    "RateLimit-Limit": {"description": "requests allowed in the window of the most constraining limit", "schema": {"type": "integer"}},
    "RateLimit-Remaining": {"description": "requests left in the window", "schema": {"type": "integer"}},
    "RateLimit-Reset": {"description": "seconds until the window resets", "schema": {"type": "integer"}},
}

ERROR_STATUSES = {"400": "Bad request", "401": "Missing, expired or invalid bearer token", "403": "Not allowed for your role or vendor",
                  "404": "Not found (also: another vendor's resource)", "429": "Rate limit exceeded (Retry-After)",
                  "500": "Internal error", "503": "Database unavailable"}
WRITE_ERRORS = {"409": "Conflict (Idempotency-Key in flight, uniqueness)", "412": "If-Match version is stale",
                "413": "Body too large", "415": "Body is not application/json", "422": "Validation failed (errors[])"}


def _problem_ref(description: str) -> S:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


# Answers particular to an operation, beside the common ones.
ep_errors: dict[str, dict[str, str]] = {
    "createCsvIngestion": {"502": "Supabase Storage did not sign the upload (retry with the same Idempotency-Key)"},
    "completeCsvUpload": {"409": "Not a Supabase Storage upload, the object is missing or of another size, or already complete",
                          "410": "The upload was terminated or expired",
                          "502": "Supabase Storage did not answer"},
}


def _operation(ep: Endpoint) -> S:
    params: list[S] = []
    for arg in ep.args:
        if arg.source == "path":
            params.append({"name": arg.key, "in": "path", "required": True, "schema": PARAM_SCHEMA[arg.type]})
        elif arg.source == "query":
            schema = PARAM_SCHEMA["text"] if arg.type == "text[]" else PARAM_SCHEMA[arg.type]
            if arg.key == "limit":
                schema = {"type": "integer", "minimum": 1, "maximum": 200}
            if arg.choices:
                schema = {"type": "string", "enum": list(arg.choices)}
            params.append({"name": arg.key, "in": "query", "required": arg.required, "schema": schema,
                           "description": arg.description or arg.key})
        elif arg.source == "if_match":
            params.append({"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
                           "description": "the ETag (version) of the resource as read; stale -> 412, nothing changed"})
    for key, type_ in ep.filters:
        params.append({"name": key, "in": "query", "required": False,
                       "schema": PARAM_SCHEMA["text"] if type_ == "text[]" else PARAM_SCHEMA[type_]})
    params.append({"name": "X-Vendor-Id", "in": "header", "required": False, "schema": UUID,
                   "description": "the vendor to act in (users linked to several vendors; superadmin break-glass)"})
    params.append({"name": "X-Justification", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 1000},
                   "description": "break-glass reason, required for a superadmin acting inside a vendor (audited)"})
    if ep.etag and ep.method == "GET":
        params.append({"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
                       "description": "the ETag(s) the client holds: 304 Not Modified, no body, while the version is the same"})
    if ep.writes:
        params.append({"name": "Idempotency-Key", "in": "header", "required": ep.method == "POST",
                       "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                       "description": "replays the first response for 24 h; 409 while in flight, 422 if reused with another payload"})
    if ep.replica:
        params.append({"name": "X-Odyssey-Wal-Lsn", "in": "header", "required": False,
                       "schema": {"type": "string", "pattern": "^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$"},
                       "description": "read-your-writes: the X-Odyssey-Wal-Lsn of an earlier write"})
    ok_headers = dict(HEADERS)
    if ep.etag:
        ok_headers["ETag"] = {"description": "the resource version", "schema": {"type": "string"}}
    if ep.writes:
        ok_headers["X-Odyssey-Wal-Lsn"] = {"description": "WAL position of the commit (read-your-writes token)",
                                           "schema": {"type": "string"}}
        ok_headers["Idempotent-Replayed"] = {"description": "true when this is a stored response replayed",
                                             "schema": {"type": "string"}}
    content = ({"text/csv": {"schema": {"type": "string"}}} if ep.response_schema == "ErrorsCsv"
               else {"application/json": {"schema": {"$ref": f"#/components/schemas/{ep.response_schema}"}}})
    responses: S = {str(ep.status): {"description": "OK", "headers": ok_headers, "content": content}}
    if ep.etag and ep.method == "GET":
        responses["304"] = {"description": "Not Modified: If-None-Match names the current version (no body)",
                            "headers": {"ETag": ok_headers["ETag"], "X-Request-Id": HEADERS["X-Request-Id"]}}
    errors = dict(ERROR_STATUSES)
    if ep.writes or ep.request_schema:
        errors.update(WRITE_ERRORS)
    else:
        errors["422"] = "Invalid parameter value"
    if ep.method != "GET":
        errors["412"] = WRITE_ERRORS["412"]
    errors.update(ep_errors.get(ep.operation_id, {}))
    for code, description in sorted(errors.items()):
        responses[code] = _problem_ref(description)
    op: S = {"operationId": ep.operation_id, "summary": ep.summary, "tags": [ep.tag],
             "description": f"Roles: {ep.roles}. Calls `{ep.function}`." + (" May be served by the read replica." if ep.replica else ""),
             "parameters": params, "responses": responses}
    if ep.request_schema:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{ep.request_schema}"}}}}
    return op


def build_openapi() -> S:
    paths: S = {}
    for ep in ENDPOINTS:
        paths.setdefault(ep.path, {})[ep.method.lower()] = _operation(ep)
    paths.update(_tus_paths())
    paths["/health"] = {"get": {"operationId": "health", "summary": "Liveness (?probe=live) and readiness", "security": [],
                                "tags": ["service"],
                                "parameters": [{"name": "probe", "in": "query", "required": False, "schema": {"type": "string"},
                                                "description": "live: liveness only; anything else: readiness (database checks)"}],
                                "responses": {"200": {"description": "ready", "content": {"application/json": {"schema": {"type": "object"}}}},
                                              "503": {"description": "not ready", "content": {"application/json": {"schema": {"type": "object"}}}}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Odyssey API", "version": "1.0.0",
                 "description": "Multi-tenant nutrition platform API. Errors are RFC 9457 problem+json. "
                                "The vendor and role come from your memberships, never from the URL."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }


def _tus_paths() -> S:
    """The TUS 1.0 upload server (gateway/tus.py): protocol headers rather than JSON bodies."""
    def header(name: str, schema: S, description: str, required: bool = False) -> S:
        return {"name": name, "in": "header", "required": required, "schema": schema, "description": description}

    def out(description: str) -> S:
        return {"description": description, "schema": {"type": "string"}}

    tus = header("Tus-Resumable", {"type": "string", "enum": ["1.0.0"]}, "the protocol version (412 otherwise)", True)
    tenant = [header("X-Vendor-Id", UUID, "the vendor to act in (users linked to several vendors; superadmin break-glass)"),
              header("X-Justification", {"type": "string", "maxLength": 1000}, "break-glass reason (audited)")]
    job = {"name": "job_id", "in": "path", "required": True, "schema": UUID, "description": "the ingestion job's id"}
    resumable = {"Tus-Resumable": out("1.0.0"), **HEADERS}
    expires = out("RFC 9110 date after which an unfinished upload is gone (24 h after creation)")
    common = {"401": "Missing, expired or invalid bearer token", "403": "Not allowed for your role or vendor",
              "412": "Tus-Resumable is missing or not 1.0.0 (Tus-Version lists what is supported)",
              "429": "Rate limit exceeded (Retry-After)", "500": "Internal error", "503": "Database unavailable"}

    def problems(extra: dict[str, str]) -> S:
        return {code: _problem_ref(text) for code, text in sorted({**common, **extra}.items())}

    item_errors = {"400": "Bad request (malformed header)", "404": "No such upload (also: another vendor's)",
                   "410": "The upload was terminated or expired"}
    return {
        "/api/v1/uploads": {
            "options": {"operationId": "tusOptions", "summary": "TUS capabilities: version, extensions, max size, checksums",
                        "tags": ["uploads"], "security": [], "parameters": [],
                        "responses": {"204": {"description": "capabilities", "headers": {
                            "Tus-Resumable": out("1.0.0"), "Tus-Version": out("1.0.0"),
                            "Tus-Extension": out("creation,expiration,termination,checksum"),
                            "Tus-Max-Size": out("10737418240"), "Tus-Checksum-Algorithm": out("sha1,md5,sha256")}}}},
            "post": {"operationId": "tusCreateUpload",
                     "summary": "TUS creation: a CSV ingestion job awaiting this upload (counts against the ingest rate limit)",
                     "description": "Roles: superadmin (break-glass), vendor_admin, vendor_operator. Calls `api.ingest_csv_create`. "
                                    "Upload-Metadata carries `mode` (products|customers) and `filename` (or `name`); other keys are kept "
                                    "as the upload's metadata. No Idempotency-Key: a TUS client resumes by its Location.",
                     "tags": ["uploads"],
                     "parameters": [tus, header("Upload-Length", {"type": "string", "pattern": "^[0-9]{1,18}$"},
                                                "the file's size in bytes, 1..10737418240 (413 above Tus-Max-Size)", True),
                                    header("Upload-Metadata", {"type": "string"}, "comma-separated 'key base64(value)' pairs: mode, filename, ..."),
                                    *tenant],
                     "responses": {"201": {"description": "created", "headers": {
                                       "Location": out("the absolute upload URL"), "Upload-Expires": expires, **resumable},
                                       "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IngestCsvUpload"}}}},
                                   **problems({"400": "Bad request (malformed Upload-Length or Upload-Metadata)",
                                               "413": "Upload-Length exceeds Tus-Max-Size",
                                               "422": "Validation failed (errors[]: mode, size, filename, metadata)"})}},
        },
        "/api/v1/uploads/{job_id}": {
            "head": {"operationId": "tusGetUploadOffset", "summary": "TUS: how many bytes the server has (resume from Upload-Offset)",
                     "description": "Roles: superadmin (break-glass), vendor_admin, vendor_operator, vendor_viewer. Calls `api.ingest_upload_get`.",
                     "tags": ["uploads"], "parameters": [job, tus, *tenant],
                     "responses": {"200": {"description": "the upload's state (no body)", "headers": {
                                       "Upload-Offset": out("bytes received and recorded"), "Upload-Length": out("the announced size"),
                                       "Upload-Expires": expires, "Upload-Metadata": out("mode, filename and string metadata"),
                                       "Cache-Control": out("no-store"), **resumable}},
                                   **problems(item_errors)}},
            "patch": {"operationId": "tusPatchUpload", "summary": "TUS: append bytes at Upload-Offset",
                      "description": "Roles: superadmin (break-glass), vendor_admin, vendor_operator. Calls `api.ingest_upload_advance`. "
                                     "The bytes are written at Upload-Offset, fsynced, then recorded; a client that disconnects keeps "
                                     "what arrived. The last byte completes the upload and queues the ingestion job.",
                      "tags": ["uploads"],
                      "parameters": [job, tus, header("Upload-Offset", {"type": "string", "pattern": "^[0-9]{1,18}$"},
                                                      "the offset the body starts at (must equal the server's: 409 otherwise)", True),
                                     header("Upload-Checksum", {"type": "string"}, "'sha1|md5|sha256 <base64 digest>' of this body (460 on mismatch)"),
                                     *tenant],
                      "requestBody": {"required": True, "content": {"application/offset+octet-stream": {
                          "schema": {"type": "string", "format": "binary"}}}},
                      "responses": {"204": {"description": "appended", "headers": {
                                        "Upload-Offset": out("the new offset"), "Upload-Expires": expires, **resumable}},
                                    **problems({**item_errors,
                                                "400": "Bad request (missing or malformed Upload-Offset or Upload-Checksum)",
                                                "409": "Upload-Offset is not the server's offset, the upload is complete, or it goes to Supabase Storage",
                                                "413": "The body would take the upload past Upload-Length",
                                                "415": "The body is not application/offset+octet-stream",
                                                "422": "Invalid offset",
                                                "423": "Another request is writing this upload",
                                                "460": "Upload-Checksum mismatch: nothing was kept"})}},
            "delete": {"operationId": "tusTerminateUpload", "summary": "TUS termination: remove the upload and cancel its job",
                       "description": "Roles: superadmin (break-glass), vendor_admin, vendor_operator. Calls `api.ingest_upload_terminate`.",
                       "tags": ["uploads"], "parameters": [job, tus, *tenant],
                       "responses": {"204": {"description": "terminated; the job is canceled", "headers": resumable},
                                     **problems({**item_errors, "409": "The job already ended"})}},
        },
    }
