"""The one rule gate before a document is issued: the check the editor shows is the check that refuses.

`issue_report` runs the engine's EN 16931 and French rules (the fast model-level rules, about
0.2 ms) on the document exactly as it will be issued (its number, its issue date, its parties
as of that date), plus the rules of the seller's VAT regime and, for a customer whose documents
leave as XRechnung, what XRechnung requires beyond EN 16931 (buyer reference, seller contact,
payment). `document_issue` refuses a document whose report has a fatal finding, whoever calls
it: the issue screen, the dashboard's batch, the admin action, "send, issuing drafts first", the
API or a worker.
"""

from __future__ import annotations

import dataclasses

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import VatRegime
from facturier.engine.en16931.codes import VatCategory
from facturier.engine.en16931.model import Invoice
from facturier.engine.en16931.rules import check_rules
from facturier.engine.errors import Message
from facturier.engine.validation.report import Finding, Report, Severity
from facturier.errors import FacturierError
from facturier.invoicing.mapping import document_to_invoice
from facturier.invoicing.models import Document

FRANCHISE_RULE = "FR-293B"
"""Our rule id for the VAT franchise (art. 293 B du CGI): no line or charge may carry VAT."""
FRANCHISE_REASON = "TVA non applicable, art. 293 B du CGI"
FRANCHISE_CODE = "VATEX-FR-FRANCHISE"
SHOWN_FINDINGS = 5
FATAL_IN_WHAT_WE_WRITE = frozenset({"BR-FR-CO-10"})
"""Rules the model reports as warnings because one syntax tolerates the case (an identifier without
scheme is fatal in UBL, ignored in CII). Facturier writes both syntaxes, so at issue they are fatal."""


class RulesRefused(FacturierError):
    """The document breaks rules it must pass before it is issued; `report` holds every finding."""

    code = "rules_refused"

    def __init__(self, document_label: str, report: Report):
        self.report = report
        self.document_label = document_label
        super().__init__(_("%(document)s cannot be issued: it breaks %(rules)s."), document=document_label,
                         rules=", ".join(sorted(report.fatal_rule_ids)))

    @property
    def rule_ids(self) -> frozenset[str]:
        return self.report.fatal_rule_ids

    @property
    def message(self) -> str:
        """The refusal and the first findings, each in the active language (French or English)."""
        language = get_language() or "fr"
        fatal = self.report.fatal
        details = [f"{f.rule} : {f.message.in_language(language)}" if language.startswith("fr")
                   else f"{f.rule}: {f.message.in_language(language)}" for f in fatal[:SHOWN_FINDINGS]]
        if len(fatal) > SHOWN_FINDINGS:
            details.append(str(_("and %(n)d more.") % {"n": len(fatal) - SHOWN_FINDINGS}))
        return " ".join([super().message, *details])


def _carries_vat(category: str, rate) -> bool:
    return category in (VatCategory.S.value, VatCategory.L.value, VatCategory.M.value) or bool(rate and rate > 0)


def regime_findings(document: Document, seller: dict) -> list[Finding]:
    """The rules of the seller's VAT regime: under the franchise en base, nothing carries VAT."""
    if seller.get("vat_regime") != VatRegime.FRANCHISE:
        return []
    out = []
    rows = [(f"lines[{line.position}]", line.vat_category, line.vat_rate) for line in document.lines.all()]
    rows += [(f"allowances_charges[{i + 1}]", ac.vat_category, ac.vat_rate)
             for i, ac in enumerate(document.allowances_charges.all())]
    for path, category, rate in rows:
        if _carries_vat(category, rate):
            out.append(Finding(
                rule=FRANCHISE_RULE, severity=Severity.FATAL, path=path, source="regime",
                message=Message(
                    fr=f"{path} porte de la TVA ({category} {rate or 0} %), or l'organisation est en franchise "
                       f"en base de TVA (art. 293 B du CGI) : elle ne facture pas de TVA. Choisissez la catégorie "
                       f"E avec le motif « {FRANCHISE_REASON} ».",
                    en=f"{path} carries VAT ({category} {rate or 0} %), but the organisation is under the VAT "
                       f"franchise (art. 293 B du CGI): it charges no VAT. Choose category E with the reason "
                       f"“{FRANCHISE_REASON}”.")))
    return out


def _xrechnung_finding(rule: str, path: str, fr: str, en: str) -> Finding:
    return Finding(rule=rule, severity=Severity.FATAL, path=path, source="xrechnung", message=Message(fr=fr, en=en))


