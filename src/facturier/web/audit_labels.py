"""The audit trail as a reader sees it: actions and their details named in the screen's language.

Events keep their technical codes: they are evidence, and their wording must not change with a
translation. This only decides how the document history shows them; an action or a detail not
named here is shown as recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from facturier.invoicing.models import PaymentMethod, State

ACTIONS = {
    "document.create": _("Draft created"),
    "document.update": _("Draft changed"),
    "document.delete": _("Draft deleted"),
    "document.issue": _("Document issued"),
    "document.credit": _("Credited by a credit note"),
    "document.write_off": _("Written off as a bad debt"),
    "payment.record": _("Payment recorded"),
    "payment.cancel": _("Payment cancelled"),
    "delivery.queued": _("Queued for sending by e-mail"),
    "delivery.sent": _("Sent by e-mail"),
    "delivery.read": _("Read receipt received"),
    "delivery.bounced": _("E-mail returned"),
    "delivery.corrected": _("E-mail address corrected"),
    "delivery.failed": _("Not delivered"),
    "delivery.postal": _("Put in the postal batch"),
    "delivery.by_post": _("Sent by post"),
    "delivery.duplicate_confirmed": _("Sent although it looked like a duplicate"),
    "delivery.late_bounce": _("E-mail returned after delivery"),
    "archive.legal_hold": _("Legal hold changed"),
    "admin.add": _("Added in the administration site"),
    "admin.change": _("Changed in the administration site"),
    "admin.delete": _("Deleted in the administration site"),
}

FIELDS = {
    "state": _("state"),
    "number": _("number"),
    "customer": _("customer"),
    "payable": _("amount payable"),
    "lines": _("lines"),
    "paid": _("paid"),
    "amount_due": _("amount due"),
    "payment": _("payment no."),
    "amount": _("amount"),
    "date": _("date"),
    "method": _("payment method"),
    "reference": _("reference"),
    "reason": _("reason"),
    "reasons": _("reasons"),
    "detail": _("detail"),
    "credit_note": _("credit note"),
    "message_id": _("message"),
    "legal_hold": _("legal hold"),
}

_VALUES = {"state": dict(State.choices), "method": dict(PaymentMethod.choices)}


@dataclass(frozen=True)
class ShownEvent:
    at: object
    who: str
    action: str
    """The label, or the recorded code when it has none."""
    code: str
    details: list[tuple[str, str]]


def shown(event) -> ShownEvent:
    """One audit event as the history screen shows it."""
    details = []
    for key, recorded in (event.after or {}).items():
        if event.action.startswith("delivery.") and key == "state":
            continue  # the action already says it
        text = " ".join(map(str, recorded)) if isinstance(recorded, list) else recorded
        text = _VALUES.get(key, {}).get(text, text) if isinstance(text, str) else text
        details.append((str(FIELDS.get(key, key)), "—" if text in ("", None) else str(text)))
    return ShownEvent(at=event.at, who=event.actor_label, action=str(ACTIONS.get(event.action, event.action)),
                      code=event.action, details=details)
