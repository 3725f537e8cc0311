"""Responses that are not one JSON document: GET /api/v1/jobs/{id}/errors.csv streams the rejected
rows of an ingestion job as CSV, written by PostgreSQL's COPY from api.job_errors() in the
caller's tenant and role (so a job of another vendor is a 404, as everywhere)."""
from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from .app import RESOLVE
from .problems import Problem
from .routes import Endpoint

# No HEADER option: COPY would send the header before running the query, so a refusal (OD404)
# would come after the first bytes. The header line is written here, once the first read passed.
ERRORS_COPY = "COPY (SELECT row_no, field, code, message, raw FROM api.job_errors(%s::uuid)) TO STDOUT WITH (FORMAT csv)"
HEADER = b"row_no,field,code,message,raw\r\n"


async def job_errors_csv(gw, request: Request, ep: Endpoint, req_id: str, log: dict, headers: dict) -> Response:
    principal = await gw.admit(request, ep, log, headers)
    try:
        job_id = str(uuid.UUID(request.path_params["id"]))
    except ValueError:
        raise Problem(400, "id must be a UUID") from None

    async def rows() -> AsyncIterator[bytes]:
        async with gw.primary.connection() as conn, conn.transaction():
            cur = conn.cursor()
            await cur.execute(RESOLVE.format(extra=""), principal)
            row = await cur.fetchone()
            log["vendor_id"], log["role"] = row[1], row[2]
            async with cur.copy(ERRORS_COPY, (job_id,)) as copy:
                async for data in copy:
                    yield bytes(data)

    stream = rows()
    try:
        first = await stream.__anext__()  # an unknown job (OD404) or a refused role surfaces here, as a problem
    except StopAsyncIteration:
        first = b""

    async def body() -> AsyncIterator[bytes]:
        yield HEADER + first
        if first:
            async for data in stream:
                yield data

    headers["Content-Disposition"] = f'attachment; filename="job-{job_id}-errors.csv"'
    return StreamingResponse(body(), media_type="text/csv; charset=utf-8", headers=headers)


HANDLERS = {"job_errors_csv": job_errors_csv}
