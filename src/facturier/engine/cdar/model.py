"""A life-cycle message (CDAR D22B, French CDV profile) as frozen values.

The shape follows the XML: one message (ExchangedDocument: id, dates, sender, issuer,
recipients) acknowledging one invoice (AcknowledgementDocument / ReferenceReferencedDocument:
the invoice, its status, the status details with reasons and amounts). The MDT numbers in
the docstrings are those the official examples and the BR-FR-CDV rules use.

``status_message`` builds the message a given status calls for, with the parties the
official examples show for it; ``CdarMessage`` can also be written field by field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from facturier.engine.cdar.codes import (
    GUIDELINE_CDV,
    GUIDELINE_PPF,
    PHASE_PROCESSING,
    PHASE_TRANSMISSION,
    REASONS,
    STATUSES,
    ReasonInfo,
    StatusInfo,
    next_step,
    reasons_for,
)
from facturier.engine.errors import InputError, Message

__all__ = [
    "PPF_ID",
    "PPF_ID_IN_PPF_COPY",
    "AmountCashed",
    "CdarError",
    "CdarMessage",
    "Characteristic",
    "Company",
    "Platform",
    "Party",
    "ReferencedInvoice",
    "StatusDetail",
    "local_time",
    "status_info",
    "status_message",
]

SCHEME_SIREN = "0002"
SCHEME_PLATFORM = "0238"
"""Scheme of the platform registration numbers (PA, and the PPF)."""
SCHEME_ADDRESS = "0225"
"""Scheme of French electronic addresses (addressing identifiers)."""
PPF_ID = "9998"
"""The tax administration's id as a recipient of the statuses it receives (official examples)."""
PPF_ID_IN_PPF_COPY = "0000"
"""Its id in the copy addressed to it alone (guideline einvoicingF2, BR-FR-CDV-02)."""

PARIS = ZoneInfo("Europe/Paris")


class CdarError(InputError):
    """A life-cycle message that cannot be read or written: malformed, not a CDAR, unknown status."""


def _error(fr: str, en: str, detail: str | None = None) -> CdarError:
    return CdarError(Message(fr=fr, en=en), detail=detail)


def status_info(code: str) -> StatusInfo:
    """The status of code ``code``; CdarError naming the code when Facturier does not know it."""
    info = STATUSES.get((code or "").strip())
    if info is None:
        known = ", ".join(STATUSES)
        raise _error(
            f"Le code statut « {code} » n'est pas un statut de cycle de vie connu (codes connus : {known}). "
            "Le message ne peut pas être pris en compte : vérifiez-le auprès de la plateforme qui l'a émis.",
            f"The status code '{code}' is not a known life-cycle status (known codes: {known}). The message "
            "cannot be applied: check it with the platform that sent it.",
            detail=f"status {code!r}",
        )
    return info


@dataclass(frozen=True, slots=True)
class Party:
    """A trade party of the message (sender MDG-9, issuer, recipients) or of the invoice."""

    role: str
    """Role code (MDT-21 / MDT-40 / MDT-59): SE seller, BY buyer, WK platform, DFH tax administration…"""
    global_id: str | None = None
    """MDT-38 / MDT-57: SIREN (scheme 0002) of a company, platform number (0238) of a PA or the PPF."""
    global_id_scheme: str | None = None
    name: str | None = None
    """MDT-39 / MDT-58 Raison sociale."""
    address: str | None = None
    """MDT-73 electronic address (URIID), e.g. "100000009_STATUTS"."""
    address_scheme: str | None = None
    """Scheme of the address: 0225 for a French addressing identifier (may be absent)."""

    @property
    def siren(self) -> str | None:
        return self.global_id if self.global_id_scheme == SCHEME_SIREN else None


@dataclass(frozen=True, slots=True)
class Characteristic:
    """MDG-43 a characteristic of the status: an amount cashed, a disputed value…"""

    type_code: str
    """MDT-207: MEN amount cashed (212), MPA amount paid (211), DIV/DVA disputed/expected value…"""
    changed: bool | None = None
    """MDT-209 ValueChangedIndicator."""
    id: str | None = None
    """The invoice field concerned, e.g. "BT-152"."""
    name: str | None = None
    location: str | None = None
    """XPath of the field in the invoice."""
    amount: Decimal | None = None
    """MDT-215 amount."""
    currency: str | None = None
    value_date: date | None = None
    """The date of the value (format 102), e.g. the payment date of a 211."""
    percent: Decimal | None = None
    """MDT-224 percentage, e.g. the VAT rate of an amount cashed."""


