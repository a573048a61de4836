"""CDAR messages a PA would send about an invoice (built by the engine, as the official examples are)."""

from __future__ import annotations

import datetime as dt

from facturier.engine import cdar


def platform_status(document, code: str, *, reason_code: str | None = None,
                    at: dt.datetime | None = None) -> bytes:
    """The CDAR of status `code` about `document`, as the platform or the buyer sets it."""
    seller = (document.seller_snapshot or {})["siren"]
    buyer = (document.buyer_snapshot or {}).get("siren") or document.customer.siren
    message = cdar.status_message(
        status=code, invoice_number=document.number, invoice_date=document.issue_date,
        seller=cdar.Company(siren=seller), buyer=cdar.Company(siren=buyer), reason_code=reason_code,
        at=at or dt.datetime.now(dt.UTC))
    return cdar.build(message)
