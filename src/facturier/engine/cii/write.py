"""Write the EN 16931 model as a UN/CEFACT CII D16B invoice (Factur-X 1.09 / ZUGFeRD 2.x).

Elements follow the sequence of the CII XSD. Each element is written only when the chosen
profile allows its path (`profiles.level_of`): a MINIMUM invoice silently leaves out the
lines, a BASIC WL one the contacts, and so on. What the model does not hold is not
written; what it holds is written as given (amounts are not re-rounded here).
"""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal

from lxml import etree

from facturier.engine.cii.profiles import Profile, level_of
from facturier.engine.en16931.model import (
    AllowanceCharge,
    Buyer,
    Contact,
    Identifier,
    Invoice,
    InvoiceLine,
    LineAllowanceCharge,
    Period,
    PostalAddress,
    Seller,
)
from facturier.engine.xml import QDT, RAM, RSM, UDT, drop_empty_elements

__all__ = ["write_cii"]

_NSMAP = {"rsm": RSM, "qdt": QDT, "ram": RAM, "udt": UDT}
_ROOT = f"{{{RSM}}}CrossIndustryInvoice"

# Paths are the local names from the root, as in profiles._LEVELS.
_CTX = "/ExchangedDocumentContext"
_DOC = "/ExchangedDocument"
_TX = "/SupplyChainTradeTransaction"
_LINE = _TX + "/IncludedSupplyChainTradeLineItem"
_AGR = _TX + "/ApplicableHeaderTradeAgreement"
_DLV = _TX + "/ApplicableHeaderTradeDelivery"
_STL = _TX + "/ApplicableHeaderTradeSettlement"


def _num(value: Decimal) -> str:
    return format(value, "f")


