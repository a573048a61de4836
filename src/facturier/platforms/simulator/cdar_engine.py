"""The simulator's CDAR messages written by the project's own CDAR writer (`facturier.engine.cdar`)."""

from __future__ import annotations

import datetime as dt
import logging

from facturier.engine import cdar

log = logging.getLogger("facturier.pa_simulator")

SIMULATOR_PLATFORM = cdar.Platform(id="9999", name="PA simulator")


def build_with_engine(event, *, now: dt.datetime) -> bytes | None:
    """The message for `event` (a `StatusEvent`), or None when the writer refuses it (the caller falls back)."""
    try:
        issued = dt.datetime.strptime(event.invoice_issue_date, "%Y%m%d").date() if event.invoice_issue_date \
            else None
    except ValueError:
        issued = None
    try:
        message = cdar.status_message(
            status=event.status, invoice_number=event.invoice_number or "UNKNOWN", invoice_date=issued,
            seller=cdar.Company(siren=event.seller_siren or "000000000", name=event.seller_name or None),
            buyer=cdar.Company(siren=event.buyer_siren, name=event.buyer_name or None) if event.buyer_siren else None,
            at=now, invoice_type=event.invoice_type_code or "380", platform=SIMULATOR_PLATFORM,
            received_at=event.received_at, reason_code=event.reason_code or None, reason=event.reason or None)
        return cdar.build(message)
    except cdar.CdarError as e:
        log.warning("PA simulator: the CDAR writer refused status %s (%s); the built-in template is used",
                    event.status, e)
        return None
