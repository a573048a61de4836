"""The life-cycle messages (CDAR, CDV profile) the simulated platform emits for a submitted invoice.

Written after the official CDAR examples (conformance/fr-ctc-1.4.0.03/cdar-examples): one referenced
invoice, its status code and label, and for the statuses that need one a reason code and text. When
`facturier.engine.cdar` is present its `build` is used instead (the project's own CDAR writer)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from xml.sax.saxutils import escape

NAMES_FR = {
    "200": "Déposée", "201": "Émise par la plateforme", "202": "Reçue par la plateforme", "203": "Mise à disposition",
    "204": "Prise en charge", "205": "Approuvée", "206": "Approuvée partiellement", "207": "En litige",
    "208": "Suspendue", "209": "Complétée", "210": "Refusée", "211": "Paiement transmis", "212": "Encaissée",
    "213": "Rejetée", "214": "Visée", "220": "Annulée", "221": "Erreur de routage", "501": "Irrecevable",
}
# who issues each status in the simulation: the platform (WK) or the buyer (BY)
_BUYER_STATUSES = {"204", "205", "206", "207", "208", "210", "211"}


@dataclass
class StatusEvent:
    status: str
    invoice_number: str
    invoice_issue_date: str  # YYYYMMDD
    invoice_type_code: str
    seller_siren: str
    seller_name: str
    buyer_siren: str
    buyer_name: str
    reason_code: str = ""
    reason: str = ""
    received_at: dt.datetime | None = None


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")


def build(event: StatusEvent, *, now: dt.datetime | None = None) -> bytes:
    now = now or dt.datetime.now(dt.UTC)
    try:
        from facturier.platforms.simulator.cdar_engine import build_with_engine
    except ImportError:
        build_with_engine = None
    if build_with_engine is not None:
        built = build_with_engine(event, now=now)
        if built is not None:
            return built
    return _template(event, now)


def _party(tag: str, siren: str, name: str, role: str, *, address: str = "") -> str:
    ident = f'<ram:GlobalID schemeID="0002">{escape(siren)}</ram:GlobalID>' if siren else ""
    uri = (f'<ram:URIUniversalCommunication><ram:URIID schemeID="0225">{escape(address)}</ram:URIID>'
           f"</ram:URIUniversalCommunication>") if address else ""
    return (f"<ram:{tag}>{ident}<ram:Name>{escape(name or siren or 'PA')}</ram:Name>"
            f"<ram:RoleCode>{role}</ram:RoleCode>{uri}</ram:{tag}>")


def _template(e: StatusEvent, now: dt.datetime) -> bytes:
    by_buyer = e.status in _BUYER_STATUSES
    issuer = _party("IssuerTradeParty", e.buyer_siren if by_buyer else "", e.buyer_name if by_buyer
                    else "PA simulator", "BY" if by_buyer else "WK")
    recipient = _party("RecipientTradeParty", e.seller_siren, e.seller_name, "SE",
                       address=f"{e.seller_siren}_STATUTS" if e.seller_siren else "")
    received = _stamp(e.received_at or now)
    reason = ""
    if e.reason_code or e.reason:
        reason = ("<ram:SpecifiedDocumentStatus>"
                  + (f"<ram:ReasonCode>{escape(e.reason_code)}</ram:ReasonCode>" if e.reason_code else "")
                  + (f"<ram:Reason>{escape(e.reason[:500])}</ram:Reason>" if e.reason else "")
                  + "<ram:SequenceNumeric>1</ram:SequenceNumeric></ram:SpecifiedDocumentStatus>")
    doc_id = f"{e.invoice_number}_{e.status}_{_stamp(now)}#{e.invoice_type_code}_{e.invoice_issue_date}"
    issued = escape(e.invoice_issue_date or now.strftime("%Y%m%d"))
    label = NAMES_FR.get(e.status, e.status).replace(" ", "_")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossDomainAcknowledgementAndResponse xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100" \
xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100" \
xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" \
xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100">
<rsm:ExchangedDocumentContext>
<ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>REGULATED</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter>
<ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn.cpro.gouv.fr:1p0:CDV:invoice</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
</rsm:ExchangedDocumentContext>
<rsm:ExchangedDocument>
<ram:ID>{escape(doc_id)}</ram:ID>
<ram:Name>CDV-{e.status}_{escape(label)}</ram:Name>
<ram:IssueDateTime><udt:DateTimeString format="204">{_stamp(now)}</udt:DateTimeString></ram:IssueDateTime>
<ram:SenderTradeParty><ram:RoleCode>WK</ram:RoleCode></ram:SenderTradeParty>
{issuer}
{recipient}
</rsm:ExchangedDocument>
<rsm:AcknowledgementDocument>
<ram:MultipleReferencesIndicator><udt:Indicator>false</udt:Indicator></ram:MultipleReferencesIndicator>
<ram:TypeCode>23</ram:TypeCode>
<ram:IssueDateTime><udt:DateTimeString format="204">{_stamp(now)}</udt:DateTimeString></ram:IssueDateTime>
<ram:ReferenceReferencedDocument>
<ram:IssuerAssignedID>{escape(e.invoice_number or "UNKNOWN")}</ram:IssuerAssignedID>
<ram:StatusCode>1</ram:StatusCode>
<ram:TypeCode>{escape(e.invoice_type_code or "380")}</ram:TypeCode>
<ram:ReceiptDateTime><udt:DateTimeString format="204">{received}</udt:DateTimeString></ram:ReceiptDateTime>
<ram:FormattedIssueDateTime><qdt:DateTimeString format="102">{issued}</qdt:DateTimeString>\
</ram:FormattedIssueDateTime>
<ram:ProcessConditionCode>{e.status}</ram:ProcessConditionCode>
<ram:ProcessCondition>{escape(label)}</ram:ProcessCondition>
<ram:IssuerTradeParty><ram:GlobalID schemeID="0002">{escape(e.seller_siren or "000000000")}</ram:GlobalID>\
</ram:IssuerTradeParty>
{reason}
</ram:ReferenceReferencedDocument>
</rsm:AcknowledgementDocument>
</rsm:CrossDomainAcknowledgementAndResponse>
""".encode()
