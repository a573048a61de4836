"""Read a CrossDomainAcknowledgementAndResponse D22B life-cycle message into a CdarMessage.

The bytes go through the engine's hardened parser (no DTD, no entities, no network, size
capped). Anything that is not a one-invoice CDV message Facturier can act on is refused with
a CdarError saying why: malformed or hostile XML, another document, a missing invoice number
or status, a status code Facturier does not know, a date it cannot read.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from facturier.engine.cdar.model import (
    CdarError,
    CdarMessage,
    Characteristic,
    Party,
    ReferencedInvoice,
    StatusDetail,
    status_info,
)
from facturier.engine.errors import InputError, Message
from facturier.engine.xml import CDAR, QDT, RAM, UDT, Limits, parse_xml

__all__ = ["MAX_CDAR_BYTES", "parse", "parse_tree"]

MAX_CDAR_BYTES = 2 * 1024 * 1024
"""A life-cycle message is a few kilobytes; anything near this is not one."""
_LIMITS = Limits(max_bytes=MAX_CDAR_BYTES, max_text_chars=10_000, max_elements=20_000)

_R = f"{{{RAM}}}"
_U = f"{{{UDT}}}"
_Q = f"{{{QDT}}}"
_S = f"{{{CDAR}}}"
_ROOT = f"{_S}CrossDomainAcknowledgementAndResponse"


def _error(fr: str, en: str, detail: str | None = None) -> CdarError:
    return CdarError(Message(fr=fr, en=en), detail=detail)


def _text(el: etree._Element | None, path: str) -> str | None:
    if el is None:
        return None
    found = el.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _datetime(el: etree._Element | None, path: str, what: str) -> datetime | None:
    node = None if el is None else el.find(path)
    if node is None:
        return None
    value = (node.text or "").strip()
    fmt = node.get("format") or "204"
    try:
        if fmt == "204":
            return datetime.strptime(value, "%Y%m%d%H%M%S")
        if fmt == "102":
            return datetime.strptime(value, "%Y%m%d")
    except ValueError:
        pass
    raise _error(
        f"La date « {value} » ({what}) n'est pas lisible au format {fmt} : le message est refusé.",
        f"The date '{value}' ({what}) cannot be read in format {fmt}: the message is refused.",
        detail=f"{what}: {value!r} format {fmt}",
    )


def _date(el: etree._Element | None, path: str, what: str) -> date | None:
    value = _datetime(el, path, what)
    return value.date() if value else None


def _decimal(text: str | None, what: str) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise _error(
            f"Le nombre « {text} » ({what}) n'est pas lisible : le message est refusé.",
            f"The number '{text}' ({what}) cannot be read: the message is refused.",
            detail=f"{what}: {text!r}",
        )
    return value


def _party(el: etree._Element | None) -> Party | None:
    if el is None:
        return None
    gid = el.find(f"{_R}GlobalID")
    uri = el.find(f"{_R}URIUniversalCommunication/{_R}URIID")
    return Party(
        role=_text(el, f"{_R}RoleCode") or "",
        global_id=(gid.text or "").strip() or None if gid is not None else None,
        global_id_scheme=gid.get("schemeID") if gid is not None else None,
        name=_text(el, f"{_R}Name"),
        address=(uri.text or "").strip() or None if uri is not None else None,
        address_scheme=uri.get("schemeID") if uri is not None else None,
    )


def _indicator(el: etree._Element, path: str) -> bool | None:
    value = _text(el, path)
    return None if value is None else value.lower() == "true"


def _characteristic(el: etree._Element) -> Characteristic:
    amount = el.find(f"{_R}ValueAmount")
    return Characteristic(
        type_code=_text(el, f"{_R}TypeCode") or "",
        changed=_indicator(el, f"{_R}ValueChangedIndicator/{_U}IndicatorString"),
        id=_text(el, f"{_R}ID"),
        name=_text(el, f"{_R}Name"),
        location=_text(el, f"{_R}Location"),
        amount=_decimal((amount.text or "").strip() if amount is not None else None, "ValueAmount"),
        currency=amount.get("currencyID") if amount is not None else None,
        value_date=_date(el, f"{_R}ValueDateTime/{_U}DateTimeString", "ValueDateTime"),
        percent=_decimal(_text(el, f"{_R}ValuePercent"), "ValuePercent"),
    )


def _detail(el: etree._Element, position: int) -> StatusDetail:
    seq = _text(el, f"{_R}SequenceNumeric")
    try:
        sequence = int(Decimal(seq)) if seq is not None else position
    except (InvalidOperation, ValueError):
        sequence = position
    reason = el.find(f"{_R}Reason")
    action = el.find(f"{_R}RequestedAction")
    return StatusDetail(
        sequence=sequence,
        reason_code=_text(el, f"{_R}ReasonCode"),
        # The reason text as written (the official examples start one with a space).
        reason=reason.text if reason is not None and reason.text and reason.text.strip() else None,
        action_code=_text(el, f"{_R}RequestedActionCode"),
        action=action.text if action is not None and action.text and action.text.strip() else None,
        status_code=_text(el, f"{_R}ProcessConditionCode"),
        characteristics=tuple(_characteristic(c) for c in el.findall(f"{_R}SpecifiedDocumentCharacteristic")),
    )


def parse(data: bytes) -> CdarMessage:
    """The life-cycle message in ``data``; CdarError (with a French and English message) when it is not one."""
    try:
        root = parse_xml(data, limits=_LIMITS)
    except InputError as exc:
        raise _error(
            f"Le message de cycle de vie est illisible : {exc.message.fr}",
            f"The life-cycle message cannot be read: {exc.message.en}",
            detail=exc.detail,
        ) from None
    return parse_tree(root)


def parse_tree(root: etree._Element) -> CdarMessage:
    """Like ``parse``, on a tree already parsed by the engine's hardened parser."""
    if root.tag != _ROOT:
        local = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        raise _error(
            f"Ce document n'est pas un message de cycle de vie CDAR (élément racine {local}).",
            f"This document is not a CDAR life-cycle message (root element {local}).",
            detail=str(root.tag),
        )
    doc = root.find(f"{_S}ExchangedDocument")
    acks = root.findall(f"{_S}AcknowledgementDocument")
    if doc is None or not acks:
        raise _error(
            "Le message de cycle de vie est incomplet (ExchangedDocument ou AcknowledgementDocument absent).",
            "The life-cycle message is incomplete (ExchangedDocument or AcknowledgementDocument missing).",
        )
    if len(acks) > 1:
        raise _error(
            f"Le message porte {len(acks)} accusés (AcknowledgementDocument) : Facturier ne lit que les messages "
            "portant sur une seule facture. Demandez à la plateforme un message par facture.",
            f"The message holds {len(acks)} acknowledgements (AcknowledgementDocument): Facturier reads only "
            "messages about one invoice. Ask the platform for one message per invoice.",
        )
    ack = acks[0]
    refs = ack.findall(f"{_R}ReferenceReferencedDocument")
    if len(refs) != 1:
        raise _error(
            f"Le message porte sur {len(refs)} factures : Facturier ne lit que les messages portant sur une seule "
            "facture (MDT-74 à false). Demandez à la plateforme un message par facture.",
            f"The message is about {len(refs)} invoices: Facturier reads only messages about one invoice "
            "(MDT-74 false). Ask the platform for one message per invoice.",
        )
    ref = refs[0]
    number = _text(ref, f"{_R}IssuerAssignedID")
    code = _text(ref, f"{_R}ProcessConditionCode")
    if not number or not code:
        missing = "IssuerAssignedID (MDT-87)" if not number else "ProcessConditionCode (MDT-105)"
        raise _error(
            f"Le message de cycle de vie ne dit pas {'de quelle facture il s’agit' if not number else 'quel statut'}"
            f" ({missing} absent).",
            f"The life-cycle message does not say {'which invoice it is about' if not number else 'which status'}"
            f" ({missing} missing).",
            detail=missing,
        )
    status_info(code)  # unknown code: CdarError naming it

    message_id = _text(doc, f"{_R}ID")
    issued = _datetime(doc, f"{_R}IssueDateTime/{_U}DateTimeString", "MDT-8")
    status_at = _datetime(ack, f"{_R}IssueDateTime/{_U}DateTimeString", "MDT-78")
    if not message_id or issued is None:
        raise _error(
            "Le message de cycle de vie n'a pas d'identifiant ou de date (MDT-4, MDT-8).",
            "The life-cycle message has no id or date (MDT-4, MDT-8).",
        )
    seller = ref.find(f"{_R}IssuerTradeParty/{_R}GlobalID")
    return CdarMessage(
        message_id=message_id,
        issue_datetime=issued,
        status_datetime=status_at or issued,
        sender=_party(doc.find(f"{_R}SenderTradeParty")) or Party(""),
        issuer=_party(doc.find(f"{_R}IssuerTradeParty")) or Party(""),
        recipients=tuple(_party(r) for r in doc.findall(f"{_R}RecipientTradeParty")),
        invoice=ReferencedInvoice(
            number=number,
            status_code=code,
            issue_date=_date(ref, f"{_R}FormattedIssueDateTime/{_Q}DateTimeString", "MDT-100"),
            type_code=_text(ref, f"{_R}TypeCode"),
            seller_id=(seller.text or "").strip() or None if seller is not None else None,
            seller_id_scheme=seller.get("schemeID") if seller is not None else None,
            receipt_datetime=_datetime(ref, f"{_R}ReceiptDateTime/{_U}DateTimeString", "MDT-95"),
            status_label=_text(ref, f"{_R}ProcessCondition"),
            document_status=_text(ref, f"{_R}StatusCode"),
            reference_type_code=_text(ref, f"{_R}ReferenceTypeCode"),
            details=tuple(_detail(d, i) for i, d in enumerate(ref.findall(f"{_R}SpecifiedDocumentStatus"), 1)),
        ),
        type_code=_text(ack, f"{_R}TypeCode") or "",
        name=_text(doc, f"{_R}Name"),
        guideline=_text(root, f"{_S}ExchangedDocumentContext/{_R}GuidelineSpecifiedDocumentContextParameter/{_R}ID")
        or "",
        business_process=_text(
            root, f"{_S}ExchangedDocumentContext/{_R}BusinessProcessSpecifiedDocumentContextParameter/{_R}ID"
        ),
        multiple_references=bool(_indicator(ack, f"{_R}MultipleReferencesIndicator/{_U}Indicator")),
    )