@dataclass(frozen=True, slots=True)
class StatusDetail:
    """MDG-37 a status detail: reason, requested action, characteristics."""

    sequence: int = 1
    """MDT-124-2 SequenceNumeric (mandatory, BR-FR-CDV-16)."""
    reason_code: str | None = None
    """MDT-113 reason code (closed list, BR-FR-CDV-CL-09)."""
    reason: str | None = None
    """The reason in words."""
    action_code: str | None = None
    """MDT-121 requested action (BR-FR-CDV-CL-10): NIN corrective invoice, CNF full credit note…"""
    action: str | None = None
    status_code: str | None = None
    """MDT-115 a status of this detail, when it differs from the message's."""
    characteristics: tuple[Characteristic, ...] = ()


@dataclass(frozen=True, slots=True)
class AmountCashed:
    """The amount cashed at one VAT rate (a 212 Encaissée message carries one per rate)."""

    vat_rate: Decimal
    amount: Decimal
    currency: str = "EUR"


@dataclass(frozen=True, slots=True)
class ReferencedInvoice:
    """ReferenceReferencedDocument: the invoice whose status the message gives, and that status."""

    number: str
    """MDT-87 the invoice number (BT-1)."""
    status_code: str
    """MDT-105 the life-cycle status (200 … 228, 501)."""
    issue_date: date | None = None
    """MDT-100 the invoice date (BT-2); absent only for 501 Irrecevable (BR-FR-CDV-11)."""
    type_code: str | None = None
    """MDT-91 the invoice type (BT-3): 380 invoice, 381 credit note…"""
    seller_id: str | None = None
    """MDT-129 the seller's legal id (BT-30, SIREN); absent only for 501 (BR-FR-CDV-13)."""
    seller_id_scheme: str | None = SCHEME_SIREN
    receipt_datetime: datetime | None = None
    """MDT-95 when the invoice was deposited (issuer side) or received (recipient side)."""
    status_label: str | None = None
    """MDT-106 the status in words, as written ("Mise_à_disposition")."""
    document_status: str | None = None
    """MDT-88 UNCL 1373 document status (optional)."""
    reference_type_code: str | None = None
    """MDT-97, set in the copy for the PPF (einvoicingF2)."""
    details: tuple[StatusDetail, ...] = ()


@dataclass(frozen=True, slots=True)
class CdarMessage:
    """One life-cycle message about one invoice."""

    message_id: str
    """MDT-4 the message id (unique per sender)."""
    issue_datetime: datetime
    """MDT-8 when the message was created (written as local French time, format 204)."""
    status_datetime: datetime
    """MDT-78 when the status was set."""
    sender: Party
    """MDG-9 who sends the message (role MDT-21: WK, a platform, in practice)."""
    issuer: Party
    """Who sets the status (MDT-40 role): WK for 305 statuses, SE/BY… with its SIREN for 23."""
    recipients: tuple[Party, ...]
    """MDT-57… who receives it: the other party, the seller's status address, the PPF (DFH)."""
    invoice: ReferencedInvoice
    type_code: str = PHASE_PROCESSING
    """MDT-77 305 (transmission, set by a platform) or 23 (processing, set by a party)."""
    name: str | None = None
    """MDT-5 the message's name."""
    guideline: str = GUIDELINE_CDV
    """MDT-3 profile: the CDV guideline, or the PPF copy's (einvoicingF2)."""
    business_process: str | None = "REGULATED"
    """MDT-2 billing framework: REGULATED, NON_REGULATED, B2C, B2CINT, B2BINT, OUTOFSCOPE (absent for the PPF)."""
    multiple_references: bool = False
    """MDT-74 false: one invoice per message (the only form Facturier writes or reads)."""

    # --- the flat view the application uses -------------------------------------------

    @property
    def status_code(self) -> str:
        return self.invoice.status_code

    @property
    def status(self) -> StatusInfo:
        return status_info(self.invoice.status_code)

    @property
    def reason_code(self) -> str | None:
        return next((d.reason_code for d in self.invoice.details if d.reason_code), None)

    @property
    def reason_text(self) -> str | None:
        """The reason as the message words it (stripped), else None."""
        return next(((d.reason or "").strip() or None for d in self.invoice.details if d.reason), None)

    @property
    def reason(self) -> ReasonInfo | None:
        """The reason code's entry in REASONS (None when absent or not in the list)."""
        return REASONS.get(self.reason_code or "")

    def next_step(self) -> Message | None:
        """What the seller should do about this status (``codes.next_step``), or None."""
        return next_step(self.invoice.status_code, self.reason_code, self.action_code)

    @property
    def action_code(self) -> str | None:
        return next((d.action_code for d in self.invoice.details if d.action_code), None)

    @property
    def amounts_cashed(self) -> tuple[AmountCashed, ...]:
        """The MEN characteristics (212 Encaissée): amount cashed per VAT rate."""
        return tuple(
            AmountCashed(c.percent, c.amount, c.currency or "EUR")
            for d in self.invoice.details
            for c in d.characteristics
            if c.type_code == "MEN" and c.amount is not None and c.percent is not None
        )

    @property
    def seller_siren(self) -> str | None:
        if self.invoice.seller_id and self.invoice.seller_id_scheme in (SCHEME_SIREN, None):
            return self.invoice.seller_id
        return self._siren_of("SE")

    @property
    def buyer_siren(self) -> str | None:
        return self._siren_of("BY")

    @property
    def to_tax_authority(self) -> bool:
        """The message has the tax administration (DFH) among its recipients."""
        return any(r.role == "DFH" for r in self.recipients)

    def _siren_of(self, role: str) -> str | None:
        for p in (self.issuer, *self.recipients, self.sender):
            if p.role == role and p.siren:
                return p.siren
        return None


