"""Platform statuses of submitted reports, received through the platform outbox's signal."""

from __future__ import annotations


def on_flow_status(sender, submission=None, status_code=None, cdar=None, **kwargs) -> None:
    """`flow_status_received(submission, status_code, cdar)` of facturier.platforms.outbox: apply it when the
    flow is an e-reporting file."""
    if submission is None or getattr(submission, "kind", "") != "ereport":
        return
    from facturier.platforms.ereporting.services import status_received

    text = reason_code = ""
    if cdar is not None:
        text = getattr(cdar, "reason_text", "") or ""
        reason_code = getattr(cdar, "reason_code", "") or ""
    status_received(organisation_id=submission.organisation_id, tracking_id=submission.tracking_id,
                    status_code=str(status_code), text=str(text or ""), reason_code=str(reason_code or ""))


def connect() -> bool:
    """Listen to the platform outbox when it is installed; False when it is not (nothing to listen to)."""
    try:
        from facturier.platforms.outbox import flow_status_received
    except ImportError:
        return False
    flow_status_received.connect(on_flow_status, dispatch_uid="ereporting.flow_status")
    return True
