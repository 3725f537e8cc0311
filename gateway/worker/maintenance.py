"""Maintenance job handlers: the work is one SQL call each (the rules live in SQL)."""
from __future__ import annotations

import logging

from .handlers import JobContext, PermanentError, register

log = logging.getLogger("odyssey.worker.maintenance")


@register("matching.allergen_masks")
def allergen_masks(ctx: JobContext) -> None:
    """Recompute a vendor's product allergen masks after the allergen synonyms changed
    (matching.refresh_allergen_masks, db/functions/allergen_mask_refresh.sql)."""
    if not ctx.vendor_id:
        raise PermanentError("the job has no vendor")
    conn = ctx.connection()
    conn.execute("select set_config('odyssey.vendor_id', %s, false)", (ctx.vendor_id,))
    changed = conn.execute("select matching.refresh_allergen_masks(%s)", (ctx.vendor_id,)).fetchone()[0]
    conn.commit()
    if changed:
        log.info("vendor %s: %d product allergen masks recomputed", ctx.vendor_id, changed)