def xrechnung_findings(invoice: Invoice, document: Document) -> list[Finding]:
    """What XRechnung (BR-DE-*) requires beyond EN 16931, when the customer's documents leave as XRechnung:
    a document issued without it could never be sent to that customer (the frozen invoice cannot change)."""
    if not document.customer.receives_xrechnung:
        return []
    out = []
    if not invoice.buyer_reference:
        out.append(_xrechnung_finding(
            "BR-DE-15", "buyer_reference",
            f"{document.customer.name} reçoit ses factures au format XRechnung, qui exige une référence acheteur "
            "(BT-10, le Leitweg-ID d'un acheteur public allemand) : saisissez-la dans la facture, ou comme "
            "référence par défaut dans la fiche du client.",
            f"{document.customer.name} receives its invoices as XRechnung, which requires a buyer reference "
            "(BT-10, the Leitweg-ID of a German public buyer): enter it on the document, or as the default "
            "reference on the customer's record."))
    contact = invoice.seller.contact
    for rule, value, fr, en in (
            ("BR-DE-5", contact and contact.name, "le contact de facturation (BT-41)", "the invoicing contact (BT-41)"),
            ("BR-DE-6", contact and contact.phone, "le téléphone (BT-42)", "the phone (BT-42)"),
            ("BR-DE-7", contact and contact.email, "l'e-mail (BT-43)", "the e-mail (BT-43)")):
        if not value:
            out.append(_xrechnung_finding(
                rule, "seller.contact",
                f"XRechnung exige {fr} du vendeur : complétez les données légales de l'organisation.",
                f"XRechnung requires {en} of the seller: complete the organisation's legal data."))
    if invoice.payment is None:
        out.append(_xrechnung_finding(
            "BR-DE-1", "payment",
            "XRechnung exige les instructions de paiement (BG-16) : saisissez l'IBAN dans les données légales "
            "de l'organisation.",
            "XRechnung requires the payment instructions (BG-16): enter the IBAN in the organisation's legal data."))
    return out


def chorus_findings(invoice: Invoice, document: Document) -> list[Finding]:
    """What a public buyer's Chorus Pro structure requires (service code, engagement number), when the Chorus
    Pro app is installed: an invoice issued without it could never be deposited."""
    from django.apps import apps

    if not apps.is_installed("facturier.platforms.chorus"):
        return []
    from facturier.platforms.chorus.rules import issue_findings

    return issue_findings(invoice, document)


def _checked(invoice: Invoice, document: Document) -> Report:
    seller = document.seller_snapshot or {"vat_regime": document.organisation.vat_regime}
    report = check_rules(invoice, french=True)
    findings = tuple(dataclasses.replace(f, severity=Severity.FATAL) if f.rule in FATAL_IN_WHAT_WE_WRITE else f
                     for f in report.findings)
    checks = (*report.checks, "regime", *(("xrechnung",) if document.customer.receives_xrechnung else ()))
    extra = [*regime_findings(document, seller), *xrechnung_findings(invoice, document),
             *chorus_findings(invoice, document)]
    return Report(findings + tuple(extra), checks)


def _invoice(document: Document, number: str | None) -> Invoice:
    invoice = document_to_invoice(document)
    if number is not None and not invoice.number:
        invoice = dataclasses.replace(invoice, number=number)
    return invoice


def issue_report(document: Document, *, number: str | None = None) -> Report:
    """Every rule the document must pass to be issued, on the document as it will be issued.

    A draft not yet numbered is checked with `number` (the number it would take), so only real
    problems show; the service calls this with the issue date and the snapshots already set.
    """
    return _checked(_invoice(document, number), document)


@dataclasses.dataclass(frozen=True, slots=True)
class Checked:
    """A document that passed the gate, and the engine invoice it passed as."""

    document: Document
    invoice: Invoice


def require_issuable(document: Document, *, label: str, number: str | None = None) -> Checked:
    """The gate: the document as it will be issued (numbered `number` if not yet numbered) passes every
    rule, or RulesRefused (naming the draft `label`) says which it breaks."""
    invoice = _invoice(document, number)
    report = _checked(invoice, document)
    if report.fatal:
        raise RulesRefused(label, report)
    return Checked(document, invoice)


def require_number_issuable(checked: Checked, *, number: str, label: str) -> None:
    """The gate again when the number finally taken is not the one checked (another issuer took it)."""
    if checked.invoice.number == number:
        return
    report = _checked(dataclasses.replace(checked.invoice, number=number), checked.document)
    if report.fatal:
        raise RulesRefused(label, report)


def new_line_defaults(organisation) -> dict[str, str]:
    """What a new line proposes: 20 % standard VAT, or exempt (E) under the franchise en base."""
    if organisation.vat_regime == VatRegime.FRANCHISE:
        return {"vat_category": VatCategory.E.value, "vat_rate": "0", "exemption_reason": FRANCHISE_REASON,
                "exemption_code": FRANCHISE_CODE}
    return {"vat_category": VatCategory.S.value, "vat_rate": "20", "exemption_reason": "", "exemption_code": ""}