# --- building the message a status calls for --------------------------------------------------


@dataclass(frozen=True, slots=True)
class Company:
    """A company a message names: SIREN, name, and the address its statuses go to."""

    siren: str
    name: str | None = None
    status_address: str | None = None
    """Its electronic address for statuses (scheme 0225); default "<SIREN>_STATUTS" for a seller,
    the SIREN for a buyer, as in the official examples."""


@dataclass(frozen=True, slots=True)
class Platform:
    """A platform (PA) that sends messages: its registration number (scheme 0238) and name."""

    id: str | None = None
    name: str | None = None


_BY_PLATFORM = frozenset({"200", "201", "202", "203", "213", "221", "501"})
_BY_SELLER = frozenset({"209", "212", "220", "225", "226", "227", "228"})


def _party(company: Company, role: str, *, address: str | None = None, scheme: str | None = None,
           with_address: bool = True) -> Party:
    return Party(
        role=role,
        global_id=company.siren,
        global_id_scheme=SCHEME_SIREN,
        name=company.name,
        address=(address if with_address else None),
        address_scheme=(scheme if with_address else None),
    )


def _seller_recipient(seller: Company) -> Party:
    return _party(seller, "SE", address=seller.status_address or f"{seller.siren}_STATUTS", scheme="0225")


def _buyer_recipient(buyer: Company, *, scheme: str | None) -> Party:
    return _party(buyer, "BY", address=buyer.status_address or buyer.siren, scheme=scheme)


def _stamp(value: datetime) -> str:
    return value.strftime("%Y%m%d%H%M%S")


def local_time(value: datetime) -> datetime:
    """``value`` as naive French local time (how format 204 writes a moment); naive values are kept."""
    return value.astimezone(PARIS).replace(tzinfo=None) if value.tzinfo else value


