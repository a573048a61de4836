"""UBL 2.1 writer: an EN 16931 `Invoice` as a UBL `Invoice` or `CreditNote` document.

The binding is the one of the CEN EN 16931 UBL syntax (the XPaths of the official UBL
validation artefact), in the element order of the UBL 2.1 schema. A credit-note type code
(381, 261, 262, 396, 502, 503) gives a `CreditNote` with `CreditNoteTypeCode`,
`CreditNoteLine` and `CreditedQuantity`; everything else an `Invoice`.

Where the two UBL documents differ, EN 16931 says how (and the reader accepts both forms):
- BT-9 payment due date: `cbc:DueDate` in an Invoice; in a CreditNote, which has no DueDate,
  `cac:PaymentMeans/cbc:PaymentDueDate` (or `cac:PaymentTerms/cbc:PaymentDueDate` when the
  credit note has no payment instructions, rather than inventing a payment means);
- BT-11 project reference: `cac:ProjectReference` in an Invoice,
  `cac:AdditionalDocumentReference` with document type code 50 in a CreditNote.

The line hierarchy (Factur-X EXTENDED parent lines and sub-types) is written as nested
`cac:SubInvoiceLine` / `cac:SubCreditNoteLine` for the XRechnung extension only (BG-DEX-01;
`facturier.engine.en16931.sublines` says when the totals allow it), and flat with its
sub-type and parent line in a line billing reference for EXTENDED-CTC-FR; the EN 16931
customisations have no sub-lines.

Factur-X EXTENDED logistics service charges (BT-X-271..274) have no UBL element: they are
written as document level charges (BG-21), which is how they count in the totals.

UBL has no element for BT-21 (note subject code): it is written as the `#CODE#text` prefix
of the note that the French CIUS and Peppol use, and read back from it. BT-90 (bank assigned
creditor identifier) is a party identification with scheme "SEPA" of the payee, or of the
seller when there is no payee.

`as_carried` states exactly what a UBL document cannot hold the way the model does; the
tests check it against every official example.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from datetime import date
from decimal import Decimal
from enum import Enum

from lxml import etree

from facturier.engine.en16931.model import (
    AllowanceCharge,
    Contact,
    Identifier,
    Invoice,
    InvoiceLine,
    LineAllowanceCharge,
    PaymentInstructions,
    PostalAddress,
)
from facturier.engine.en16931.sublines import MAX_DEPTH, derive_subtypes, in_tree_order
from facturier.engine.xml import CAC, CBC, UBL_CREDIT_NOTE, UBL_INVOICE, drop_empty_elements

__all__ = ["Customization", "as_carried", "write_ubl"]

_EN16931 = "urn:cen.eu:en16931:2017"


class Customization(Enum):
    """The UBL customisation a document is written for: BT-24 and, where fixed, BT-23."""

    EN16931 = "en16931"
    """The CEN core: CustomizationID urn:cen.eu:en16931:2017; ProfileID is BT-23 when given."""
    PEPPOL_BIS3 = "peppol"
    """Peppol BIS Billing 3.0: its CustomizationID and ProfileID (billing process 01)."""
    FR_CIUS = "fr"
    """The French CIUS of the 2026 reform (Flux 2): the EN 16931 id, BT-23 (cadre de
    facturation S1, B1, M1…) as ProfileID."""
    EXTENDED_CTC_FR = "extended-ctc-fr"
    """Factur-X EXTENDED-CTC-FR in UBL: also writes the extension terms of the model
    (buyer tax registration and legal form, preceding invoice type code, VAT exemption of
    allowances, charges and lines, line sub-type and parent line, group lines)."""
    XRECHNUNG = "xrechnung"
    """The German CIUS XRechnung 3.0."""
    XRECHNUNG_EXTENSION = "xrechnung-extension"
    """The XRechnung 3.0 extension: XRechnung, plus the line hierarchy written as nested
    `cac:SubInvoiceLine` / `cac:SubCreditNoteLine` (BG-DEX-01; see
    `facturier.engine.en16931.sublines`)."""

    @property
    def customization_id(self) -> str:
        """BT-24 Specification identifier written in cbc:CustomizationID."""
        return _CUSTOMIZATION_IDS[self]

    @property
    def profile_id(self) -> str | None:
        """A fixed cbc:ProfileID (BT-23), or None when BT-23 comes from the invoice."""
        return _FIXED_PROFILE_IDS.get(self)


_CUSTOMIZATION_IDS = {
    Customization.EN16931: _EN16931,
    Customization.PEPPOL_BIS3: f"{_EN16931}#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0",
    Customization.FR_CIUS: _EN16931,
    Customization.EXTENDED_CTC_FR: f"{_EN16931}#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr",
    Customization.XRECHNUNG: f"{_EN16931}#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
    Customization.XRECHNUNG_EXTENSION: f"{_EN16931}#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
    "#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_3.0",
}
_FIXED_PROFILE_IDS = {Customization.PEPPOL_BIS3: "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"}

# BT-8 is UNTDID 2005 in UBL (3, 35, 432); a code kept in its CII form (UNTDID 2475:
# 5, 29, 72) is written as its UBL equivalent.
_TAX_POINT_CODES = {"5": "3", "29": "35", "72": "432"}

_NSMAP_INVOICE = {None: UBL_INVOICE, "cac": CAC, "cbc": CBC}
_NSMAP_CREDIT_NOTE = {None: UBL_CREDIT_NOTE, "cac": CAC, "cbc": CBC}


class _Names:
    """Clark names computed once: ``B.ID`` is ``{cbc-ns}ID``, ``A.Party`` ``{cac-ns}Party``."""

    def __init__(self, ns: str):
        self._ns = ns

    def __getattr__(self, local: str) -> str:
        name = f"{{{self._ns}}}{local}"
        setattr(self, local, name)
        return name


B = _Names(CBC)
A = _Names(CAC)
_SUB = etree.SubElement


def _text(parent: etree._Element, tag: str, value: str | None, **attrs: str | None) -> etree._Element | None:
    if value is None:
        return None
    el = _SUB(parent, tag, {k: v for k, v in attrs.items() if v is not None} if attrs else None)
    el.text = value
    return el


def _num(value: Decimal) -> str:
    # Exactly as held in the model: never re-rounded, never in exponent notation.
    text = format(value, "f")
    return "0" if text in ("-0", "+0") else text


def _amount(parent: etree._Element, tag: str, value: Decimal | None, currency: str) -> None:
    if value is not None:
        el = _SUB(parent, tag, currencyID=currency)
        el.text = _num(value)


def _decimal(parent: etree._Element, tag: str, value: Decimal | None) -> None:
    if value is not None:
        _SUB(parent, tag).text = _num(value)


def _date(parent: etree._Element, tag: str, value: date | None) -> None:
    if value is not None:
        _SUB(parent, tag).text = value.isoformat()


def _id(parent: etree._Element, tag: str, ident: Identifier | None) -> None:
    if ident is not None:
        _text(parent, tag, ident.value, schemeID=ident.scheme)


class _Writer:
    def __init__(self, invoice: Invoice, customization: Customization):
        self.inv = invoice
        self.custom = customization
        self.extended = customization is Customization.EXTENDED_CTC_FR
        self.nested = customization is Customization.XRECHNUNG_EXTENSION and any(
            line.parent_line_id is not None for line in invoice.lines
        )
        self.credit = invoice.is_credit_note
        self.cur = invoice.currency

    # --- document ----------------------------------------------------------------------

    def document(self) -> etree._Element:
        inv, credit = self.inv, self.credit
        root = etree.Element(
            f"{{{UBL_CREDIT_NOTE}}}CreditNote" if credit else f"{{{UBL_INVOICE}}}Invoice",
            nsmap=_NSMAP_CREDIT_NOTE if credit else _NSMAP_INVOICE,
        )
        _text(root, B.CustomizationID, self.custom.customization_id)
        profile = self.custom.profile_id or (inv.process.business_process if inv.process else None)
        _text(root, B.ProfileID, profile)
        _text(root, B.ID, inv.number)
        _text(root, B.IssueDate, inv.issue_date.isoformat() + (inv.issue_date_zone or ""))
        if credit:
            _date(root, B.TaxPointDate, inv.tax_point_date)
            _text(root, B.CreditNoteTypeCode, str(inv.type_code))
        else:
            _date(root, B.DueDate, inv.due_date)
            _text(root, B.InvoiceTypeCode, str(inv.type_code))
        for note in inv.notes:
            _text(root, B.Note, f"#{note.subject_code}#{note.text}" if note.subject_code else note.text)
        if not credit:
            _date(root, B.TaxPointDate, inv.tax_point_date)
        _text(root, B.DocumentCurrencyCode, inv.currency)
        _text(root, B.TaxCurrencyCode, inv.tax_currency)
        _text(root, B.AccountingCost, inv.buyer_accounting_reference)
        _text(root, B.BuyerReference, inv.buyer_reference)
        self.invoice_period(root)
        if inv.purchase_order_reference is not None or inv.sales_order_reference is not None:
            order = _SUB(root, A.OrderReference)
            # cbc:ID is mandatory in UBL; BT-14 alone is written with the "NA" placeholder
            # the EN 16931 binding prescribes.
            _text(order, B.ID, inv.purchase_order_reference if inv.purchase_order_reference is not None else "NA")
            _text(order, B.SalesOrderID, inv.sales_order_reference)
        for prec in inv.preceding_invoices:
            ref = _SUB(_SUB(root, A.BillingReference), A.InvoiceDocumentReference)
            _text(ref, B.ID, prec.reference)
            _date(ref, B.IssueDate, prec.issue_date)
            if self.extended:
                _text(ref, B.DocumentTypeCode, prec.type_code)
        self.doc_ref(root, A.DespatchDocumentReference, inv.despatch_advice)
        self.doc_ref(root, A.ReceiptDocumentReference, inv.receiving_advice)
        if not credit:
            self.doc_ref(root, A.OriginatorDocumentReference, inv.tender_reference)
        self.doc_ref(root, A.ContractDocumentReference, inv.contract_reference)
        self.additional_documents(root)
        if credit:
            self.doc_ref(root, A.OriginatorDocumentReference, inv.tender_reference)
        elif inv.project_reference is not None:
            _text(_SUB(root, A.ProjectReference), B.ID, inv.project_reference)
        self.seller(root)
        self.buyer(root)
        self.payee(root)
        self.tax_representative(root)
        self.delivery(root)
        self.payment(root)
        if inv.payment_terms is not None or (credit and inv.due_date is not None and not self._due_date_in_means):
            terms = _SUB(root, A.PaymentTerms)
            _text(terms, B.Note, inv.payment_terms)
            if credit and not self._due_date_in_means:
                _date(terms, B.PaymentDueDate, inv.due_date)
        for ac in inv.allowances_charges:
            self.allowance_charge(root, ac)
        for lc in getattr(inv, "logistics_charges", ()):
            # Factur-X EXTENDED logistics charges have no UBL element; they count in BT-108
            # and in the VAT breakdown like BG-21 charges, so they are written as such.
            charge = AllowanceCharge(
                is_charge=True,
                amount=lc.amount,
                vat_category=lc.vat_category,
                vat_rate=lc.vat_rate,
                reason=lc.description,
            )
            self.allowance_charge(root, charge)
        self.tax_totals(root)
        self.monetary_total(root)
        if self.nested:
            # XRechnung extension: each sub-line inside its parent (BG-DEX-01).
            self.children = {}
            for line in inv.lines:
                if line.parent_line_id is not None:
                    self.children.setdefault(line.parent_line_id, []).append(line)
            for line in inv.lines:
                if line.parent_line_id is None:
                    self.line(root, line)
            return root
        for line in inv.lines:
            # EN 16931 has no line hierarchy: Factur-X EXTENDED group and information lines
            # (which do not count in the totals) only go into an EXTENDED-CTC-FR document.
            if self.extended or line.counts_in_totals:
                self.line(root, line)
        return root

    def invoice_period(self, root: etree._Element) -> None:
        period, code = self.inv.invoicing_period, self.inv.tax_point_date_code
        if period is None and code is None:
            return
        el = _SUB(root, A.InvoicePeriod)
        if period is not None:
            _date(el, B.StartDate, period.start)
            _date(el, B.EndDate, period.end)
        _text(el, B.DescriptionCode, _TAX_POINT_CODES.get(code, code) if code is not None else None)

    def doc_ref(self, root: etree._Element, tag: str, value: str | None) -> None:
        if value is not None:
            _text(_SUB(root, tag), B.ID, value)

    def additional_documents(self, root: etree._Element) -> None:
        inv = self.inv
        if inv.invoiced_object is not None:
            ref = _SUB(root, A.AdditionalDocumentReference)
            _id(ref, B.ID, inv.invoiced_object)
            _text(ref, B.DocumentTypeCode, "130")
        if self.credit and inv.project_reference is not None:
            ref = _SUB(root, A.AdditionalDocumentReference)
            _text(ref, B.ID, inv.project_reference)
            _text(ref, B.DocumentTypeCode, "50")
        for doc in inv.additional_documents:
            ref = _SUB(root, A.AdditionalDocumentReference)
            _text(ref, B.ID, doc.reference)
            _text(ref, B.DocumentDescription, doc.description)
            if doc.attachment is not None or doc.uri is not None:
                att = _SUB(ref, A.Attachment)
                if doc.attachment is not None:
                    _text(
                        att,
                        B.EmbeddedDocumentBinaryObject,
                        base64.b64encode(doc.attachment).decode("ascii"),
                        mimeCode=doc.mime_code,
                        filename=doc.filename,
                    )
                if doc.uri is not None:
                    _text(_SUB(att, A.ExternalReference), B.URI, doc.uri)

    # --- parties -----------------------------------------------------------------------

    def address(self, parent: etree._Element, tag: str, addr: PostalAddress | None) -> None:
        if addr is None:
            return
        el = _SUB(parent, tag)
        _text(el, B.StreetName, addr.line1)
        _text(el, B.AdditionalStreetName, addr.line2)
        _text(el, B.CityName, addr.city)
        _text(el, B.PostalZone, addr.post_code)
        _text(el, B.CountrySubentity, addr.subdivision)
        if addr.line3 is not None:
            _text(_SUB(el, A.AddressLine), B.Line, addr.line3)
        if addr.country:
            _text(_SUB(el, A.Country), B.IdentificationCode, addr.country)

    def tax_scheme(self, party: etree._Element, company_id: str | None, scheme: str) -> None:
        if company_id is not None:
            pts = _SUB(party, A.PartyTaxScheme)
            _text(pts, B.CompanyID, company_id)
            _text(_SUB(pts, A.TaxScheme), B.ID, scheme)

    def contact(self, party: etree._Element, contact: Contact | None) -> None:
        name = contact.name if contact is not None and contact.name is not None else None
        if contact is not None and name is None:
            name = contact.department  # UBL has one contact point: the person, or the department
        if contact is None or (name is None and contact.phone is None and contact.email is None):
            return
        el = _SUB(party, A.Contact)
        _text(el, B.Name, name)
        _text(el, B.Telephone, contact.phone)
        _text(el, B.ElectronicMail, contact.email)

    @property
    def _creditor_id(self) -> str | None:
        pay = self.inv.payment
        return pay.direct_debit.creditor_id if pay is not None and pay.direct_debit is not None else None

    def seller(self, root: etree._Element) -> None:
        s = self.inv.seller
        party = _SUB(_SUB(root, A.AccountingSupplierParty), A.Party)
        if s.electronic_address is not None:
            _text(party, B.EndpointID, s.electronic_address.value, schemeID=s.electronic_address.scheme)
        for ident in s.identifiers:
            _id(_SUB(party, A.PartyIdentification), B.ID, ident)
        if self.inv.payee is None and self._creditor_id is not None:
            _text(_SUB(party, A.PartyIdentification), B.ID, self._creditor_id, schemeID="SEPA")
        if s.trading_name is not None:
            _text(_SUB(party, A.PartyName), B.Name, s.trading_name)
        self.address(party, A.PostalAddress, s.address)
        self.tax_scheme(party, s.vat_id, "VAT")
        self.tax_scheme(party, s.tax_registration_id, "TAX")
        legal = _SUB(party, A.PartyLegalEntity)
        _text(legal, B.RegistrationName, s.name)
        _id(legal, B.CompanyID, s.legal_registration)
        _text(legal, B.CompanyLegalForm, s.legal_form)
        self.contact(party, s.contact)

    def buyer(self, root: etree._Element) -> None:
        b = self.inv.buyer
        party = _SUB(_SUB(root, A.AccountingCustomerParty), A.Party)
        if b.electronic_address is not None:
            _text(party, B.EndpointID, b.electronic_address.value, schemeID=b.electronic_address.scheme)
        # BT-46 occurs at most once in EN 16931 (UBL-SR-16): further buyer ids are not written.
        for ident in b.identifiers[:1]:
            _id(_SUB(party, A.PartyIdentification), B.ID, ident)
        if b.trading_name is not None:
            _text(_SUB(party, A.PartyName), B.Name, b.trading_name)
        self.address(party, A.PostalAddress, b.address)
        self.tax_scheme(party, b.vat_id, "VAT")
        if self.extended:
            self.tax_scheme(party, b.tax_registration_id, "TAX")
        legal = _SUB(party, A.PartyLegalEntity)
        _text(legal, B.RegistrationName, b.name)
        _id(legal, B.CompanyID, b.legal_registration)
        if self.extended:
            _text(legal, B.CompanyLegalForm, b.legal_form)
        self.contact(party, b.contact)

    def payee(self, root: etree._Element) -> None:
        p = self.inv.payee
        if p is None:
            return
        party = _SUB(root, A.PayeeParty)
        if p.identifier is not None:
            _id(_SUB(party, A.PartyIdentification), B.ID, p.identifier)
        if self._creditor_id is not None:
            _text(_SUB(party, A.PartyIdentification), B.ID, self._creditor_id, schemeID="SEPA")
        _text(_SUB(party, A.PartyName), B.Name, p.name)
        if p.legal_registration is not None:
            _id(_SUB(party, A.PartyLegalEntity), B.CompanyID, p.legal_registration)

    def tax_representative(self, root: etree._Element) -> None:
        t = self.inv.tax_representative
        if t is None:
            return
        party = _SUB(root, A.TaxRepresentativeParty)
        _text(_SUB(party, A.PartyName), B.Name, t.name)
        self.address(party, A.PostalAddress, t.address)
        self.tax_scheme(party, t.vat_id, "VAT")

    def delivery(self, root: etree._Element) -> None:
        d = self.inv.delivery
        if d is None:
            return
        el = _SUB(root, A.Delivery)
        _date(el, B.ActualDeliveryDate, d.actual_date)
        if d.location_id is not None or d.address is not None:
            loc = _SUB(el, A.DeliveryLocation)
            _id(loc, B.ID, d.location_id)
            self.address(loc, A.Address, d.address)
        if d.party_name is not None:
            _text(_SUB(_SUB(el, A.DeliveryParty), A.PartyName), B.Name, d.party_name)

    # --- payment -----------------------------------------------------------------------

    @property
    def _due_date_in_means(self) -> bool:
        return self.inv.payment is not None

    def payment(self, root: etree._Element) -> None:
        pay = self.inv.payment
        if pay is None:
            return
        # One cac:PaymentMeans per credit transfer account (UBL has one account per means),
        # all with the same code (UBL-SR-47); card and mandate go with the first.
        accounts = pay.credit_transfers or (None,)
        for i, account in enumerate(accounts):
            means = self.payment_means(root, pay, first=i == 0)
            if account is not None:
                fa = _SUB(means, A.PayeeFinancialAccount)
                _text(fa, B.ID, account.account_id)
                _text(fa, B.Name, account.account_name)
                if account.service_provider_id is not None:
                    _text(_SUB(fa, A.FinancialInstitutionBranch), B.ID, account.service_provider_id)
            if i == 0 and pay.direct_debit is not None:
                dd = pay.direct_debit
                if dd.mandate_reference is not None or dd.debited_account is not None:
                    mandate = _SUB(means, A.PaymentMandate)
                    _text(mandate, B.ID, dd.mandate_reference)
                    if dd.debited_account is not None:
                        _text(_SUB(mandate, A.PayerFinancialAccount), B.ID, dd.debited_account)

    def payment_means(self, root: etree._Element, pay: PaymentInstructions, *, first: bool) -> etree._Element:
        means = _SUB(root, A.PaymentMeans)
        # BT-82 once (UBL-SR-46), as the name of the first means code. UBL carries BT-83 only
        # inside a PaymentMeans, whose code is mandatory: a source that gives a payment
        # reference without its means says "1" (UNTDID 4461: instrument not defined).
        code = pay.means_code or MEANS_NOT_DEFINED
        _text(means, B.PaymentMeansCode, code, name=pay.means_text if first else None)
        if self.credit and first:
            _date(means, B.PaymentDueDate, self.inv.due_date)
        _text(means, B.PaymentID, pay.remittance)
        if first and pay.card is not None:
            card = _SUB(means, A.CardAccount)
            _text(card, B.PrimaryAccountNumberID, pay.card.account_number)
            # cbc:NetworkID is mandatory in UBL and has no EN 16931 term: "NA" as Peppol does.
            _text(card, B.NetworkID, "NA")
            _text(card, B.HolderName, pay.card.holder_name)
        return means

    # --- amounts -----------------------------------------------------------------------

    def tax_category(
        self,
        parent: etree._Element,
        tag: str,
        category: object,
        rate: Decimal | None,
        exemption_code: str | None = None,
        exemption_reason: str | None = None,
    ) -> None:
        cat = _SUB(parent, tag)
        _text(cat, B.ID, str(category))
        _decimal(cat, B.Percent, rate)
        _text(cat, B.TaxExemptionReasonCode, exemption_code)
        _text(cat, B.TaxExemptionReason, exemption_reason)
        _text(_SUB(cat, A.TaxScheme), B.ID, "VAT")

    def allowance_charge(self, parent: etree._Element, ac: AllowanceCharge | LineAllowanceCharge) -> None:
        el = _SUB(parent, A.AllowanceCharge)
        _text(el, B.ChargeIndicator, "true" if ac.is_charge else "false")
        _text(el, B.AllowanceChargeReasonCode, ac.reason_code)
        _text(el, B.AllowanceChargeReason, ac.reason)
        _decimal(el, B.MultiplierFactorNumeric, ac.percentage)
        _amount(el, B.Amount, ac.amount, self.cur)
        _amount(el, B.BaseAmount, ac.base_amount, self.cur)
        if isinstance(ac, AllowanceCharge):
            if self.extended:
                self.tax_category(
                    el, A.TaxCategory, ac.vat_category, ac.vat_rate, ac.vat_exemption_code, ac.vat_exemption_reason
                )
            else:
                self.tax_category(el, A.TaxCategory, ac.vat_category, ac.vat_rate)

    def tax_totals(self, root: etree._Element) -> None:
        inv, totals = self.inv, self.inv.totals
        tax_total = totals.tax_total
        if tax_total is None and inv.vat_breakdown:
            # cbc:TaxAmount is mandatory in a TaxTotal that carries the breakdown.
            tax_total = sum((v.tax_amount for v in inv.vat_breakdown), Decimal(0))
        if tax_total is not None:
            tt = _SUB(root, A.TaxTotal)
            _amount(tt, B.TaxAmount, tax_total, self.cur)
            for vat in inv.vat_breakdown:
                sub = _SUB(tt, A.TaxSubtotal)
                _amount(sub, B.TaxableAmount, vat.taxable_amount, self.cur)
                _amount(sub, B.TaxAmount, vat.tax_amount, self.cur)
                self.tax_category(sub, A.TaxCategory, vat.category, vat.rate, vat.exemption_code, vat.exemption_reason)
        currency = totals.tax_currency or inv.tax_currency or self.cur
        if totals.tax_total_accounting is not None and currency != self.cur:
            # In the invoice currency, the one TaxTotal is also BT-111 (BR-CO-15 allows one).
            _amount(_SUB(root, A.TaxTotal), B.TaxAmount, totals.tax_total_accounting, currency)

    def monetary_total(self, root: etree._Element) -> None:
        t, cur = self.inv.totals, self.cur
        el = _SUB(root, A.LegalMonetaryTotal)
        _amount(el, B.LineExtensionAmount, t.line_net_total, cur)
        _amount(el, B.TaxExclusiveAmount, t.tax_exclusive, cur)
        _amount(el, B.TaxInclusiveAmount, t.tax_inclusive, cur)
        _amount(el, B.AllowanceTotalAmount, t.allowance_total, cur)
        _amount(el, B.ChargeTotalAmount, t.charge_total, cur)
        _amount(el, B.PrepaidAmount, t.prepaid, cur)
        _amount(el, B.PayableRoundingAmount, t.rounding, cur)
        _amount(el, B.PayableAmount, t.amount_due, cur)

    # --- lines -------------------------------------------------------------------------

    def line(self, root: etree._Element, line: InvoiceLine, tag: str | None = None, depth: int = 0) -> None:
        credit = self.credit
        el = _SUB(root, tag or (A.CreditNoteLine if credit else A.InvoiceLine))
        _text(el, B.ID, line.id)
        _text(el, B.Note, line.note)
        _text(el, B.CreditedQuantity if credit else B.InvoicedQuantity, _num(line.quantity), unitCode=line.unit or None)
        _amount(el, B.LineExtensionAmount, line.net_amount, self.cur)
        _text(el, B.AccountingCost, line.accounting_reference)
        if line.period is not None:
            period = _SUB(el, A.InvoicePeriod)
            _date(period, B.StartDate, line.period.start)
            _date(period, B.EndDate, line.period.end)
        if line.order_line_reference is not None:
            _text(_SUB(el, A.OrderLineReference), B.LineID, line.order_line_reference)
        if self.extended and (line.subtype is not None or line.parent_line_id is not None):
            # EXTENDED-CTC-FR: the line sub-type (EXT-FR-FE-163) is the status code of a line
            # billing reference to the invoice itself, the parent line (EXT-FR-FE-162) its line.
            ref = _SUB(el, A.BillingReference)
            doc = _SUB(ref, A.InvoiceDocumentReference)
            _text(doc, B.ID, self.inv.number)
            _text(doc, B.DocumentStatusCode, line.subtype)
            if line.parent_line_id is not None:
                _text(_SUB(ref, A.BillingReferenceLine), B.ID, line.parent_line_id)
        if line.object_id is not None:
            ref = _SUB(el, A.DocumentReference)
            _id(ref, B.ID, line.object_id)
            _text(ref, B.DocumentTypeCode, "130")
        for ac in line.allowances_charges:
            self.allowance_charge(el, ac)
        self.item(el, line)
        self.price(el, line)
        if self.nested and depth < MAX_DEPTH:
            for sub in self.children.pop(line.id, ()):  # popped: a loop of parents ends here
                self.line(el, sub, A.SubCreditNoteLine if credit else A.SubInvoiceLine, depth + 1)

    def item(self, parent: etree._Element, line: InvoiceLine) -> None:
        it = line.item
        el = _SUB(parent, A.Item)
        _text(el, B.Description, it.description)
        _text(el, B.Name, it.name)
        if it.buyer_id is not None:
            _text(_SUB(el, A.BuyersItemIdentification), B.ID, it.buyer_id)
        if it.seller_id is not None:
            _text(_SUB(el, A.SellersItemIdentification), B.ID, it.seller_id)
        if it.standard_id is not None:
            _id(_SUB(el, A.StandardItemIdentification), B.ID, it.standard_id)
        if it.origin_country is not None:
            _text(_SUB(el, A.OriginCountry), B.IdentificationCode, it.origin_country)
        for cls in it.classifications:
            _text(
                _SUB(el, A.CommodityClassification),
                B.ItemClassificationCode,
                cls.code,
                listID=cls.scheme,
                listVersionID=cls.version,
            )
        vat = line.vat
        if self.extended:
            self.tax_category(
                el, A.ClassifiedTaxCategory, vat.category, vat.rate, vat.exemption_code, vat.exemption_reason
            )
        else:
            self.tax_category(el, A.ClassifiedTaxCategory, vat.category, vat.rate)
        for attr in it.attributes:
            prop = _SUB(el, A.AdditionalItemProperty)
            _text(prop, B.Name, attr.name)
            _text(prop, B.Value, attr.value)

    def price(self, parent: etree._Element, line: InvoiceLine) -> None:
        p = line.price
        el = _SUB(parent, A.Price)
        _amount(el, B.PriceAmount, p.net_price, self.cur)
        if p.base_quantity is not None:
            _text(el, B.BaseQuantity, _num(p.base_quantity), unitCode=p.base_unit)
        if p.discount is not None or p.gross_price is not None:
            ac = _SUB(el, A.AllowanceCharge)
            _text(ac, B.ChargeIndicator, "false")
            # cbc:Amount is mandatory: a gross price without discount has a zero one.
            discount = p.discount if p.discount is not None else Decimal(0)
            _amount(ac, B.Amount, discount, self.cur)
            _amount(ac, B.BaseAmount, p.gross_price, self.cur)


def write_ubl(invoice: Invoice, *, customization: Customization = Customization.EN16931) -> bytes:
    """Write ``invoice`` as a UBL 2.1 Invoice or CreditNote for ``customization`` (UTF-8 bytes)."""
    root = drop_empty_elements(_Writer(invoice, customization).document())
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")


MEANS_NOT_DEFINED = "1"
"""UNTDID 4461 "instrument not defined": BT-81 of a payment whose source gave no means."""


def is_iban_shaped(account: str) -> bool:
    """Whether a BT-84 account identifier looks like an IBAN (UBL does not say which it is)."""
    return bool(_IBAN.fullmatch(account.replace(" ", "").upper()))


def as_carried(invoice: Invoice, customization: Customization = Customization.EN16931) -> Invoice:
    """``invoice`` as a UBL document for ``customization`` carries it: exactly what
    ``read_ubl(write_ubl(invoice, customization=...))`` gives back, BT-24 aside.

    This is the precise list of what UBL cannot hold the way the model (and CII) can:
    - BT-8 in its CII form (UNTDID 2475: 5, 29, 72) becomes its UNTDID 2005 equivalent;
    - the IBAN / proprietary flag of BT-84 follows the shape of the account identifier;
    - the time zone of BT-2 is kept (UBL xs:date holds one; CII does not);
    - a payment without means code (BT-81; CII may give BT-83 alone) gets code 1,
      "instrument not defined": UBL holds BT-83 only inside a PaymentMeans, which needs one;
    - a VAT breakdown without BT-110 gets BT-110 = Σ BT-117 (UBL's TaxTotal needs one);
    - BT-111 in the invoice currency is BT-110: UBL has one TaxTotal per currency (BR-CO-15);
    - a zero item price discount (BT-147) is no discount: UBL needs an Amount to carry a
      gross price (BT-148), so "none" and "zero" are the same there;
    - only the first buyer identifier (BT-46 is 0..1; UBL-SR-16);
    - Factur-X EXTENDED logistics charges become document level charges (BG-21);
    - one contact point (BT-41 / BT-56): the person, else the department (CII has both);
    - no separate gross price base quantity (BT-149-1 / BT-150-1 of CII): UBL has one
      BaseQuantity per price;
    - outside EXTENDED-CTC-FR, the extension terms are not written: buyer tax registration
      and legal form, preceding invoice type code, VAT exemption of allowances, charges and
      lines, line sub-type and parent line, and the group and information lines that do not
      count in the totals;
    - for the XRechnung extension, the line hierarchy is kept as nested sub-lines, in tree
      order (each parent, then its sub-lines), with sub-types derived from the nesting
      (`facturier.engine.en16931.sublines.derive_subtypes`), not as written.
    """
    inv = invoice
    replace = dataclasses.replace
    changes: dict[str, object] = {}
    code = inv.tax_point_date_code
    if code in _TAX_POINT_CODES:
        changes["tax_point_date_code"] = _TAX_POINT_CODES[code]
    if inv.payment is not None:
        transfers = tuple(
            replace(t, proprietary_id=not is_iban_shaped(t.account_id)) for t in inv.payment.credit_transfers
        )
        changes["payment"] = replace(
            inv.payment, credit_transfers=transfers, means_code=inv.payment.means_code or MEANS_NOT_DEFINED
        )
    totals = inv.totals
    if totals.tax_total is None and inv.vat_breakdown:
        totals = replace(totals, tax_total=sum((v.tax_amount for v in inv.vat_breakdown), Decimal(0)))
    accounting_currency = totals.tax_currency or inv.tax_currency or inv.currency
    if totals.tax_total_accounting is not None and accounting_currency != inv.currency:
        totals = replace(totals, tax_currency=accounting_currency)
    elif inv.tax_currency == inv.currency and totals.tax_total is not None:
        # one TaxTotal in the invoice currency: BT-111 is BT-110 (BR-CO-15)
        totals = replace(totals, tax_total_accounting=totals.tax_total, tax_currency=inv.currency)
    else:
        totals = replace(totals, tax_total_accounting=None, tax_currency=None)
    changes["totals"] = totals
    logistics = getattr(inv, "logistics_charges", ())
    if logistics:
        changes["logistics_charges"] = ()
        changes["allowances_charges"] = inv.allowances_charges + tuple(
            AllowanceCharge(
                is_charge=True,
                amount=lc.amount,
                vat_category=lc.vat_category,
                vat_rate=lc.vat_rate,
                reason=lc.description,
            )
            for lc in logistics
        )
    extended = customization is Customization.EXTENDED_CTC_FR
    buyer = replace(inv.buyer, identifiers=inv.buyer.identifiers[:1], contact=_carried_contact(inv.buyer.contact))
    if not extended:
        buyer = replace(buyer, tax_registration_id=None, legal_form=None)
        changes["preceding_invoices"] = tuple(replace(p, type_code=None) for p in inv.preceding_invoices)
        changes["allowances_charges"] = tuple(
            replace(ac, vat_exemption_reason=None, vat_exemption_code=None)
            for ac in changes.get("allowances_charges", inv.allowances_charges)
        )
    changes["buyer"] = buyer
    changes["seller"] = replace(inv.seller, contact=_carried_contact(inv.seller.contact))
    nested = customization is Customization.XRECHNUNG_EXTENSION and any(
        line.parent_line_id is not None for line in inv.lines
    )
    lines = []
    for line in in_tree_order(inv.lines) if nested else inv.lines:
        if not extended and not nested and not line.counts_in_totals:
            continue
        carried = line
        if not extended:
            vat = replace(line.vat, exemption_reason=None, exemption_code=None)
            carried = replace(line, subtype=None, parent_line_id=line.parent_line_id if nested else None, vat=vat)
        price = replace(carried.price, gross_base_quantity=None, gross_base_unit=None)
        if price.discount is not None and price.discount.is_zero():
            price = replace(price, discount=None)
        carried = replace(carried, price=price)
        lines.append(carried)
    changes["lines"] = derive_subtypes(lines) if nested else tuple(lines)
    return replace(inv, **changes)


def _carried_contact(contact: Contact | None) -> Contact | None:
    if contact is None:
        return None
    name = contact.name if contact.name is not None else contact.department
    if name is None and contact.phone is None and contact.email is None:
        return None
    return dataclasses.replace(contact, name=name, department=None)