def _date(value: date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


# BT-8 is a UNTDID 2005 code in the model (and in UBL); CII writes its UNTDID 2475 twin.
_DUE_DATE_CODES = {"3": "5", "35": "29", "432": "72"}

_TAGS: dict[str, str] = {}
"""Clark name of the element at each path (a path always names the same element)."""


class _Writer:
    """One document being written: the profile's rank and a sink for refused elements."""

    __slots__ = ("factur_x", "rank", "sink")

    def __init__(self, profile: Profile, *, factur_x: bool = True) -> None:
        self.rank = profile.rank
        self.factur_x = factur_x
        """False when BT-24 names another CIUS: Factur-X-only restrictions do not apply."""
        self.sink = etree.Element("sink")

    def sub(self, parent: etree._Element, path: str, text: str | None = None, ns: str = RAM) -> etree._Element:
        """Append the element at `path` (its local name is the last step) if allowed."""
        if parent is self.sink or (self.rank < 4 and level_of(path) > self.rank):
            return self.sink
        tag = _TAGS.get(path)
        if tag is None:
            tag = _TAGS[path] = f"{{{ns}}}{path[path.rfind('/') + 1 :]}"
        el = etree.SubElement(parent, tag)
        if text is not None:
            el.text = text
        return el

    def opt(self, parent: etree._Element, path: str, text: str | None) -> None:
        """Append a text element only when there is a value."""
        if text is not None:
            self.sub(parent, path, text)

    def amount(self, parent: etree._Element, path: str, value: Decimal | None, currency: str | None = None) -> None:
        if value is not None:
            el = self.sub(parent, path, _num(value))
            if currency is not None:
                el.set("currencyID", currency)

    def date_time(self, parent: etree._Element, path: str, value: date | None, ns: str = UDT) -> None:
        if value is not None:
            holder = self.sub(parent, path)
            el = self.sub(holder, path + "/DateTimeString", _date(value), ns)
            el.set("format", "102")

    def ident(self, parent: etree._Element, path: str, value: str, scheme: str | None) -> None:
        el = self.sub(parent, path, value)
        if scheme is not None:
            el.set("schemeID", scheme)


def write_cii(invoice: Invoice, *, profile: Profile = Profile.EN16931, specification_id: str | None = None) -> bytes:
    """Serialise `invoice` as CII D16B for `profile`: UTF-8 bytes with an XML declaration.

    BT-24 is the profile's guideline id, or `specification_id` when given: the id of an
    EN 16931 CIUS or extension such as XRechnung, whose content `profile` still limits.
    `invoice.process.specification_id` is never copied (it says what was read, not what
    is written).
    """
    w = _Writer(profile, factur_x=specification_id is None)
    root = etree.Element(_ROOT, nsmap=_NSMAP)

    ctx = w.sub(root, _CTX, ns=RSM)
    if invoice.process is not None and invoice.process.business_process is not None:
        bp = w.sub(ctx, _CTX + "/BusinessProcessSpecifiedDocumentContextParameter")
        w.sub(bp, _CTX + "/BusinessProcessSpecifiedDocumentContextParameter/ID", invoice.process.business_process)
    gl = w.sub(ctx, _CTX + "/GuidelineSpecifiedDocumentContextParameter")
    w.sub(gl, _CTX + "/GuidelineSpecifiedDocumentContextParameter/ID", specification_id or profile.guideline_id)

    doc = w.sub(root, _DOC, ns=RSM)
    w.sub(doc, _DOC + "/ID", invoice.number)
    w.sub(doc, _DOC + "/TypeCode", str(invoice.type_code))
    w.date_time(doc, _DOC + "/IssueDateTime", invoice.issue_date)
    for note in invoice.notes:
        n = w.sub(doc, _DOC + "/IncludedNote")
        w.sub(n, _DOC + "/IncludedNote/Content", note.text)
        w.opt(n, _DOC + "/IncludedNote/SubjectCode", note.subject_code)

    tx = w.sub(root, _TX, ns=RSM)
    if profile.has_lines:
        for line in invoice.lines:
            _line(w, tx, line)
    _agreement(w, tx, invoice)
    _delivery(w, tx, invoice)
    _settlement(w, tx, invoice)
    return etree.tostring(drop_empty_elements(root), xml_declaration=True, encoding="UTF-8")


# --- parties -----------------------------------------------------------------------------


def _address(w: _Writer, parent: etree._Element, base: str, address: PostalAddress | None) -> None:
    if address is None:
        return
    p = base + "/PostalTradeAddress"
    a = w.sub(parent, p)
    w.opt(a, p + "/PostcodeCode", address.post_code)
    w.opt(a, p + "/LineOne", address.line1)
    w.opt(a, p + "/LineTwo", address.line2)
    w.opt(a, p + "/LineThree", address.line3)
    w.opt(a, p + "/CityName", address.city)
    w.sub(a, p + "/CountryID", address.country)
    w.opt(a, p + "/CountrySubDivisionName", address.subdivision)


def _contact(w: _Writer, parent: etree._Element, base: str, contact: Contact | None) -> None:
    if contact is None:
        return
    p = base + "/DefinedTradeContact"
    c = w.sub(parent, p)
    w.opt(c, p + "/PersonName", contact.name)
    if contact.name is None or w.rank == 4:  # CII-SR-466: one BT-56 (person or department)
        w.opt(c, p + "/DepartmentName", contact.department)
    if contact.phone is not None:
        t = w.sub(c, p + "/TelephoneUniversalCommunication")
        w.sub(t, p + "/TelephoneUniversalCommunication/CompleteNumber", contact.phone)
    if contact.email is not None:
        e = w.sub(c, p + "/EmailURIUniversalCommunication")
        w.sub(e, p + "/EmailURIUniversalCommunication/URIID", contact.email)


def _ids(w: _Writer, parent: etree._Element, base: str, identifiers: tuple[Identifier, ...]) -> None:
    for i in identifiers:
        if i.scheme is None:
            w.sub(parent, base + "/ID", i.value)
    for i in identifiers:
        if i.scheme is not None:
            w.ident(parent, base + "/GlobalID", i.value, i.scheme)


def _party(w: _Writer, parent: etree._Element, base: str, party: Seller | Buyer) -> None:
    el = w.sub(parent, base)
    ids = party.identifiers
    if isinstance(party, Buyer) and w.rank < 4:
        # one buyer GlobalID below EXTENDED (FX-SCH-A-000164): the first with a scheme
        schemed = [i for i in ids if i.scheme is not None][:1]
        ids = tuple(i for i in ids if i.scheme is None or i in schemed)
    _ids(w, el, base, ids)
    w.sub(el, base + "/Name", party.name)
    w.opt(el, base + "/Description", party.legal_form)
    if party.legal_registration is not None or party.trading_name is not None:
        p = base + "/SpecifiedLegalOrganization"
        lo = w.sub(el, p)
        if party.legal_registration is not None:
            w.ident(lo, p + "/ID", party.legal_registration.value, party.legal_registration.scheme)
        w.opt(lo, p + "/TradingBusinessName", party.trading_name)
    _contact(w, el, base, party.contact)
    _address(w, el, base, party.address)
    if party.electronic_address is not None:
        u = w.sub(el, base + "/URIUniversalCommunication")
        ea = party.electronic_address
        w.ident(u, base + "/URIUniversalCommunication/URIID", ea.value, ea.scheme)
    # Factur-X gives the buyer a VAT id only (BR-FXEXT-03); other CIUS (XRechnung) allow FC.
    tax_id = party.tax_registration_id if isinstance(party, Seller) or not w.factur_x else None
    for scheme, value in (("VA", party.vat_id), ("FC", tax_id)):
        if value is not None:
            t = w.sub(el, base + "/SpecifiedTaxRegistration")
            w.ident(t, base + "/SpecifiedTaxRegistration/ID", value, scheme)


def _referenced(w: _Writer, parent: etree._Element, path: str, issuer_id: str | None) -> None:
    if issuer_id is not None:
        d = w.sub(parent, path)
        w.sub(d, path + "/IssuerAssignedID", issuer_id)


def _agreement(w: _Writer, tx: etree._Element, inv: Invoice) -> None:
    agr = w.sub(tx, _AGR)
    w.opt(agr, _AGR + "/BuyerReference", inv.buyer_reference)
    _party(w, agr, _AGR + "/SellerTradeParty", inv.seller)
    _party(w, agr, _AGR + "/BuyerTradeParty", inv.buyer)
    if inv.tax_representative is not None:
        rep = inv.tax_representative
        p = _AGR + "/SellerTaxRepresentativeTradeParty"
        el = w.sub(agr, p)
        w.sub(el, p + "/Name", rep.name)
        _address(w, el, p, rep.address)
        t = w.sub(el, p + "/SpecifiedTaxRegistration")
        w.ident(t, p + "/SpecifiedTaxRegistration/ID", rep.vat_id, "VA")
    _referenced(w, agr, _AGR + "/SellerOrderReferencedDocument", inv.sales_order_reference)
    _referenced(w, agr, _AGR + "/BuyerOrderReferencedDocument", inv.purchase_order_reference)
    _referenced(w, agr, _AGR + "/ContractReferencedDocument", inv.contract_reference)
    p = _AGR + "/AdditionalReferencedDocument"
    for doc in inv.additional_documents:
        d = w.sub(agr, p)
        w.sub(d, p + "/IssuerAssignedID", doc.reference)
        w.opt(d, p + "/URIID", doc.uri)
        w.sub(d, p + "/TypeCode", "916")
        w.opt(d, p + "/Name", doc.description)
        if doc.attachment is not None:
            b = w.sub(d, p + "/AttachmentBinaryObject", base64.b64encode(doc.attachment).decode("ascii"))
            b.set("mimeCode", doc.mime_code or "application/octet-stream")
            b.set("filename", doc.filename or doc.reference)
    if inv.tender_reference is not None:
        d = w.sub(agr, p)
        w.sub(d, p + "/IssuerAssignedID", inv.tender_reference)
        w.sub(d, p + "/TypeCode", "50")
    if inv.invoiced_object is not None:
        d = w.sub(agr, p)
        w.sub(d, p + "/IssuerAssignedID", inv.invoiced_object.value)
        w.sub(d, p + "/TypeCode", "130")
        w.opt(d, p + "/ReferenceTypeCode", inv.invoiced_object.scheme)
    if inv.project_reference is not None:
        pp = _AGR + "/SpecifiedProcuringProject"
        d = w.sub(agr, pp)
        w.sub(d, pp + "/ID", inv.project_reference)
        w.sub(d, pp + "/Name", "Project reference")


def _delivery(w: _Writer, tx: etree._Element, inv: Invoice) -> None:
    dlv = w.sub(tx, _DLV)
    d = inv.delivery
    if d is not None:
        if d.party_name is not None or d.location_id is not None or d.address is not None:
            p = _DLV + "/ShipToTradeParty"
            st = w.sub(dlv, p)
            if d.location_id is not None:
                _ids(w, st, p, (d.location_id,))
            w.opt(st, p + "/Name", d.party_name)
            _address(w, st, p, d.address)
        if d.actual_date is not None:
            ev = w.sub(dlv, _DLV + "/ActualDeliverySupplyChainEvent")
            w.date_time(ev, _DLV + "/ActualDeliverySupplyChainEvent/OccurrenceDateTime", d.actual_date)
    _referenced(w, dlv, _DLV + "/DespatchAdviceReferencedDocument", inv.despatch_advice)
    _referenced(w, dlv, _DLV + "/ReceivingAdviceReferencedDocument", inv.receiving_advice)


# --- settlement ----------------------------------------------------------------------------


def _period(w: _Writer, parent: etree._Element, path: str, period: Period | None) -> None:
    if period is None:
        return
    el = w.sub(parent, path)
    w.date_time(el, path + "/StartDateTime", period.start)
    w.date_time(el, path + "/EndDateTime", period.end)


def _trade_tax(
    w: _Writer,
    parent: etree._Element,
    path: str,
    category: str,
    rate: Decimal | None,
    *,
    tax_amount: Decimal | None = None,
    taxable: Decimal | None = None,
    reason: str | None = None,
    reason_code: str | None = None,
    point_date: date | None = None,
    due_code: str | None = None,
) -> None:
    t = w.sub(parent, path)
    w.amount(t, path + "/CalculatedAmount", tax_amount)
    w.sub(t, path + "/TypeCode", "VAT")
    w.opt(t, path + "/ExemptionReason", reason)
    w.amount(t, path + "/BasisAmount", taxable)
    w.sub(t, path + "/CategoryCode", category)
    w.opt(t, path + "/ExemptionReasonCode", reason_code)
    if point_date is not None:
        pd = w.sub(t, path + "/TaxPointDate")
        el = w.sub(pd, path + "/TaxPointDate/DateString", _date(point_date), UDT)
        el.set("format", "102")
    w.opt(t, path + "/DueDateTypeCode", due_code)
    w.amount(t, path + "/RateApplicablePercent", rate)


def _allowance_charge(
    w: _Writer, parent: etree._Element, path: str, ac: AllowanceCharge | LineAllowanceCharge
) -> etree._Element:
    el = w.sub(parent, path)
    ind = w.sub(el, path + "/ChargeIndicator")
    w.sub(ind, path + "/ChargeIndicator/Indicator", "true" if ac.is_charge else "false", UDT)
    w.amount(el, path + "/CalculationPercent", ac.percentage)
    w.amount(el, path + "/BasisAmount", ac.base_amount)
    w.amount(el, path + "/ActualAmount", ac.amount)
    w.opt(el, path + "/ReasonCode", ac.reason_code)
    w.opt(el, path + "/Reason", ac.reason)
    return el


def _settlement(w: _Writer, tx: etree._Element, inv: Invoice) -> None:
    stl = w.sub(tx, _STL)
    pay = inv.payment
    dd = pay.direct_debit if pay is not None else None
    w.opt(stl, _STL + "/CreditorReferenceID", dd.creditor_id if dd is not None else None)
    w.opt(stl, _STL + "/PaymentReference", pay.remittance if pay is not None else None)
    # BT-6 only when it differs from BT-5: CII says the invoice currency once (BR-53 would
    # then ask for a second TaxTotalAmount in the same currency, which the profiles refuse).
    w.opt(stl, _STL + "/TaxCurrencyCode", _accounting_currency(inv))
    w.sub(stl, _STL + "/InvoiceCurrencyCode", inv.currency)
    if inv.payee is not None:
        p = _STL + "/PayeeTradeParty"
        el = w.sub(stl, p)
        if inv.payee.identifier is not None:
            _ids(w, el, p, (inv.payee.identifier,))
        w.sub(el, p + "/Name", inv.payee.name)
        if inv.payee.legal_registration is not None:
            lo = w.sub(el, p + "/SpecifiedLegalOrganization")
            reg = inv.payee.legal_registration
            w.ident(lo, p + "/SpecifiedLegalOrganization/ID", reg.value, reg.scheme)
    if pay is not None and pay.means_code:  # "" = no BT-81 read: nothing to write
        _payment_means(w, stl, inv)
    for index, vb in enumerate(inv.vat_breakdown):
        # CII-SR-461/462: BT-7 and BT-8 are written once, on the first breakdown.
        _trade_tax(
            w,
            stl,
            _STL + "/ApplicableTradeTax",
            str(vb.category),
            vb.rate,
            tax_amount=vb.tax_amount,
            taxable=vb.taxable_amount,
            reason=vb.exemption_reason,
            reason_code=vb.exemption_code,
            point_date=inv.tax_point_date if index == 0 else None,
            due_code=_DUE_DATE_CODES.get(inv.tax_point_date_code or "", inv.tax_point_date_code)
            if index == 0
            else None,
        )
    _period(w, stl, _STL + "/BillingSpecifiedPeriod", inv.invoicing_period)
    p = _STL + "/SpecifiedTradeAllowanceCharge"
    for ac in inv.allowances_charges:
        el = _allowance_charge(w, stl, p, ac)
        _trade_tax(
            w,
            el,
            p + "/CategoryTradeTax",
            str(ac.vat_category),
            ac.vat_rate,
            reason=ac.vat_exemption_reason,
            reason_code=ac.vat_exemption_code,
        )
    p = _STL + "/SpecifiedLogisticsServiceCharge"
    for lc in inv.logistics_charges:
        el = w.sub(stl, p)
        w.sub(el, p + "/Description", lc.description)
        w.amount(el, p + "/AppliedAmount", lc.amount)
        _trade_tax(w, el, p + "/AppliedTradeTax", str(lc.vat_category), lc.vat_rate)
    mandate = dd.mandate_reference if dd is not None else None
    if inv.payment_terms is not None or inv.due_date is not None or mandate is not None:
        p = _STL + "/SpecifiedTradePaymentTerms"
        terms = w.sub(stl, p)
        w.opt(terms, p + "/Description", inv.payment_terms)
        w.date_time(terms, p + "/DueDateDateTime", inv.due_date)
        w.opt(terms, p + "/DirectDebitMandateID", mandate)
    _totals(w, stl, inv)
    p = _STL + "/InvoiceReferencedDocument"
    # BG-3 repeats only in EXTENDED; below it the CII subset holds one preceding invoice.
    for prec in inv.preceding_invoices if w.rank >= 4 else inv.preceding_invoices[:1]:
        d = w.sub(stl, p)
        w.sub(d, p + "/IssuerAssignedID", prec.reference)
        w.opt(d, p + "/TypeCode", prec.type_code)
        w.date_time(d, p + "/FormattedIssueDateTime", prec.issue_date, QDT)
    if inv.buyer_accounting_reference is not None:
        acc = w.sub(stl, _STL + "/ReceivableSpecifiedTradeAccountingAccount")
        w.sub(acc, _STL + "/ReceivableSpecifiedTradeAccountingAccount/ID", inv.buyer_accounting_reference)


def _payment_means(w: _Writer, stl: etree._Element, inv: Invoice) -> None:
    pay = inv.payment
    assert pay is not None
    p = _STL + "/SpecifiedTradeSettlementPaymentMeans"
    transfers = pay.credit_transfers or (None,)
    for index, ct in enumerate(transfers):
        m = w.sub(stl, p)
        w.sub(m, p + "/TypeCode", pay.means_code)
        if index == 0:
            w.opt(m, p + "/Information", pay.means_text)
            if pay.card is not None:
                c = w.sub(m, p + "/ApplicableTradeSettlementFinancialCard")
                w.sub(c, p + "/ApplicableTradeSettlementFinancialCard/ID", pay.card.account_number)
                w.opt(c, p + "/ApplicableTradeSettlementFinancialCard/CardholderName", pay.card.holder_name)
            if pay.direct_debit is not None and pay.direct_debit.debited_account is not None:
                d = w.sub(m, p + "/PayerPartyDebtorFinancialAccount")
                w.sub(d, p + "/PayerPartyDebtorFinancialAccount/IBANID", pay.direct_debit.debited_account)
        if ct is not None:
            a = w.sub(m, p + "/PayeePartyCreditorFinancialAccount")
            pa = p + "/PayeePartyCreditorFinancialAccount"
            if not ct.proprietary_id:
                w.sub(a, pa + "/IBANID", ct.account_id)
            w.opt(a, pa + "/AccountName", ct.account_name)
            if ct.proprietary_id:
                w.sub(a, pa + "/ProprietaryID", ct.account_id)
            if ct.service_provider_id is not None:
                b = w.sub(m, p + "/PayeeSpecifiedCreditorFinancialInstitution")
                w.sub(b, p + "/PayeeSpecifiedCreditorFinancialInstitution/BICID", ct.service_provider_id)


def _accounting_currency(inv: Invoice) -> str | None:
    """BT-6 as CII writes it: absent when it is the invoice currency (BT-5)."""
    currency = inv.totals.tax_currency or inv.tax_currency
    return currency if currency not in (None, inv.currency) else None


def _totals(w: _Writer, stl: etree._Element, inv: Invoice) -> None:
    t = inv.totals
    p = _STL + "/SpecifiedTradeSettlementHeaderMonetarySummation"
    s = w.sub(stl, p)
    w.amount(s, p + "/LineTotalAmount", t.line_net_total)
    w.amount(s, p + "/ChargeTotalAmount", t.charge_total)
    w.amount(s, p + "/AllowanceTotalAmount", t.allowance_total)
    w.amount(s, p + "/TaxBasisTotalAmount", t.tax_exclusive)
    w.amount(s, p + "/TaxTotalAmount", t.tax_total, inv.currency)
    accounting = _accounting_currency(inv)
    if w.rank >= 1 and accounting is not None:  # BT-111 needs BT-6, which MINIMUM does not carry
        w.amount(s, p + "/TaxTotalAmount", t.tax_total_accounting, accounting)
    w.amount(s, p + "/RoundingAmount", t.rounding)
    w.amount(s, p + "/GrandTotalAmount", t.tax_inclusive)
    w.amount(s, p + "/TotalPrepaidAmount", t.prepaid)
    w.amount(s, p + "/DuePayableAmount", t.amount_due)


# --- lines -----------------------------------------------------------------------------------


def _line(w: _Writer, tx: etree._Element, line: InvoiceLine) -> None:
    li = w.sub(tx, _LINE)
    p = _LINE + "/AssociatedDocumentLineDocument"
    doc = w.sub(li, p)
    w.sub(doc, p + "/LineID", line.id)
    w.opt(doc, p + "/ParentLineID", line.parent_line_id)
    w.opt(doc, p + "/LineStatusReasonCode", line.subtype)
    if line.note is not None:
        n = w.sub(doc, p + "/IncludedNote")
        w.sub(n, p + "/IncludedNote/Content", line.note)

    item = line.item
    p = _LINE + "/SpecifiedTradeProduct"
    prod = w.sub(li, p)
    if item.standard_id is not None:
        w.ident(prod, p + "/GlobalID", item.standard_id.value, item.standard_id.scheme)
    w.opt(prod, p + "/SellerAssignedID", item.seller_id)
    w.opt(prod, p + "/BuyerAssignedID", item.buyer_id)
    w.sub(prod, p + "/Name", item.name)
    w.opt(prod, p + "/Description", item.description)
    for attr in item.attributes:
        a = w.sub(prod, p + "/ApplicableProductCharacteristic")
        w.sub(a, p + "/ApplicableProductCharacteristic/Description", attr.name)
        w.sub(a, p + "/ApplicableProductCharacteristic/Value", attr.value)
    for cl in item.classifications:
        c = w.sub(prod, p + "/DesignatedProductClassification")
        code = w.sub(c, p + "/DesignatedProductClassification/ClassCode", cl.code)
        if cl.scheme is not None:
            code.set("listID", cl.scheme)
        if cl.version is not None:
            code.set("listVersionID", cl.version)
    if item.origin_country is not None:
        o = w.sub(prod, p + "/OriginTradeCountry")
        w.sub(o, p + "/OriginTradeCountry/ID", item.origin_country)

    price = line.price
    p = _LINE + "/SpecifiedLineTradeAgreement"
    agr = w.sub(li, p)
    if line.order_line_reference is not None:
        o = w.sub(agr, p + "/BuyerOrderReferencedDocument")
        w.sub(o, p + "/BuyerOrderReferencedDocument/LineID", line.order_line_reference)
    gross = price.gross_price
    if gross is None and price.discount is not None and price.net_price is not None:
        # CII holds BT-147 only inside the gross price, whose amount (BT-148) is mandatory:
        # derive it as EN 16931 defines the net price (BT-146 = BT-148 - BT-147).
        gross = price.net_price + price.discount
    if gross is not None:
        g = p + "/GrossPriceProductTradePrice"
        gp = w.sub(agr, g)
        w.amount(gp, g + "/ChargeAmount", gross)
        _basis_quantity(w, gp, g, price.gross_base_quantity, price.gross_base_unit)
        if price.discount is not None:
            a = g + "/AppliedTradeAllowanceCharge"
            ac = w.sub(gp, a)
            ind = w.sub(ac, a + "/ChargeIndicator")
            w.sub(ind, a + "/ChargeIndicator/Indicator", "false", UDT)
            w.amount(ac, a + "/ActualAmount", price.discount)
    n = p + "/NetPriceProductTradePrice"
    np_ = w.sub(agr, n)
    w.amount(np_, n + "/ChargeAmount", price.net_price)
    _basis_quantity(w, np_, n, price.base_quantity, price.base_unit)

    p = _LINE + "/SpecifiedLineTradeDelivery"
    dlv = w.sub(li, p)
    q = w.sub(dlv, p + "/BilledQuantity", _num(line.quantity))
    q.set("unitCode", line.unit)

    p = _LINE + "/SpecifiedLineTradeSettlement"
    stl = w.sub(li, p)
    vat = line.vat
    if str(vat.category):  # a sub-line (EXTENDED GROUP / INFORMATION) may carry no VAT
        _trade_tax(
            w,
            stl,
            p + "/ApplicableTradeTax",
            str(vat.category),
            vat.rate,
            reason=vat.exemption_reason,
            reason_code=vat.exemption_code,
        )
    _period(w, stl, p + "/BillingSpecifiedPeriod", line.period)
    for lac in line.allowances_charges:
        _allowance_charge(w, stl, p + "/SpecifiedTradeAllowanceCharge", lac)
    s = w.sub(stl, p + "/SpecifiedTradeSettlementLineMonetarySummation")
    w.amount(s, p + "/SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount", line.net_amount)
    if line.object_id is not None:
        a = p + "/AdditionalReferencedDocument"
        d = w.sub(stl, a)
        w.sub(d, a + "/IssuerAssignedID", line.object_id.value)
        w.sub(d, a + "/TypeCode", "130")
        w.opt(d, a + "/ReferenceTypeCode", line.object_id.scheme)
    if line.accounting_reference is not None:
        a = p + "/ReceivableSpecifiedTradeAccountingAccount"
        acc = w.sub(stl, a)
        w.sub(acc, a + "/ID", line.accounting_reference)


def _basis_quantity(w: _Writer, parent: etree._Element, path: str, quantity: Decimal | None, unit: str | None) -> None:
    if quantity is None:
        return
    el = w.sub(parent, path + "/BasisQuantity", _num(quantity))
    if unit is not None:
        el.set("unitCode", unit)