def status_message(
    *,
    status: str,
    invoice_number: str,
    invoice_date: date | None,
    seller: Company,
    buyer: Company | None = None,
    at: datetime,
    invoice_type: str = "380",
    issued_by: str | None = None,
    platform: Platform | None = None,
    received_at: datetime | None = None,
    reason_code: str | None = None,
    reason: str | None = None,
    action_code: str | None = None,
    action: str | None = None,
    amounts_cashed: Iterable[AmountCashed] = (),
    for_ppf: bool = False,
    message_id: str | None = None,
    created_at: datetime | None = None,
    business_process: str = "REGULATED",
) -> CdarMessage:
    """The message that gives ``status`` to an invoice, with the parties the official examples show.

    ``issued_by`` is the role of who sets the status: "WK" (the platform) for the transmission
    statuses (200–203, 213, 221, 501), "SE" for the seller's (209, 212, 220, 225–228), "BY" for
    the buyer's (the others); given, it wins. Recipients: the seller's status address for what
    the platform or the buyer sets, the buyer for what the seller sets and for 202/203, and the
    tax administration (DFH) for the statuses it receives (200, 210, 212, 213).
    ``for_ppf`` builds the copy addressed to the tax administration's portal alone
    (guideline einvoicingF2). Times are written as French local time; ``received_at``
    (MDT-95) defaults to ``at``, ``created_at`` (MDT-8) to ``at``.

    Raises CdarError for an unknown status, a missing reason where one is required or a
    reason the status does not accept, and a 212 without amounts.
    """
    info = status_info(status)
    role = issued_by or ("WK" if status in _BY_PLATFORM else "SE" if status in _BY_SELLER else "BY")
    if info.reason_required and not reason_code:
        raise _error(
            f"Le statut {info.code} ({info.name_fr}) exige un motif : choisissez-en un.",
            f"Status {info.code} ({info.name_en}) requires a reason: choose one.",
            detail=f"status {status} without reason",
        )
    if reason_code is not None:
        b2g = bool(platform and platform.id == "9999")
        if reason_code not in {r.code for r in reasons_for(status, b2g=b2g)}:
            raise _error(
                f"Le motif « {reason_code} » n'est pas accepté pour le statut {info.code} ({info.name_fr}).",
                f"The reason '{reason_code}' is not accepted for status {info.code} ({info.name_en}).",
                detail=f"reason {reason_code} for {status}",
            )
    cashed = tuple(amounts_cashed)
    if status == "212" and not cashed:
        raise _error(
            "Le statut 212 (Encaissée) doit indiquer le montant encaissé par taux de TVA.",
            "Status 212 (Payment received) must give the amount cashed per VAT rate.",
            detail="212 without amounts",
        )
    at = local_time(at)
    received = local_time(received_at) if received_at else at
    created = local_time(created_at) if created_at else at
    plat = platform or Platform()
    platform_party = Party("WK", plat.id, SCHEME_PLATFORM if plat.id else None, plat.name)

    if role == "WK":
        issuer = platform_party if for_ppf else Party("WK")
    else:
        company = seller if role == "SE" else buyer
        if company is None:
            raise _error(
                f"Le statut {info.code} est émis par l'acheteur : son SIREN est nécessaire.",
                f"Status {info.code} is set by the buyer: the buyer's SIREN is needed.",
                detail="buyer missing",
            )
        issuer = _party(company, role, with_address=False)

    if for_ppf:
        recipients: tuple[Party, ...] = (Party("DFH", PPF_ID_IN_PPF_COPY, SCHEME_PLATFORM, "PPF"),)
        sender = platform_party
    else:
        sender = platform_party
        out: list[Party] = []
        if role != "SE":
            out.append(_seller_recipient(seller))
        if buyer is not None and (role == "SE" or status in ("202", "203")):
            # The buyer's address carries scheme 0225 when the seller writes to it (official 212 example),
            # none when the platform does (202, 203).
            out.append(_buyer_recipient(buyer, scheme="0225" if role == "SE" else None))
        if info.to_tax_authority:
            out.append(Party("DFH", PPF_ID, SCHEME_PLATFORM, "PPF"))
        recipients = tuple(out)

    details: list[StatusDetail] = []
    if reason_code or action_code or cashed or reason:
        characteristics = tuple(
            Characteristic("MEN", changed=False, amount=c.amount, currency=c.currency, percent=c.vat_rate)
            for c in cashed
        )
        if reason_code and reason is None:
            reason = REASONS[reason_code].text_fr
        details.append(
            StatusDetail(1, reason_code, reason, action_code, action, None, characteristics)
        )
    day = invoice_date.strftime("%Y%m%d") if invoice_date else ""
    default_id = f"{invoice_number}_{status}_{_stamp(at)}" + (f"#{invoice_type}_{day}" if day else "")
    return CdarMessage(
        message_id=message_id or default_id,
        issue_datetime=created,
        status_datetime=at,
        sender=sender,
        issuer=issuer,
        recipients=recipients,
        invoice=ReferencedInvoice(
            number=invoice_number,
            status_code=status,
            issue_date=invoice_date,
            type_code=invoice_type,
            seller_id=seller.siren,
            seller_id_scheme=SCHEME_SIREN,
            receipt_datetime=received,
            status_label=info.label,
            document_status=info.document_status,
            reference_type_code=GUIDELINE_PPF if for_ppf else None,
            details=tuple(details),
        ),
        type_code=PHASE_TRANSMISSION if role == "WK" else PHASE_PROCESSING,
        name=f"CDV-{status}_{info.label}_{invoice_number}",
        guideline=GUIDELINE_PPF if for_ppf else GUIDELINE_CDV,
        business_process=None if for_ppf else business_process,
    )

