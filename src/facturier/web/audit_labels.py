"""The audit trail as a reader sees it: actions and their details named in the screen's language.

Events keep their technical codes: they are evidence, and their wording must not change with a
translation. This only decides how the document history shows them; an action or a detail not
named here is shown as recorded.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext_lazy as _

from facturier.errors import localized
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
AMOUNTS = {"payable", "paid", "amount_due", "amount", "credited", "written_off"}
"""Details recorded as decimal text ("1234.5"): shown as amounts in the screen's language (1 234,50)."""
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _value(key: str, text: str):
    """A recorded value as the reader's language writes it: states and methods named, amounts, dates and
    moments (in the organisation's time zone) formatted; anything else as recorded."""
    if key in _VALUES:
        return _VALUES[key].get(text, text)
    try:
        if key in AMOUNTS:
            return formats.number_format(Decimal(text), decimal_pos=2, use_l10n=True, force_grouping=True)
        if _ISO_DATE.match(text):
            return localized(dt.date.fromisoformat(text))
        if _ISO_MOMENT.match(text):
            return localized(dt.datetime.fromisoformat(text))
    except (ValueError, ArithmeticError):
        pass
    return text


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
        text = _value(key, text) if isinstance(text, str) else text
        details.append((str(FIELDS.get(key, key)), "—" if text in ("", None) else str(text)))
    return ShownEvent(at=event.at, who=event.actor_label, action=str(ACTIONS.get(event.action, event.action)),
                      code=event.action, details=details)
