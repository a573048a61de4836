"""Read a UN/CEFACT CII D16B invoice (Factur-X 1.0x, ZUGFeRD 2.x, XRechnung CII) into the model.

Bytes go through the engine's secure parser (`facturier.engine.xml.parse_xml`): no DTD, no
entity, no network, a size cap. The reader is tolerant where producers differ harmlessly
(any guideline id, BT-41 as a person or a department, several payment means) and strict
where the model cannot hold the document: a missing or unreadable date or amount that the
model requires raises `UnsupportedDocument` naming the business term.

Mapping choices that the writer mirrors (so that read → write → read is stable):
- BG-16: the first SpecifiedTradeSettlementPaymentMeans gives BT-81, BT-82, BG-18 and
  BT-91; every PayeePartyCreditorFinancialAccount of every means is a BG-17;
- BT-7 and BT-8 are taken from the first header ApplicableTradeTax that has them;
- BT-20, BT-9 and BT-89 come from the first SpecifiedTradePaymentTerms that has each;
- header AdditionalReferencedDocument: TypeCode 50 is BT-17, 130 is BT-18, others BG-24.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from lxml import etree

from facturier.engine.en16931.codes import DocumentTypeCode, VatCategory
from facturier.engine.en16931.model import (
    AdditionalDocument,
    AllowanceCharge,
    Buyer,
    Contact,
    CreditTransfer,
    Delivery,
    DirectDebit,
    DocumentTotals,
    ElectronicAddress,
    Identifier,
    Invoice,
    InvoiceLine,
    Item,
    ItemAttribute,
    ItemClassification,
    LineAllowanceCharge,
    LineVat,
    LogisticsCharge,
    Note,
    Payee,
    PaymentCard,
    PaymentInstructions,
    Period,
    PostalAddress,
    PrecedingInvoice,
    Price,
    ProcessControl,
    Seller,
    TaxRepresentative,
    VatBreakdown,
)
from facturier.engine.errors import Message, UnsupportedDocument
from facturier.engine.xml import DEFAULT_MAX_BYTES, RAM, RSM, UDT, detect, parse_xml

__all__ = ["guideline_id", "read_cii"]

_E = etree._Element
_V = TypeVar("_V")
_DOC_TYPES = {c.value: c for c in DocumentTypeCode}
_VAT_CATEGORIES = {c.value: c for c in VatCategory}


_CLARK: dict[str, str] = {}


_STEPS: dict[str, tuple[str, ...]] = {}


def _find(el: _E, path: str) -> _E | None:
    """The first element at `path` ("A/B", RAM names) below `el`, or None.

    Walks children with iterchildren (C speed) instead of ElementPath, twice as fast, and
    a reader makes a few hundred of these calls per invoice.
    """
    steps = _STEPS.get(path)
    if steps is None:
        steps = _STEPS[path] = tuple(f"{{{RAM}}}{step}" for step in path.split("/"))
    for tag in steps:
        el = next(el.iterchildren(tag), None)
        if el is None:
            return None
    return el


def _r(path: str) -> str:
    """A find() path in Clark notation: "A/B" -> "{ram}A/{ram}B" (memoised)."""
    clark = _CLARK.get(path)
    if clark is None:
        clark = _CLARK[path] = "/".join(f"{{{RAM}}}{step}" for step in path.split("/"))
    return clark


class _P:
    """Pre-computed Clark paths, so that each lookup is a plain ElementPath find."""

    CTX = f"{{{RSM}}}ExchangedDocumentContext"
    DOC = f"{{{RSM}}}ExchangedDocument"
    TX = f"{{{RSM}}}SupplyChainTradeTransaction"
    DTS = f"{{{UDT}}}DateTimeString"
    IND = f"{{{UDT}}}Indicator"
    DS = f"{{{UDT}}}DateString"


def _root(data: bytes | _E, max_bytes: int) -> _E:
    if isinstance(data, etree._ElementTree):
        data = data.getroot()
    root = data if isinstance(data, etree._Element) else parse_xml(data, max_bytes=max_bytes)
    kind = detect(root)
    if kind.syntax != "cii":
        raise UnsupportedDocument(
            Message(
                fr="Ce document est une facture UBL, pas une facture CII : lisez-le avec le lecteur UBL.",
                en="This document is a UBL invoice, not a CII invoice: read it with the UBL reader.",
            ),
            detail=kind.root,
        )
    return root


def guideline_id(data: bytes | _E, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str | None:
    """BT-24 of a CII invoice, as written (None when absent)."""
    return detect(_root(data, max_bytes)).guideline_id


def read_cii(data: bytes | _E, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Invoice:
    """Read CII bytes (or an already parsed root element) into an `Invoice`.

    Raises MalformedXML, InputTooLarge (bytes only) or UnsupportedDocument.
    """
    return _Reader().invoice(_root(data, max_bytes))


# --- the reader --------------------------------------------------------------------------


def _missing(bt: str, what: str, fr_what: str) -> UnsupportedDocument:
    return UnsupportedDocument(
        Message(
            fr=f"La facture n'a pas de {fr_what} ({bt}) lisible : elle ne peut pas être importée.",
            en=f"The invoice has no readable {what} ({bt}): it cannot be imported.",
        ),
        detail=bt,
    )


class _Reader:
    __slots__ = ()

    # -- primitive values

    @staticmethod
    def text(el: _E | None, path: str | None = None) -> str | None:
        """Free text as written (None when the element is absent, "" when empty)."""
        if el is None:
            return None
        if path is not None:
            el = _find(el, path)
            if el is None:
                return None
        return el.text or ""

    @staticmethod
    def code(el: _E | None, path: str | None = None) -> str | None:
        """An identifier or code, without surrounding blanks (None when absent or blank)."""
        if el is None:
            return None
        if path is not None:
            el = _find(el, path)
            if el is None:
                return None
        value = (el.text or "").strip()
        return value or None

    def decimal(self, el: _E | None, path: str | None = None, bt: str = "") -> Decimal | None:
        value = self.code(el, path)
        if value is None:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise UnsupportedDocument(
                Message(
                    fr=f"La valeur « {value} » de {bt or path} n'est pas un nombre décimal.",
                    en=f"The value '{value}' of {bt or path} is not a decimal number.",
                ),
                detail=bt or path,
            )
        return number

    def date(self, el: _E | None, path: str | None = None, bt: str = "") -> date | None:
        """A date held in a udt/qdt DateTimeString or DateString below `el/path`."""
        if el is None:
            return None
        if path is not None:
            el = _find(el, path)
            if el is None:
                return None
        value = None
        for child in el:
            if isinstance(child.tag, str) and child.tag.endswith(("}DateTimeString", "}DateString")):
                value = (child.text or "").strip()
                break
        if not value:
            return None
        digits = value.replace("-", "")
        try:
            return date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
        except ValueError:
            raise UnsupportedDocument(
                Message(
                    fr=f"La date « {value} » de {bt or path} est illisible (attendu AAAAMMJJ).",
                    en=f"The date '{value}' of {bt or path} cannot be read (expected YYYYMMDD).",
                ),
                detail=bt or path,
            ) from None

    def required_decimal(self, el: _E, path: str, bt: str, what: str, fr_what: str) -> Decimal:
        value = self.decimal(el, path, bt)
        if value is None:
            raise _missing(bt, what, fr_what)
        return value

    def identifier(self, el: _E | None) -> Identifier | None:
        if el is None:
            return None
        value = (el.text or "").strip()
        if not value:
            return None
        scheme = el.get("schemeID")
        return Identifier(value, scheme.strip() if scheme else None)

    # -- document

    def invoice(self, root: _E) -> Invoice:
        ctx = root.find(_P.CTX)
        doc = root.find(_P.DOC)
        tx = root.find(_P.TX)
        if doc is None or tx is None:
            raise _missing("BT-1", "document header", "en-tête de document")
        agr = _find(tx, "ApplicableHeaderTradeAgreement")
        dlv = _find(tx, "ApplicableHeaderTradeDelivery")
        stl = _find(tx, "ApplicableHeaderTradeSettlement")
        if agr is None or stl is None:
            raise _missing("BG-4", "trade agreement or settlement", "accord ou règlement commercial")

        process = None
        if ctx is not None:
            spec = self.code(ctx, "GuidelineSpecifiedDocumentContextParameter/ID")
            bp = self.code(ctx, "BusinessProcessSpecifiedDocumentContextParameter/ID")
            process = ProcessControl(specification_id=spec or "", business_process=bp)

        issue_date = self.date(doc, "IssueDateTime", "BT-2")
        if issue_date is None:
            raise _missing("BT-2", "issue date", "date d'émission")
        type_code = self.code(doc, "TypeCode") or ""
        notes = tuple(
            Note(text=self.text(n, "Content") or "", subject_code=self.code(n, "SubjectCode"))
            for n in doc.iterfind(_r("IncludedNote"))
        )

        invoice_currency = self.code(stl, "InvoiceCurrencyCode") or ""
        tax_point_date, tax_point_code, breakdown = self.vat_breakdown(stl)
        tender, invoiced_object, documents = self.additional_documents(agr)
        terms = stl.findall(_r("SpecifiedTradePaymentTerms"))
        project = _find(agr, "SpecifiedProcuringProject")

        return Invoice(
            number=self.code(doc, "ID") or "",
            issue_date=issue_date,
            type_code=_DOC_TYPES.get(type_code, type_code),
            currency=invoice_currency,
            seller=self.party(_find(agr, "SellerTradeParty"), Seller),
            buyer=self.party(_find(agr, "BuyerTradeParty"), Buyer),
            totals=self.totals(stl, invoice_currency),
            tax_currency=self.code(stl, "TaxCurrencyCode"),
            tax_point_date=tax_point_date,
            tax_point_date_code=tax_point_code,
            due_date=_first(self.date(t, "DueDateDateTime", "BT-9") for t in terms),
            buyer_reference=self.text(agr, "BuyerReference"),
            project_reference=self.code(project, "ID"),
            contract_reference=self.code(agr, "ContractReferencedDocument/IssuerAssignedID"),
            purchase_order_reference=self.code(agr, "BuyerOrderReferencedDocument/IssuerAssignedID"),
            sales_order_reference=self.code(agr, "SellerOrderReferencedDocument/IssuerAssignedID"),
            receiving_advice=self.code(dlv, "ReceivingAdviceReferencedDocument/IssuerAssignedID"),
            despatch_advice=self.code(dlv, "DespatchAdviceReferencedDocument/IssuerAssignedID"),
            tender_reference=tender,
            invoiced_object=invoiced_object,
            buyer_accounting_reference=self.code(stl, "ReceivableSpecifiedTradeAccountingAccount/ID"),
            # EN 16931 has one BT-20; EXTENDED may split the terms: keep every text.
            payment_terms=_joined(_find(t, "Description") for t in terms),
            notes=notes,
            process=process,
            preceding_invoices=tuple(
                PrecedingInvoice(
                    reference=self.code(d, "IssuerAssignedID") or "",
                    issue_date=self.date(d, "FormattedIssueDateTime", "BT-26"),
                    type_code=self.code(d, "TypeCode"),
                )
                for d in stl.iterfind(_r("InvoiceReferencedDocument"))
            ),
            payee=self.payee(_find(stl, "PayeeTradeParty")),
            tax_representative=self.tax_representative(_find(agr, "SellerTaxRepresentativeTradeParty")),
            delivery=self.delivery(dlv),
            invoicing_period=self.period(_find(stl, "BillingSpecifiedPeriod")),
            payment=self.payment(stl, terms),
            allowances_charges=tuple(
                self.allowance_charge(ac) for ac in stl.iterfind(_r("SpecifiedTradeAllowanceCharge"))
            ),
            vat_breakdown=breakdown,
            additional_documents=documents,
            lines=tuple(self.line(li) for li in tx.iterfind(_r("IncludedSupplyChainTradeLineItem"))),
            logistics_charges=tuple(
                self.logistics_charge(lc) for lc in stl.iterfind(_r("SpecifiedLogisticsServiceCharge"))
            ),
        )

    # -- parties

    def address(self, party: _E | None) -> PostalAddress | None:
        a = _find(party, "PostalTradeAddress") if party is not None else None
        if a is None:
            return None
        return PostalAddress(
            country=self.code(a, "CountryID") or "",
            line1=self.text(a, "LineOne"),
            line2=self.text(a, "LineTwo"),
            line3=self.text(a, "LineThree"),
            city=self.text(a, "CityName"),
            post_code=self.code(a, "PostcodeCode"),
            subdivision=self.text(a, "CountrySubDivisionName"),
        )

    def contact(self, party: _E) -> Contact | None:
        c = _find(party, "DefinedTradeContact")
        if c is None:
            return None
        contact = Contact(
            name=self.text(c, "PersonName"),
            department=self.text(c, "DepartmentName"),
            phone=self.text(c, "TelephoneUniversalCommunication/CompleteNumber"),
            email=self.text(c, "EmailURIUniversalCommunication/URIID"),
        )
        return None if contact == _EMPTY_CONTACT else contact

    def identifiers(self, party: _E) -> tuple[Identifier, ...]:
        ids = [self.identifier(i) for i in party.iterfind(_r("ID"))]
        ids += [self.identifier(i) for i in party.iterfind(_r("GlobalID"))]
        return tuple(i for i in ids if i is not None)

    def party(self, party: _E | None, cls: type[Seller] | type[Buyer]) -> Seller | Buyer:
        if party is None:
            return cls(name="")
        legal = _find(party, "SpecifiedLegalOrganization")
        uri = _find(party, "URIUniversalCommunication/URIID")
        electronic = None
        if uri is not None and (uri.text or "").strip():
            electronic = ElectronicAddress((uri.text or "").strip(), (uri.get("schemeID") or "").strip())
        vat_id = tax_id = None
        for reg in party.iterfind(_r("SpecifiedTaxRegistration/ID")):
            scheme = (reg.get("schemeID") or "").strip().upper()
            if scheme == "VA" and vat_id is None:
                vat_id = self.code(reg)
            elif scheme == "FC" and tax_id is None:
                tax_id = self.code(reg)
        return cls(
            name=self.text(party, "Name") or "",
            trading_name=self.text(legal, "TradingBusinessName"),
            identifiers=self.identifiers(party),
            legal_registration=self.identifier(_find(legal, "ID")) if legal is not None else None,
            vat_id=vat_id,
            tax_registration_id=tax_id,
            legal_form=self.text(party, "Description"),
            electronic_address=electronic,
            address=self.address(party),
            contact=self.contact(party),
        )

    def payee(self, party: _E | None) -> Payee | None:
        if party is None:
            return None
        ids = self.identifiers(party)
        legal = _find(party, "SpecifiedLegalOrganization/ID")
        return Payee(
            name=self.text(party, "Name") or "",
            identifier=ids[0] if ids else None,
            legal_registration=self.identifier(legal),
        )

    def tax_representative(self, party: _E | None) -> TaxRepresentative | None:
        if party is None:
            return None
        vat_id = ""
        for reg in party.iterfind(_r("SpecifiedTaxRegistration/ID")):
            vat_id = self.code(reg) or ""
            break
        return TaxRepresentative(
            name=self.text(party, "Name") or "",
            vat_id=vat_id,
            address=self.address(party) or PostalAddress(country=""),
        )

    def delivery(self, dlv: _E | None) -> Delivery | None:
        if dlv is None:
            return None
        ship_to = _find(dlv, "ShipToTradeParty")
        ids = self.identifiers(ship_to) if ship_to is not None else ()
        delivery = Delivery(
            party_name=self.text(ship_to, "Name"),
            location_id=ids[0] if ids else None,
            actual_date=self.date(dlv, "ActualDeliverySupplyChainEvent/OccurrenceDateTime", "BT-72"),
            address=self.address(ship_to),
        )
        return None if delivery == _EMPTY_DELIVERY else delivery

    # -- settlement

    def period(self, el: _E | None) -> Period | None:
        if el is None:
            return None
        return Period(start=self.date(el, "StartDateTime", "BT-73"), end=self.date(el, "EndDateTime", "BT-74"))

    def vat_breakdown(self, stl: _E) -> tuple[date | None, str | None, tuple[VatBreakdown, ...]]:
        point_date = point_code = None
        rows = []
        for t in stl.iterfind(_r("ApplicableTradeTax")):
            point_date = point_date or self.date(t, "TaxPointDate", "BT-7")
            point_code = point_code or self.code(t, "DueDateTypeCode")
            category = self.code(t, "CategoryCode") or ""
            rows.append(
                VatBreakdown(
                    taxable_amount=self.required_decimal(
                        t, "BasisAmount", "BT-116", "VAT category taxable amount", "base d'imposition"
                    ),
                    tax_amount=self.required_decimal(
                        t, "CalculatedAmount", "BT-117", "VAT category tax amount", "montant de TVA"
                    ),
                    category=_VAT_CATEGORIES.get(category, category),
                    rate=self.decimal(t, "RateApplicablePercent", "BT-119"),
                    exemption_reason=self.text(t, "ExemptionReason"),
                    exemption_code=self.code(t, "ExemptionReasonCode"),
                )
            )
        return point_date, _DUE_DATE_CODES.get(point_code or "", point_code), tuple(rows)

    def allowance_charge(self, ac: _E) -> AllowanceCharge:
        tax = _find(ac, "CategoryTradeTax")
        category = self.code(tax, "CategoryCode") or ""
        return AllowanceCharge(
            is_charge=_indicator(ac),
            amount=self.required_decimal(ac, "ActualAmount", "BT-92", "allowance or charge amount", "montant"),
            vat_category=_VAT_CATEGORIES.get(category, category),
            vat_rate=self.decimal(tax, "RateApplicablePercent", "BT-96"),
            base_amount=self.decimal(ac, "BasisAmount", "BT-93"),
            percentage=self.decimal(ac, "CalculationPercent", "BT-94"),
            reason=self.text(ac, "Reason"),
            reason_code=self.code(ac, "ReasonCode"),
            vat_exemption_reason=self.text(tax, "ExemptionReason"),
            vat_exemption_code=self.code(tax, "ExemptionReasonCode"),
        )

    def logistics_charge(self, lc: _E) -> LogisticsCharge:
        tax = _find(lc, "AppliedTradeTax")
        category = self.code(tax, "CategoryCode") or ""
        return LogisticsCharge(
            description=self.text(lc, "Description") or "",
            amount=self.required_decimal(lc, "AppliedAmount", "BT-X-272", "logistics charge amount", "montant"),
            vat_category=_VAT_CATEGORIES.get(category, category),
            vat_rate=self.decimal(tax, "RateApplicablePercent", "BT-X-274"),
        )

    def payment(self, stl: _E, terms: list[_E]) -> PaymentInstructions | None:
        means = stl.findall(_r("SpecifiedTradeSettlementPaymentMeans"))
        remittance = self.text(stl, "PaymentReference")
        creditor_id = self.code(stl, "CreditorReferenceID")
        mandate = _first(self.code(t, "DirectDebitMandateID") for t in terms)
        first = means[0] if means else None
        debited = self.code(first, "PayerPartyDebtorFinancialAccount/IBANID")
        card_el = _find(first, "ApplicableTradeSettlementFinancialCard") if first is not None else None
        if first is None and remittance is None and creditor_id is None and mandate is None:
            return None
        transfers = []
        for m in means:
            for account in m.iterfind(_r("PayeePartyCreditorFinancialAccount")):
                iban = self.code(account, "IBANID")
                proprietary = self.code(account, "ProprietaryID")
                transfers.append(
                    CreditTransfer(
                        account_id=iban or proprietary or "",
                        account_name=self.text(account, "AccountName"),
                        service_provider_id=self.code(m, "PayeeSpecifiedCreditorFinancialInstitution/BICID"),
                        proprietary_id=iban is None and proprietary is not None,
                    )
                )
        direct_debit = None
        if mandate is not None or creditor_id is not None or debited is not None:
            direct_debit = DirectDebit(mandate_reference=mandate, creditor_id=creditor_id, debited_account=debited)
        return PaymentInstructions(
            means_code=self.code(first, "TypeCode") or "",
            means_text=self.text(first, "Information"),
            remittance=remittance,
            credit_transfers=tuple(transfers),
            card=PaymentCard(
                account_number=self.code(card_el, "ID") or "",
                holder_name=self.text(card_el, "CardholderName"),
            )
            if card_el is not None
            else None,
            direct_debit=direct_debit,
        )

    def totals(self, stl: _E, currency: str) -> DocumentTotals:
        s = _find(stl, "SpecifiedTradeSettlementHeaderMonetarySummation")
        if s is None:
            raise _missing("BG-22", "document totals", "totaux du document")
        tax_total = tax_accounting = tax_currency = None
        for t in s.iterfind(_r("TaxTotalAmount")):
            cur = (t.get("currencyID") or "").strip()
            if (not cur or cur == currency) and tax_total is None:
                tax_total = self.decimal(t, None, "BT-110")
            else:
                tax_accounting = self.decimal(t, None, "BT-111")
                tax_currency = cur or None
        return DocumentTotals(
            tax_exclusive=self.required_decimal(
                s, "TaxBasisTotalAmount", "BT-109", "total without VAT", "total hors TVA"
            ),
            tax_inclusive=self.required_decimal(s, "GrandTotalAmount", "BT-112", "total with VAT", "total TTC"),
            amount_due=self.required_decimal(s, "DuePayableAmount", "BT-115", "amount due", "montant à payer"),
            line_net_total=self.decimal(s, "LineTotalAmount", "BT-106"),
            allowance_total=self.decimal(s, "AllowanceTotalAmount", "BT-107"),
            charge_total=self.decimal(s, "ChargeTotalAmount", "BT-108"),
            tax_total=tax_total,
            tax_total_accounting=tax_accounting,
            tax_currency=tax_currency,
            prepaid=self.decimal(s, "TotalPrepaidAmount", "BT-113"),
            rounding=self.decimal(s, "RoundingAmount", "BT-114"),
        )

    def additional_documents(self, agr: _E) -> tuple[str | None, Identifier | None, tuple[AdditionalDocument, ...]]:
        tender = None
        invoiced_object = None
        documents = []
        for d in agr.iterfind(_r("AdditionalReferencedDocument")):
            type_code = self.code(d, "TypeCode")
            reference = self.code(d, "IssuerAssignedID") or ""
            if type_code == "50" and tender is None:
                tender = reference
            elif type_code == "130" and invoiced_object is None:
                invoiced_object = Identifier(reference, self.code(d, "ReferenceTypeCode"))
            else:
                binary = _find(d, "AttachmentBinaryObject")
                documents.append(
                    AdditionalDocument(
                        reference=reference,
                        description=self.text(d, "Name"),
                        uri=self.code(d, "URIID"),
                        attachment=_base64(binary) if binary is not None else None,
                        mime_code=binary.get("mimeCode") if binary is not None else None,
                        filename=binary.get("filename") if binary is not None else None,
                    )
                )
        return tender, invoiced_object, tuple(documents)

    # -- lines

    def line(self, li: _E) -> InvoiceLine:
        doc = _find(li, "AssociatedDocumentLineDocument")
        line_id = self.code(doc, "LineID") or ""
        bt = f"line {line_id}"
        product = _find(li, "SpecifiedTradeProduct")
        agr = _find(li, "SpecifiedLineTradeAgreement")
        stl = _find(li, "SpecifiedLineTradeSettlement")
        quantity_el = _find(li, "SpecifiedLineTradeDelivery/BilledQuantity")
        quantity = self.decimal(quantity_el, None, f"BT-129 ({bt})")
        if quantity is None:
            raise _missing(f"BT-129, {bt}", "invoiced quantity", "quantité facturée")
        net = _find(agr, "NetPriceProductTradePrice") if agr is not None else None
        gross = _find(agr, "GrossPriceProductTradePrice") if agr is not None else None
        net_price = self.decimal(net, "ChargeAmount", f"BT-146 ({bt})")
        if net_price is None:
            raise _missing(f"BT-146, {bt}", "item net price", "prix net")
        basis = _find(net, "BasisQuantity") if net is not None else None
        gross_basis = _find(gross, "BasisQuantity") if gross is not None else None
        discount = None
        if gross is not None:
            for ac in gross.iterfind(_r("AppliedTradeAllowanceCharge")):
                if not _indicator(ac):
                    discount = self.decimal(ac, "ActualAmount", f"BT-147 ({bt})")
                    break
        tax = _find(stl, "ApplicableTradeTax") if stl is not None else None
        category = self.code(tax, "CategoryCode") or ""
        net_amount = self.decimal(stl, "SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount")
        if net_amount is None:
            raise _missing(f"BT-131, {bt}", "invoice line net amount", "montant net de ligne")
        object_id = None
        if stl is not None:
            for d in stl.iterfind(_r("AdditionalReferencedDocument")):
                if self.code(d, "TypeCode") in ("130", None):  # BT-128 (the code is often left out)
                    object_id = Identifier(self.code(d, "IssuerAssignedID") or "", self.code(d, "ReferenceTypeCode"))
                    break
        return InvoiceLine(
            id=line_id,
            quantity=quantity,
            unit=(quantity_el.get("unitCode") or "").strip() if quantity_el is not None else "",
            net_amount=net_amount,
            price=Price(
                net_price=net_price,
                discount=discount,
                gross_price=self.decimal(gross, "ChargeAmount", f"BT-148 ({bt})"),
                base_quantity=self.decimal(basis, None, f"BT-149 ({bt})"),
                base_unit=_unit(basis),
                gross_base_quantity=self.decimal(gross_basis, None, f"BT-149-1 ({bt})"),
                gross_base_unit=_unit(gross_basis),
            ),
            vat=LineVat(
                category=_VAT_CATEGORIES.get(category, category),
                rate=self.decimal(tax, "RateApplicablePercent", f"BT-152 ({bt})"),
                exemption_reason=self.text(tax, "ExemptionReason"),
                exemption_code=self.code(tax, "ExemptionReasonCode"),
            ),
            item=self.item(product),
            # BT-127 is one text; EXTENDED may split it into several notes: keep every text.
            note=_joined(doc.iterfind(_r("IncludedNote/Content"))) if doc is not None else None,
            object_id=object_id,
            order_line_reference=self.code(agr, "BuyerOrderReferencedDocument/LineID"),
            accounting_reference=self.code(stl, "ReceivableSpecifiedTradeAccountingAccount/ID"),
            period=self.period(_find(stl, "BillingSpecifiedPeriod") if stl is not None else None),
            allowances_charges=tuple(
                LineAllowanceCharge(
                    is_charge=_indicator(ac),
                    amount=self.required_decimal(ac, "ActualAmount", f"BT-136 ({bt})", "amount", "montant"),
                    base_amount=self.decimal(ac, "BasisAmount", f"BT-137 ({bt})"),
                    percentage=self.decimal(ac, "CalculationPercent", f"BT-138 ({bt})"),
                    reason=self.text(ac, "Reason"),
                    reason_code=self.code(ac, "ReasonCode"),
                )
                for ac in (stl.iterfind(_r("SpecifiedTradeAllowanceCharge")) if stl is not None else ())
            ),
            parent_line_id=self.code(doc, "ParentLineID"),
            subtype=self.code(doc, "LineStatusReasonCode"),
        )

    def item(self, product: _E | None) -> Item:
        if product is None:
            return Item(name="")
        return Item(
            name=self.text(product, "Name") or "",
            description=self.text(product, "Description"),
            seller_id=self.code(product, "SellerAssignedID"),
            buyer_id=self.code(product, "BuyerAssignedID"),
            standard_id=self.identifier(_find(product, "GlobalID")),
            classifications=tuple(
                ItemClassification(code=code, scheme=c.get("listID"), version=c.get("listVersionID"))
                for c in product.iterfind(_r("DesignatedProductClassification/ClassCode"))
                if (code := (c.text or "").strip())
            ),
            origin_country=self.code(product, "OriginTradeCountry/ID"),
            attributes=tuple(
                ItemAttribute(name=self.text(a, "Description") or "", value=self.text(a, "Value") or "")
                for a in product.iterfind(_r("ApplicableProductCharacteristic"))
            ),
        )


# BT-8: CII writes UNTDID 2475 (5, 29, 72), the model holds UNTDID 2005 (3, 35, 432).
_DUE_DATE_CODES = {"5": "3", "29": "35", "72": "432"}
_EMPTY_CONTACT = Contact()
_EMPTY_DELIVERY = Delivery()


def _first(values: Iterable[_V | None]) -> _V | None:
    """The first value that is not None."""
    for value in values:
        if value is not None:
            return value
    return None


def _joined(elements: Iterable[_E | None]) -> str | None:
    """The non-empty texts of `elements`, one per line (None when there is none)."""
    return "\n".join(el.text for el in elements if el is not None and el.text) or None


def _unit(quantity: _E | None) -> str | None:
    return ((quantity.get("unitCode") or "").strip() or None) if quantity is not None else None


def _indicator(ac: _E) -> bool:
    el = ac.find(f"{_r('ChargeIndicator')}/{_P.IND}")
    return el is not None and (el.text or "").strip().lower() in ("true", "1")


def _base64(el: _E) -> bytes:
    try:
        return base64.b64decode("".join((el.text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        raise UnsupportedDocument(
            Message(
                fr="Une pièce jointe (BT-125) n'est pas un contenu base64 valide.",
                en="An attached document (BT-125) is not valid base64 content.",
            ),
            detail="BT-125",
        ) from None
