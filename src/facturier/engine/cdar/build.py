"""Write a CdarMessage as a CrossDomainAcknowledgementAndResponse D22B document (CDV profile).

Elements follow the sequence of the D22B XSD (ExchangedDocumentContext, ExchangedDocument,
AcknowledgementDocument with one ReferenceReferencedDocument); what the message does not
hold is not written. Dates and times use the formats of the official examples: 204
(YYYYMMDDHHMMSS, French local time) and 102 (YYYYMMDD).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from facturier.engine.cdar.model import CdarMessage, Characteristic, Party, StatusDetail, local_time, status_info
from facturier.engine.xml import CDAR, QDT, RAM, UDT

__all__ = ["build"]

_NSMAP = {"rsm": CDAR, "qdt": QDT, "ram": RAM, "udt": UDT}
_R = f"{{{RAM}}}"
_U = f"{{{UDT}}}"
_Q = f"{{{QDT}}}"
_S = f"{{{CDAR}}}"


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, attrs) if attrs else etree.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def _opt(parent: etree._Element, tag: str, text: str | None, **attrs: str | None) -> None:
    if text is not None and text != "":
        _el(parent, tag, text, **{k: v for k, v in attrs.items() if v})


def _dt204(parent: etree._Element, tag: str, value: datetime | None) -> None:
    if value is not None:
        _el(_el(parent, tag), f"{_U}DateTimeString", local_time(value).strftime("%Y%m%d%H%M%S"), format="204")


def _d102(value: date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def _amount(value: Decimal) -> str:
    return format(value, "f")


def _percent(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")) if value == value.quantize(Decimal("0.01")) else value, "f")


def _party(parent: etree._Element, tag: str, party: Party) -> None:
    el = _el(parent, tag)
    _opt(el, f"{_R}GlobalID", party.global_id, schemeID=party.global_id_scheme)
    _opt(el, f"{_R}Name", party.name)
    _opt(el, f"{_R}RoleCode", party.role)
    if party.address:
        _opt(_el(el, f"{_R}URIUniversalCommunication"), f"{_R}URIID", party.address, schemeID=party.address_scheme)


def _characteristic(parent: etree._Element, c: Characteristic) -> None:
    el = _el(parent, f"{_R}SpecifiedDocumentCharacteristic")
    _opt(el, f"{_R}ID", c.id)
    _opt(el, f"{_R}TypeCode", c.type_code)
    if c.changed is not None:
        _el(_el(el, f"{_R}ValueChangedIndicator"), f"{_U}IndicatorString", "true" if c.changed else "false")
    _opt(el, f"{_R}Name", c.name)
    _opt(el, f"{_R}Location", c.location)
    if c.amount is not None:
        _opt(el, f"{_R}ValueAmount", _amount(c.amount), currencyID=c.currency)
    if c.value_date is not None:
        _el(_el(el, f"{_R}ValueDateTime"), f"{_U}DateTimeString", _d102(c.value_date), format="102")
    if c.percent is not None:
        _el(el, f"{_R}ValuePercent", _percent(c.percent))


def _detail(parent: etree._Element, d: StatusDetail) -> None:
    el = _el(parent, f"{_R}SpecifiedDocumentStatus")
    _opt(el, f"{_R}ReasonCode", d.reason_code)
    _opt(el, f"{_R}Reason", d.reason)
    _opt(el, f"{_R}ProcessConditionCode", d.status_code)
    _opt(el, f"{_R}RequestedActionCode", d.action_code)
    _opt(el, f"{_R}RequestedAction", d.action)
    _el(el, f"{_R}SequenceNumeric", str(d.sequence))
    for c in d.characteristics:
        _characteristic(el, c)


def build(msg: CdarMessage) -> bytes:
    """The message as UTF-8 XML bytes (with declaration). CdarError for an unknown status code."""
    info = status_info(msg.invoice.status_code)
    root = etree.Element(f"{_S}CrossDomainAcknowledgementAndResponse", nsmap=_NSMAP)

    ctx = _el(root, f"{_S}ExchangedDocumentContext")
    if msg.business_process:
        _el(_el(ctx, f"{_R}BusinessProcessSpecifiedDocumentContextParameter"), f"{_R}ID", msg.business_process)
    _el(_el(ctx, f"{_R}GuidelineSpecifiedDocumentContextParameter"), f"{_R}ID", msg.guideline)

    doc = _el(root, f"{_S}ExchangedDocument")
    _el(doc, f"{_R}ID", msg.message_id)
    _opt(doc, f"{_R}Name", msg.name)
    _dt204(doc, f"{_R}IssueDateTime", msg.issue_datetime)
    _party(doc, f"{_R}SenderTradeParty", msg.sender)
    _party(doc, f"{_R}IssuerTradeParty", msg.issuer)
    for r in msg.recipients:
        _party(doc, f"{_R}RecipientTradeParty", r)

    ack = _el(root, f"{_S}AcknowledgementDocument")
    _el(_el(ack, f"{_R}MultipleReferencesIndicator"), f"{_U}Indicator", "true" if msg.multiple_references else "false")
    _el(ack, f"{_R}TypeCode", msg.type_code)
    _dt204(ack, f"{_R}IssueDateTime", msg.status_datetime)

    inv = msg.invoice
    ref = _el(ack, f"{_R}ReferenceReferencedDocument")
    _el(ref, f"{_R}IssuerAssignedID", inv.number)
    _opt(ref, f"{_R}StatusCode", inv.document_status)
    _opt(ref, f"{_R}TypeCode", inv.type_code)
    _dt204(ref, f"{_R}ReceiptDateTime", inv.receipt_datetime)
    _opt(ref, f"{_R}ReferenceTypeCode", inv.reference_type_code)
    if inv.issue_date is not None:
        _el(_el(ref, f"{_R}FormattedIssueDateTime"), f"{_Q}DateTimeString", _d102(inv.issue_date), format="102")
    _el(ref, f"{_R}ProcessConditionCode", info.code)
    _opt(ref, f"{_R}ProcessCondition", inv.status_label or info.label)
    if inv.seller_id:
        _opt(_el(ref, f"{_R}IssuerTradeParty"), f"{_R}GlobalID", inv.seller_id, schemeID=inv.seller_id_scheme)
    for d in inv.details:
        _detail(ref, d)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
