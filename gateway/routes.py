"""The endpoint table: each HTTP route is exactly one api function call. An Arg says where a
typed p_ parameter comes from (path, query, body, a header) and how it is cast in SQL. The
OpenAPI document is generated from this table and gateway/openapi.py's schemas."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Arg:
    param: str                 # p_ parameter of the api function
    source: str                # path | query | body | body_key (JSON member as jsonb) | body_value (JSON scalar as type) | filters | if_match | const
    key: str = ""              # path/query/body key
    type: str = "text"         # uuid | text | int | bigint | bool | timestamptz | text[] | jsonb
    required: bool = False
    value: object = None       # for const
    description: str = ""
    choices: tuple[str, ...] = ()  # documentation: the accepted values (validated in SQL)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    function: str
    args: tuple[Arg, ...] = ()
    status: int = 200
    summary: str = ""
    tag: str = ""
    operation_id: str = ""
    request_schema: str | None = None     # components/schemas name of the JSON body
    response_schema: str = "Object"
    replica: bool = False                 # search and analytics reads may be served by the replica
    ingest: bool = False                  # counts against the per-vendor ingest rate limit
    etag: bool = False                    # the body's version is the ETag
    roles: str = ""                       # documentation: who may call it
    filters: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (query key, filter type)
    handler: str = ""                     # a request handler of gateway/tus.py instead of the generic call

    @property
    def writes(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH", "DELETE")


def _q(param: str, key: str, type_: str = "text", description: str = "") -> Arg:
    return Arg(param, "query", key, type_, description=description)


PAGE = (_q("p_cursor", "cursor", description="next_cursor of the previous page"),
        _q("p_limit", "limit", "int", description="page size, 1..200 (default 50)"))
IF_MATCH = Arg("p_expected_version", "if_match", "If-Match", "int")
ALL = "superadmin (break-glass), vendor_admin, vendor_operator, vendor_viewer"
WRITERS = "superadmin (break-glass), vendor_admin, vendor_operator"
SUPER = "superadmin"
ADMINS = "superadmin (break-glass), vendor_admin"

ENDPOINTS: list[Endpoint] = [
    # Products (PRD 5.2)
    Endpoint("GET", "/api/v1/products", "api.list_products", (
        _q("p_q", "q", description="full-text query (websearch syntax)"), _q("p_brand", "brand"),
        _q("p_category_id", "category_id", "bigint"), _q("p_tags_any", "tags.any", "text[]", "comma-separated dietary tags, any of"),
        _q("p_allergens_none", "allergens.none", "text[]", "comma-separated allergens, none of"),
        _q("p_updated_after", "updated_after", "timestamptz"), _q("p_sort", "sort", description="-updated_at (default) or relevance"),
        *PAGE), summary="List products", tag="products", operation_id="listProducts", response_schema="ProductPage", roles=ALL),
    Endpoint("POST", "/api/v1/products", "api.upsert_products", (Arg("p_items", "body_key", "items", "jsonb", True),),
             summary="Batch upsert products (1..10,000, keyed on external_id)", tag="products", operation_id="upsertProducts",
             request_schema="ProductBatch", response_schema="UpsertResult", roles=WRITERS),
    Endpoint("GET", "/api/v1/products/{id}", "api.get_product", (Arg("p_id", "path", "id", "uuid", True),),
             summary="Get a product", tag="products", operation_id="getProduct", response_schema="Product", etag=True, roles=ALL),
    Endpoint("PATCH", "/api/v1/products/{id}", "api.patch_product", (
        Arg("p_id", "path", "id", "uuid", True), Arg("p_patch", "body", "", "jsonb", True), IF_MATCH),
             summary="Patch a product (If-Match: version)", tag="products", operation_id="patchProduct",
             request_schema="ProductPatch", response_schema="Product", etag=True, roles=WRITERS),
    Endpoint("DELETE", "/api/v1/products/{id}", "api.delete_product", (Arg("p_id", "path", "id", "uuid", True), IF_MATCH),
             summary="Soft-delete a product", tag="products", operation_id="deleteProduct", response_schema="Deleted", roles=WRITERS),
    # Customers (PRD 5.3)
    Endpoint("GET", "/api/v1/customers", "api.list_customers", (
        _q("p_q", "q"), _q("p_email", "email"), _q("p_tags_any", "tags.any", "text[]"),
        _q("p_updated_after", "updated_after", "timestamptz"), *PAGE),
             summary="List customers", tag="customers", operation_id="listCustomers", response_schema="CustomerPage", roles=ALL),
    Endpoint("POST", "/api/v1/customers", "api.upsert_customers", (Arg("p_items", "body_key", "items", "jsonb", True),),
             summary="Batch upsert customers (1..10,000, keyed on external_id)", tag="customers", operation_id="upsertCustomers",
             request_schema="CustomerBatch", response_schema="UpsertResult", roles=WRITERS),
    Endpoint("GET", "/api/v1/customers/{id}", "api.get_customer", (Arg("p_id", "path", "id", "uuid", True),),
             summary="Get a customer", tag="customers", operation_id="getCustomer", response_schema="Customer", etag=True, roles=ALL),
    Endpoint("PUT", "/api/v1/customers/{id}", "api.update_customer", (
        Arg("p_id", "path", "id", "uuid", True), Arg("p_body", "body", "", "jsonb", True), IF_MATCH,
        Arg("p_replace", "const", "", "bool", value=True)),
             summary="Replace a customer", tag="customers", operation_id="replaceCustomer",
             request_schema="CustomerReplace", response_schema="Customer", etag=True, roles=WRITERS),
    Endpoint("PATCH", "/api/v1/customers/{id}", "api.update_customer", (
        Arg("p_id", "path", "id", "uuid", True), Arg("p_body", "body", "", "jsonb", True), IF_MATCH),
             summary="Patch a customer", tag="customers", operation_id="patchCustomer",
             request_schema="CustomerPatch", response_schema="Customer", etag=True, roles=WRITERS),
    Endpoint("DELETE", "/api/v1/customers/{id}", "api.delete_customer", (Arg("p_id", "path", "id", "uuid", True), IF_MATCH),
             summary="Soft-delete a customer", tag="customers", operation_id="deleteCustomer", response_schema="Deleted", roles=WRITERS),
    # Health (domain functions)
    Endpoint("GET", "/api/v1/customers/{id}/health", "api.get_customer_health", (Arg("p_customer_id", "path", "id", "uuid", True),),
             summary="Get a customer's health profile (admin/operator; audited)", tag="health", operation_id="getCustomerHealth",
             response_schema="HealthProfile", etag=True, roles=WRITERS),
    Endpoint("PUT", "/api/v1/customers/{id}/health", "api.put_customer_health", (
        Arg("p_customer_id", "path", "id", "uuid", True), Arg("p_body", "body", "", "jsonb", True),
        Arg("p_if_match", "if_match", "If-Match", "int")),
             summary="Put a customer's health profile (validated; BMI, BMR, TDEE, derived limits computed)", tag="health",
             operation_id="putCustomerHealth", request_schema="HealthInput", response_schema="HealthProfile", etag=True, roles=WRITERS),
    # Search and matching (domain functions)
    Endpoint("GET", "/api/v1/search/products", "api.search_products", (
        _q("p_q", "q"), Arg("p_filters", "filters", "", "jsonb"), _q("p_sort", "sort"), *PAGE),
             summary="Search products (full text + filters)", tag="search", operation_id="searchProducts",
             response_schema="SearchPage", replica=True, roles=ALL,
             filters=(("brand", "text"), ("category_id", "bigint"), ("tags.any", "text[]"), ("allergens.none", "text[]"),
                      ("updated_after", "timestamptz"), ("status", "text"))),
    Endpoint("GET", "/api/v1/search/customers", "api.search_customers", (_q("p_q", "q"), *PAGE),
             summary="Search customers", tag="search", operation_id="searchCustomers", response_schema="SearchPage",
             replica=True, roles=WRITERS),
    Endpoint("GET", "/api/v1/matches/{customer_id}", "api.match_products", (
        Arg("p_customer_id", "path", "customer_id", "uuid", True), _q("p_k", "k", "int", "number of matches (default 20)")),
             summary="Top-K health-aware product matches for a customer", tag="matching", operation_id="matchProducts",
             response_schema="Matches", roles=WRITERS),
    # Ingestion (PRD 5.4): a job awaiting its file and where to upload it (TUS, gateway/tus.py)
    Endpoint("POST", "/api/v1/ingest/csv", "api.ingest_csv_create", (
        Arg("p_mode", "query", "mode", "text", True, description="products or customers", choices=("products", "customers")),
        Arg("p_upload_length", "body_value", "size", "bigint", True), Arg("p_filename", "body_value", "filename", "text"),
        Arg("p_metadata", "body_value", "metadata", "jsonb")),
             status=201, summary="Start a CSV ingestion: a job awaiting its file, and the resumable (TUS) upload URL",
             tag="ingest", operation_id="createCsvIngestion", request_schema="IngestCsvInput", response_schema="IngestCsvUpload",
             ingest=True, roles=WRITERS, handler="ingest_csv_create"),
    Endpoint("POST", "/api/v1/ingest/csv/{job_id}/complete", "api.ingest_upload_advance", (
        Arg("p_job_id", "path", "job_id", "uuid", True),),
             summary="Supabase Storage mode: check the uploaded object and complete the upload (queues the job)",
             tag="ingest", operation_id="completeCsvUpload", response_schema="Upload", roles=WRITERS,
             handler="ingest_csv_complete"),
    # Jobs and metrics
    Endpoint("GET", "/api/v1/jobs", "api.list_jobs", (_q("p_status", "status"), *PAGE),
             summary="List ingestion jobs", tag="jobs", operation_id="listJobs", response_schema="JobPage", roles=ALL),
    Endpoint("GET", "/api/v1/jobs/{id}", "api.get_job", (Arg("p_id", "path", "id", "uuid", True),),
             summary="Get an ingestion job", tag="jobs", operation_id="getJob", response_schema="Job", roles=ALL),
    Endpoint("POST", "/api/v1/jobs/{id}/cancel", "api.cancel_job", (Arg("p_id", "path", "id", "uuid", True),),
             summary="Cancel a queued or running ingestion job (what was merged stays; staging is purged)", tag="jobs",
             operation_id="cancelJob", response_schema="JobEnd", roles=WRITERS),
    Endpoint("GET", "/api/v1/jobs/{id}/errors.csv", "api.job_errors", (Arg("p_id", "path", "id", "uuid", True),),
             summary="The rejected rows of a job as CSV: row_no, field, code, message, raw (JSON of the row's values)",
             tag="jobs", operation_id="getJobErrorsCsv", response_schema="ErrorsCsv", roles=WRITERS,
             handler="job_errors_csv"),
    Endpoint("GET", "/api/v1/metrics/performance", "api.metrics_performance", (),
             summary="The vendor's p95 latency against SLOs, errors, jobs by status", tag="metrics",
             operation_id="getPerformance", response_schema="Performance", replica=True, roles=ALL),
    # Taxonomy and synonyms (PRD 5.8)
    Endpoint("GET", "/api/v1/taxonomy/{kind}", "api.taxonomy_list", (
        Arg("p_kind", "path", "kind", "text", True), _q("p_active", "active", "bool"), *PAGE),
             summary="List taxonomy entries", tag="taxonomy", operation_id="listTaxonomy", response_schema="TaxonomyPage", roles=ALL),
    Endpoint("POST", "/api/v1/taxonomy/{kind}", "api.taxonomy_save", (
        Arg("p_kind", "path", "kind", "text", True), Arg("p_id", "const", "", "bigint"), Arg("p_body", "body", "", "jsonb", True)),
             status=201, summary="Create a taxonomy entry", tag="taxonomy", operation_id="createTaxonomy",
             request_schema="TaxonomyInput", response_schema="TaxonomyEntry", roles=SUPER),
    Endpoint("GET", "/api/v1/taxonomy/{kind}/{id}", "api.taxonomy_get", (
        Arg("p_kind", "path", "kind", "text", True), Arg("p_id", "path", "id", "bigint", True)),
             summary="Get a taxonomy entry", tag="taxonomy", operation_id="getTaxonomy", response_schema="TaxonomyEntry", roles=ALL),
    Endpoint("PATCH", "/api/v1/taxonomy/{kind}/{id}", "api.taxonomy_save", (
        Arg("p_kind", "path", "kind", "text", True), Arg("p_id", "path", "id", "bigint", True), Arg("p_body", "body", "", "jsonb", True)),
             summary="Update a taxonomy entry", tag="taxonomy", operation_id="updateTaxonomy",
             request_schema="TaxonomyPatch", response_schema="TaxonomyEntry", roles=SUPER),
    Endpoint("DELETE", "/api/v1/taxonomy/{kind}/{id}", "api.taxonomy_delete", (
        Arg("p_kind", "path", "kind", "text", True), Arg("p_id", "path", "id", "bigint", True)),
             summary="Delete an unused taxonomy entry", tag="taxonomy", operation_id="deleteTaxonomy", response_schema="Deleted", roles=SUPER),
    Endpoint("GET", "/api/v1/synonyms", "api.synonyms_list", (_q("p_domain", "domain"), *PAGE),
             summary="List value synonyms", tag="taxonomy", operation_id="listSynonyms", response_schema="SynonymPage", roles=ALL),
    Endpoint("POST", "/api/v1/synonyms", "api.synonym_save", (Arg("p_id", "const", "", "bigint"), Arg("p_body", "body", "", "jsonb", True)),
             status=201, summary="Create a value synonym entry", tag="taxonomy", operation_id="createSynonym",
             request_schema="SynonymInput", response_schema="Synonym", roles=SUPER),
    Endpoint("PATCH", "/api/v1/synonyms/{id}", "api.synonym_save", (
        Arg("p_id", "path", "id", "bigint", True), Arg("p_body", "body", "", "jsonb", True)),
             summary="Update a value synonym entry", tag="taxonomy", operation_id="updateSynonym",
             request_schema="SynonymPatch", response_schema="Synonym", roles=SUPER),
    Endpoint("DELETE", "/api/v1/synonyms/{id}", "api.synonym_delete", (Arg("p_id", "path", "id", "bigint", True),),
             summary="Delete a value synonym entry", tag="taxonomy", operation_id="deleteSynonym", response_schema="Deleted", roles=SUPER),
    # Vendors and memberships
    Endpoint("GET", "/api/v1/admin/vendors", "api.vendor_list", (_q("p_status", "status"), *PAGE),
             summary="List vendors", tag="admin", operation_id="listVendors", response_schema="VendorPage", roles=SUPER),
    Endpoint("POST", "/api/v1/admin/vendors", "api.vendor_save", (Arg("p_id", "const", "", "uuid"), Arg("p_body", "body", "", "jsonb", True)),
             status=201, summary="Create a vendor (and its partitions)", tag="admin", operation_id="createVendor",
             request_schema="VendorInput", response_schema="Vendor", roles=SUPER),
    Endpoint("GET", "/api/v1/admin/vendors/{vendor_id}", "api.vendor_get", (Arg("p_id", "path", "vendor_id", "uuid", True),),
             summary="Get a vendor", tag="admin", operation_id="getVendor", response_schema="Vendor", roles=SUPER + ", or the caller's own vendor"),
    Endpoint("PATCH", "/api/v1/admin/vendors/{vendor_id}", "api.vendor_save", (
        Arg("p_id", "path", "vendor_id", "uuid", True), Arg("p_body", "body", "", "jsonb", True)),
             summary="Update a vendor", tag="admin", operation_id="updateVendor",
             request_schema="VendorPatch", response_schema="Vendor", roles=SUPER),
    Endpoint("GET", "/api/v1/admin/vendors/{vendor_id}/members", "api.member_list", (
        Arg("p_vendor_id", "path", "vendor_id", "uuid", True), *PAGE),
             summary="List a vendor's members", tag="admin", operation_id="listVendorMembers", response_schema="MemberPage", roles=SUPER),
    Endpoint("PUT", "/api/v1/admin/vendors/{vendor_id}/members/{user_id}", "api.member_put", (
        Arg("p_vendor_id", "path", "vendor_id", "uuid", True), Arg("p_user_id", "path", "user_id", "text", True),
        Arg("p_body", "body", "", "jsonb", True)),
             summary="Add a member to a vendor or change their role", tag="admin", operation_id="putVendorMember",
             request_schema="MemberInput", response_schema="Member", roles=SUPER),
    Endpoint("DELETE", "/api/v1/admin/vendors/{vendor_id}/members/{user_id}", "api.member_remove", (
        Arg("p_vendor_id", "path", "vendor_id", "uuid", True), Arg("p_user_id", "path", "user_id", "text", True)),
             summary="Remove a member from a vendor", tag="admin", operation_id="deleteVendorMember", response_schema="Deleted", roles=SUPER),
    Endpoint("GET", "/api/v1/members", "api.member_list", (Arg("p_vendor_id", "const", "", "uuid"), *PAGE),
             summary="List my vendor's members", tag="members", operation_id="listMembers", response_schema="MemberPage",
             roles="vendor_admin, superadmin (break-glass)"),
    Endpoint("PUT", "/api/v1/members/{user_id}", "api.member_put", (
        Arg("p_vendor_id", "const", "", "uuid"), Arg("p_user_id", "path", "user_id", "text", True), Arg("p_body", "body", "", "jsonb", True)),
             summary="Add a member to my vendor or change their role", tag="members", operation_id="putMember",
             request_schema="MemberInput", response_schema="Member", roles="vendor_admin, superadmin (break-glass)"),
    Endpoint("DELETE", "/api/v1/members/{user_id}", "api.member_remove", (
        Arg("p_vendor_id", "const", "", "uuid"), Arg("p_user_id", "path", "user_id", "text", True)),
             summary="Remove a member from my vendor", tag="members", operation_id="deleteMember", response_schema="Deleted",
             roles="vendor_admin, superadmin (break-glass)"),
    # Webhooks (PRD 5.9, 6.5): endpoints of the vendor, their signing secrets and deliveries
    # The vendor's own header mapping (PRD 4.2 vendor_mappings)
    Endpoint("GET", "/api/v1/mappings/{mode}", "api.mapping_get", (Arg("p_mode", "path", "mode", choices=("products", "customers")),),
             summary="The vendor's header mapping in force for files of a mode (version 0: none)", tag="mappings",
             operation_id="getMapping", response_schema="Mapping", roles=ALL),
    Endpoint("PUT", "/api/v1/mappings/{mode}", "api.mapping_put", (
             Arg("p_mode", "path", "mode", choices=("products", "customers")), Arg("p_body", "body", "", "jsonb", True)),
             summary="A new version of the vendor's header mapping: header -> field and transform ops; options.decimal",
             tag="mappings", operation_id="putMapping", request_schema="MappingInput", response_schema="Mapping", roles=ADMINS),
    Endpoint("GET", "/api/v1/mappings/{mode}/preview", "api.mapping_preview", (
             Arg("p_mode", "path", "mode", choices=("products", "customers")),
             Arg("p_header_line", "query", "header_line", required=True,
                 description="a file's first line, as in the file (delimiter sniffed; quoted headers may hold it)")),
             summary="How a file with this header line would be mapped now", tag="mappings", operation_id="previewMapping",
             response_schema="MappingPreview", roles=ALL),
    # Connectors (PRD 5.5)
    Endpoint("GET", "/api/v1/connectors", "api.connector_list", PAGE,
             summary="List the vendor's connectors", tag="connectors", operation_id="listConnectors",
             response_schema="ConnectorPage", roles=WRITERS),
    Endpoint("PUT", "/api/v1/connectors/{source}", "api.connector_put", (
             Arg("p_source", "path", "source"), Arg("p_body", "body", "", "jsonb", True)),
             summary="Create or replace a connector: base_url, auth (the credential in secret, write-only), rate, paging",
             tag="connectors", operation_id="putConnector", request_schema="ConnectorInput", response_schema="Connector",
             roles=ADMINS),
    Endpoint("GET", "/api/v1/connectors/{source}", "api.connector_get", (Arg("p_source", "path", "source"),),
             summary="Get a connector with its last sync (cursor) and latest test", tag="connectors",
             operation_id="getConnector", response_schema="Connector", roles=WRITERS),
    Endpoint("DELETE", "/api/v1/connectors/{source}", "api.connector_delete", (Arg("p_source", "path", "source"),),
             summary="Delete a connector with its credential (a queued or running sync is canceled)", tag="connectors",
             operation_id="deleteConnector", response_schema="ConnectorDeleted", roles=ADMINS),
    Endpoint("POST", "/api/v1/connectors/{source}/test", "api.connector_test", (Arg("p_source", "path", "source"),),
             status=202, summary="Test a connector: a worker calls its first page; GET the connector for last_test",
             tag="connectors", operation_id="testConnector", response_schema="ConnectorTest", ingest=True, roles=ADMINS),
    Endpoint("POST", "/api/v1/connectors/{source}/sync", "api.connector_sync", (Arg("p_source", "path", "source"),),
             status=202, summary="Sync a connector: an ingestion job that fetches its pages and merges them (GET /api/v1/jobs/{id})",
             tag="connectors", operation_id="syncConnector", response_schema="Job", ingest=True, roles=WRITERS),
    Endpoint("GET", "/api/v1/webhooks", "api.webhook_list", PAGE,
             summary="List the vendor's webhook endpoints", tag="webhooks", operation_id="listWebhooks",
             response_schema="WebhookPage", roles=ADMINS),
    Endpoint("POST", "/api/v1/webhooks", "api.webhook_create", (Arg("p_body", "body", "", "jsonb", True),),
             status=201, summary="Create a webhook endpoint; the answer holds its signing secret, shown this once",
             tag="webhooks", operation_id="createWebhook", request_schema="WebhookInput",
             response_schema="WebhookWithSecret", roles=ADMINS),
    Endpoint("GET", "/api/v1/webhooks/{id}", "api.webhook_get", (Arg("p_id", "path", "id", "uuid", True),),
             summary="Get a webhook endpoint", tag="webhooks", operation_id="getWebhook", response_schema="Webhook", roles=ADMINS),
    Endpoint("PATCH", "/api/v1/webhooks/{id}", "api.webhook_update", (
        Arg("p_id", "path", "id", "uuid", True), Arg("p_body", "body", "", "jsonb", True)),
             summary="Update a webhook endpoint (a disabled one's pending deliveries end as dead)", tag="webhooks",
             operation_id="updateWebhook", request_schema="WebhookPatch", response_schema="Webhook", roles=ADMINS),
    Endpoint("DELETE", "/api/v1/webhooks/{id}", "api.webhook_delete", (Arg("p_id", "path", "id", "uuid", True),),
             summary="Delete a webhook endpoint with its secret and deliveries", tag="webhooks", operation_id="deleteWebhook",
             response_schema="Deleted", roles=ADMINS),
    Endpoint("POST", "/api/v1/webhooks/{id}/rotate-secret", "api.webhook_rotate_secret", (Arg("p_id", "path", "id", "uuid", True),),
             summary="Replace the signing secret (the new one is shown this once)", tag="webhooks",
             operation_id="rotateWebhookSecret", response_schema="WebhookWithSecret", roles=ADMINS),
    Endpoint("GET", "/api/v1/webhooks/{id}/deliveries", "api.webhook_deliveries", (
        Arg("p_id", "path", "id", "uuid", True),
        _q("p_status", "status", description="pending | delivered | failed | dead"), *PAGE),
             summary="List an endpoint's deliveries: status, attempts, last response", tag="webhooks",
             operation_id="listWebhookDeliveries", response_schema="WebhookDeliveryPage", roles=ADMINS),
]
