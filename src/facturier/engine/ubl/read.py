"""UBL 2.1 reader: a UBL `Invoice` or `CreditNote` into the EN 16931 model.

Tolerant of what real producers write (a BOM, a lying encoding declaration — both handled
by the shared secure parser —, stray whitespace, optional groups left out, a CreditNote
written with the Invoice forms of BT-9 and BT-11 or the other way round), strict about
safety: the bytes go through `facturier.engine.xml.parse_xml` (no DTD, no entities, no
network, size cap) and anything that is not UBL is refused with `UnsupportedDocument`.

Free text (names, notes, descriptions, address lines…) is read exactly as written, "" when
the element is empty; identifiers, codes, dates and numbers without surrounding blanks, an
empty one as absent. A mandatory text that is missing is kept as "" (the business rules
report it); a mandatory amount that is missing is read as 0. A missing issue date (BT-2),
or a value that is not a decimal or a date where UBL requires one, raises `InputError`.

Sub-lines of the XRechnung extension (`cac:SubInvoiceLine`, `cac:SubCreditNoteLine`) are
read as lines of their own, after their parent, with its id as their parent line id.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from datetime import date
from decimal import Decimal

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
from facturier.engine.en16931.money import parse_decimal
from facturier.engine.en16931.sublines import derive_subtypes
from facturier.engine.errors import CalculationError, InputError, Message, UnsupportedDocument
from facturier.engine.ubl.write import A, B, is_iban_shaped
from facturier.engine.xml import DEFAULT_MAX_BYTES, detect, parse_xml

__all__ = ["read_ubl"]

_NOTE_SUBJECT = re.compile(r"#([A-Z]{3})#(.*)", re.DOTALL)
_DOCUMENT_TYPES = {c.value: c for c in DocumentTypeCode}
_VAT_CATEGORIES = {c.value: c for c in VatCategory}

# Element paths, computed once.
_PARTY = A.Party
_NAME = f"{A.PartyName}/{B.Name}"
_LEGAL = A.PartyLegalEntity
_COUNTRY = f"{A.Country}/{B.IdentificationCode}"
_ADDRESS_LINE = f"{A.AddressLine}/{B.Line}"
_TAX_SCHEME_ID = f"{A.TaxScheme}/{B.ID}"
_BRANCH_ID = f"{A.FinancialInstitutionBranch}/{B.ID}"
_PAYER_ACCOUNT_ID = f"{A.PayerFinancialAccount}/{B.ID}"
_EMBEDDED = f"{A.Attachment}/{B.EmbeddedDocumentBinaryObject}"
_URI = f"{A.Attachment}/{A.ExternalReference}/{B.URI}"
_DELIVERY_PARTY_NAME = f"{A.DeliveryParty}/{A.PartyName}/{B.Name}"
_BILLING_DOC = A.InvoiceDocumentReference
_CHARGE_TRUE = frozenset({"true", "1"})


def _bad_value(kind_fr: str, kind_en: str, tag: str, value: str) -> InputError:
    local = etree.QName(tag).localname
    return InputError(
        Message(
            fr=f"La valeur « {value} » de l'élément {local} n'est pas {kind_fr} valide.",
            en=f"The value '{value}' of element {local} is not a valid {kind_en}.",
        ),
        detail=local,
    )


def _s(el: etree._Element | None, path: str) -> str | None:
    """Text at ``path`` below ``el``, stripped; None when absent or blank."""
    if el is None:
        return None
    text = el.findtext(path)
    if text is None:
        return None
    text = text.strip()
    return text or None


def _txt(el: etree._Element | None, path: str) -> str | None:
    """Free text at ``path`` below ``el``, as written; None when absent, "" when empty."""
    if el is None:
        return None
    found = el.find(path)
    return None if found is None else (found.text or "")


def _own(el: etree._Element | None) -> str | None:
    if el is None or el.text is None:
        return None
    return el.text.strip() or None


def _dec_el(el: etree._Element | None) -> Decimal | None:
    text = _own(el)
    if text is None:
        return None
    try:
        return parse_decimal(text)
    except CalculationError:
        raise _bad_value("un nombre décimal", "decimal number", el.tag, text) from None


def _dec(el: etree._Element | None, path: str) -> Decimal | None:
    return None if el is None else _dec_el(el.find(path))


def _date(el: etree._Element | None, path: str) -> date | None:
    if el is None:
        return None
    found = el.find(path)
    text = _own(found)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise _bad_value("une date (AAAA-MM-JJ)", "date (YYYY-MM-DD)", found.tag, text) from None


_ZONE = re.compile(r"(Z|[+-]\d\d:\d\d)$")


def _zone(el: etree._Element, path: str) -> str | None:
    """The time zone of an xs:date ("2026-05-01+02:00" -> "+02:00"), if it has one."""
    text = _own(el.find(path)) or ""
    found = _ZONE.search(text) if len(text) > 10 else None
    return found.group(1) if found else None


def _ident(el: etree._Element | None) -> Identifier | None:
    value = _own(el)
    if value is None:
        return None
    scheme = el.get("schemeID")
    return Identifier(value, scheme.strip() if scheme and scheme.strip() else None)


def _document_type(code: str | None) -> DocumentTypeCode | str:
    code = code or ""
    return _DOCUMENT_TYPES.get(code, code)


def _vat_category(code: str | None) -> VatCategory | str:
    code = code or ""
    return _VAT_CATEGORIES.get(code, code)


def _address(el: etree._Element | None) -> PostalAddress | None:
    if el is None:
        return None
    return PostalAddress(
        country=_s(el, _COUNTRY) or "",
        line1=_txt(el, B.StreetName),
        line2=_txt(el, B.AdditionalStreetName),
        line3=_txt(el, _ADDRESS_LINE),
        city=_txt(el, B.CityName),
        post_code=_s(el, B.PostalZone),
        subdivision=_txt(el, B.CountrySubentity),
    )


def _contact(party: etree._Element) -> Contact | None:
    el = party.find(A.Contact)
    if el is None:
        return None
    contact = Contact(name=_txt(el, B.Name), phone=_txt(el, B.Telephone), email=_txt(el, B.ElectronicMail))
    return None if contact == _EMPTY_CONTACT else contact


_EMPTY_CONTACT = Contact()


def _endpoint(party: etree._Element) -> ElectronicAddress | None:
    el = party.find(B.EndpointID)
    value = _own(el)
    if value is None:
        return None
    return ElectronicAddress(value, (el.get("schemeID") or "").strip())


def _tax_schemes(party: etree._Element) -> tuple[str | None, str | None]:
    """(VAT identifier, other tax registration identifier) of a party."""
    vat = other = None
    for pts in party.iterfind(A.PartyTaxScheme):
        company = _s(pts, B.CompanyID)
        if company is None:
            continue
        if (_s(pts, _TAX_SCHEME_ID) or "").upper() == "VAT":
            vat = vat or company
        else:
            other = other or company
    return vat, other


def _identifications(party: etree._Element | None) -> tuple[list[Identifier], str | None]:
    """(party identifiers, SEPA creditor identifier BT-90) of a party."""
    idents: list[Identifier] = []
    creditor = None
    if party is None:
        return idents, creditor
    for el in party.iterfind(f"{A.PartyIdentification}/{B.ID}"):
        ident = _ident(el)
        if ident is None:
            continue
        if (ident.scheme or "").upper() == "SEPA":
            creditor = creditor or ident.value
        else:
            idents.append(ident)
    return idents, creditor


class _Reader:
    def __init__(self, root: etree._Element):
        self.root = root
        self.credit = etree.QName(root).localname == "CreditNote"
        self.currency = _s(root, B.DocumentCurrencyCode) or ""
        self.creditor_id: str | None = None

    def invoice(self) -> Invoice:
        r = self.root
        number = _s(r, B.ID) or ""
        spec, profile = _s(r, B.CustomizationID), _s(r, B.ProfileID)
        project = _s(r, f"{A.ProjectReference}/{B.ID}")
        invoiced_object, project_doc, documents = self.additional_documents()
        order = r.find(A.OrderReference)
        po, so = _s(order, B.ID), _s(order, B.SalesOrderID)
        if po == "NA" and so is not None:  # the placeholder EN 16931 prescribes for BT-14 alone
            po = None
        seller = self.seller()
        payee = self.payee()
        totals, breakdown = self.taxes_and_totals()
        means = r.findall(A.PaymentMeans)
        due = _date(r, B.DueDate) or _date(r, f"{A.PaymentMeans}/{B.PaymentDueDate}")
        due = due or _date(r, f"{A.PaymentTerms}/{B.PaymentDueDate}")
        terms = [t for t in (_txt(el, B.Note) for el in r.iterfind(A.PaymentTerms)) if t is not None]
        issue_date = _date(r, B.IssueDate)
        if issue_date is None:
            raise InputError(
                Message(
                    fr="La facture n'a pas de date d'émission (BT-2, cbc:IssueDate) : elle ne peut pas être lue.",
                    en="The invoice has no issue date (BT-2, cbc:IssueDate): it cannot be read.",
                ),
                detail="BT-2",
            )
        return Invoice(
            number=number,
            issue_date=issue_date,
            issue_date_zone=_zone(r, B.IssueDate),
            type_code=_document_type(
                _s(r, B.CreditNoteTypeCode if self.credit else B.InvoiceTypeCode)
                or _s(r, B.InvoiceTypeCode)
                or _s(r, B.CreditNoteTypeCode)
            ),
            currency=self.currency,
            seller=seller,
            buyer=self.buyer(),
            totals=totals,
            tax_currency=_s(r, B.TaxCurrencyCode),
            tax_point_date=_date(r, B.TaxPointDate),
            tax_point_date_code=_s(r, f"{A.InvoicePeriod}/{B.DescriptionCode}"),
            due_date=due,
            buyer_reference=_txt(r, B.BuyerReference),
            project_reference=project or project_doc,
            contract_reference=_s(r, f"{A.ContractDocumentReference}/{B.ID}"),
            purchase_order_reference=po,
            sales_order_reference=so,
            receiving_advice=_s(r, f"{A.ReceiptDocumentReference}/{B.ID}"),
            despatch_advice=_s(r, f"{A.DespatchDocumentReference}/{B.ID}"),
            tender_reference=_s(r, f"{A.OriginatorDocumentReference}/{B.ID}"),
            invoiced_object=invoiced_object,
            buyer_accounting_reference=_s(r, B.AccountingCost),
            payment_terms="\n".join(terms) if terms else None,
            notes=self.notes(),
            process=ProcessControl(specification_id=spec or "", business_process=profile)
            if spec is not None or profile is not None
            else None,
            preceding_invoices=self.preceding(),
            payee=payee,
            tax_representative=self.tax_representative(),
            delivery=self.delivery(),
            invoicing_period=self.period(r.find(A.InvoicePeriod)),
            payment=self.payment(means),
            allowances_charges=tuple(self.allowance_charge(el) for el in r.iterfind(A.AllowanceCharge)),
            vat_breakdown=breakdown,
            additional_documents=documents,
            lines=self.lines(),
        )

    # --- header ------------------------------------------------------------------------

    def notes(self) -> tuple[Note, ...]:
        notes = []
        for el in self.root.iterfind(B.Note):
            text = el.text or ""
            m = _NOTE_SUBJECT.fullmatch(text.lstrip())
            notes.append(Note(text=m.group(2), subject_code=m.group(1)) if m else Note(text=text))
        return tuple(notes)

    def preceding(self) -> tuple[PrecedingInvoice, ...]:
        out = []
        for el in self.root.iterfind(f"{A.BillingReference}/{_BILLING_DOC}"):
            out.append(
                PrecedingInvoice(
                    reference=_s(el, B.ID) or "",
                    issue_date=_date(el, B.IssueDate),
                    type_code=_s(el, B.DocumentTypeCode),
                )
            )
        return tuple(out)

    def additional_documents(self) -> tuple[Identifier | None, str | None, tuple[AdditionalDocument, ...]]:
        invoiced_object = project = None
        docs = []
        for el in self.root.iterfind(A.AdditionalDocumentReference):
            code = _s(el, B.DocumentTypeCode)
            if code == "130" and invoiced_object is None:
                invoiced_object = _ident(el.find(B.ID))
                continue
            if code == "50" and project is None:
                project = _s(el, B.ID)
                continue
            docs.append(self.additional_document(el))
        return invoiced_object, project, tuple(docs)

    def additional_document(self, el: etree._Element) -> AdditionalDocument:
        emb = el.find(_EMBEDDED)
        attachment = mime = filename = None
        if emb is not None:
            raw = "".join((emb.text or "").split())
            try:
                attachment = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                raise _bad_value("un contenu base64", "base64 content", emb.tag, raw[:40]) from None
            mime = (emb.get("mimeCode") or "").strip() or None
            filename = (emb.get("filename") or "").strip() or None
        return AdditionalDocument(
            reference=_s(el, B.ID) or "",
            description=_txt(el, B.DocumentDescription),
            uri=_s(el, _URI),
            attachment=attachment,
            mime_code=mime,
            filename=filename,
        )

    def period(self, el: etree._Element | None) -> Period | None:
        if el is None:
            return None
        start, end = _date(el, B.StartDate), _date(el, B.EndDate)
        return None if start is None and end is None else Period(start=start, end=end)

    # --- parties -----------------------------------------------------------------------

    def seller(self) -> Seller:
        party = self.root.find(f"{A.AccountingSupplierParty}/{_PARTY}")
        if party is None:
            return Seller(name="")
        idents, creditor = _identifications(party)
        self.creditor_id = self.creditor_id or creditor
        vat, tax = _tax_schemes(party)
        legal = party.find(_LEGAL)
        return Seller(
            name=_txt(legal, B.RegistrationName) or "",
            trading_name=_txt(party, _NAME),
            identifiers=tuple(idents),
            legal_registration=_ident(legal.find(B.CompanyID)) if legal is not None else None,
            vat_id=vat,
            tax_registration_id=tax,
            legal_form=_txt(legal, B.CompanyLegalForm),
            electronic_address=_endpoint(party),
            address=_address(party.find(A.PostalAddress)),
            contact=_contact(party),
        )

    def buyer(self) -> Buyer:
        party = self.root.find(f"{A.AccountingCustomerParty}/{_PARTY}")
        if party is None:
            return Buyer(name="")
        idents, _ = _identifications(party)
        vat, tax = _tax_schemes(party)
        legal = party.find(_LEGAL)
        return Buyer(
            name=_txt(legal, B.RegistrationName) or "",
            trading_name=_txt(party, _NAME),
            identifiers=tuple(idents),
            legal_registration=_ident(legal.find(B.CompanyID)) if legal is not None else None,
            vat_id=vat,
            tax_registration_id=tax,
            legal_form=_txt(legal, B.CompanyLegalForm),
            electronic_address=_endpoint(party),
            address=_address(party.find(A.PostalAddress)),
            contact=_contact(party),
        )

    def payee(self) -> Payee | None:
        party = self.root.find(A.PayeeParty)
        if party is None:
            return None
        idents, creditor = _identifications(party)
        self.creditor_id = creditor or self.creditor_id
        name = _txt(party, _NAME)
        legal = party.find(_LEGAL)
        registration = _ident(legal.find(B.CompanyID)) if legal is not None else None
        if name is None and not idents and registration is None:
            return None  # only the SEPA creditor identifier (BT-90) was given
        return Payee(name=name or "", identifier=idents[0] if idents else None, legal_registration=registration)

    def tax_representative(self) -> TaxRepresentative | None:
        party = self.root.find(A.TaxRepresentativeParty)
        if party is None:
            return None
        vat, _ = _tax_schemes(party)
        return TaxRepresentative(
            name=_txt(party, _NAME) or "",
            vat_id=vat or _s(party, f"{A.PartyTaxScheme}/{B.CompanyID}") or "",
            address=_address(party.find(A.PostalAddress)) or PostalAddress(country=""),
        )

    def delivery(self) -> Delivery | None:
        el = self.root.find(A.Delivery)
        if el is None:
            return None
        loc = el.find(A.DeliveryLocation)
        d = Delivery(
            party_name=_txt(el, _DELIVERY_PARTY_NAME),
            location_id=_ident(loc.find(B.ID)) if loc is not None else None,
            actual_date=_date(el, B.ActualDeliveryDate),
            address=_address(loc.find(A.Address)) if loc is not None else None,
        )
        return None if d == _EMPTY_DELIVERY else d

    # --- payment and amounts -----------------------------------------------------------

    def payment(self, means: list[etree._Element]) -> PaymentInstructions | None:
        if not means:
            # BG-16 needs BT-81: a SEPA creditor identifier (BT-90) without any payment
            # means has no place in the model and is not read.
            return None
        code = text = remittance = None
        transfers: list[CreditTransfer] = []
        card = None
        mandate_ref = debited = None
        for m in means:
            code_el = m.find(B.PaymentMeansCode)
            if code is None:
                code = _own(code_el)
            if text is None and code_el is not None:
                text = code_el.get("name")
            remittance = remittance or _s(m, B.PaymentID)
            for fa in m.iterfind(A.PayeeFinancialAccount):
                account = _s(fa, B.ID) or ""
                transfers.append(
                    CreditTransfer(
                        account_id=account,
                        account_name=_txt(fa, B.Name),
                        service_provider_id=_s(fa, _BRANCH_ID),
                        proprietary_id=not is_iban_shaped(account),
                    )
                )
            card_el = m.find(A.CardAccount)
            if card is None and card_el is not None:
                card = PaymentCard(
                    account_number=_s(card_el, B.PrimaryAccountNumberID) or "",
                    holder_name=_txt(card_el, B.HolderName),
                )
            mandate = m.find(A.PaymentMandate)
            if mandate is not None and mandate_ref is None and debited is None:
                mandate_ref, debited = _s(mandate, B.ID), _s(mandate, _PAYER_ACCOUNT_ID)
        direct_debit = None
        if mandate_ref is not None or debited is not None or self.creditor_id is not None:
            direct_debit = DirectDebit(
                mandate_reference=mandate_ref, creditor_id=self.creditor_id, debited_account=debited
            )
        return PaymentInstructions(
            means_code=code or "",
            means_text=text,
            remittance=remittance,
            credit_transfers=tuple(transfers),
            card=card,
            direct_debit=direct_debit,
        )

    def allowance_charge(self, el: etree._Element) -> AllowanceCharge:
        cat = el.find(A.TaxCategory)
        return AllowanceCharge(
            is_charge=(_s(el, B.ChargeIndicator) or "").lower() in _CHARGE_TRUE,
            amount=_dec(el, B.Amount) or Decimal(0),
            vat_category=_vat_category(_s(cat, B.ID)),
            vat_rate=_dec(cat, B.Percent),
            base_amount=_dec(el, B.BaseAmount),
            percentage=_dec(el, B.MultiplierFactorNumeric),
            reason=_txt(el, B.AllowanceChargeReason),
            reason_code=_s(el, B.AllowanceChargeReasonCode),
            vat_exemption_reason=_txt(cat, B.TaxExemptionReason),
            vat_exemption_code=_s(cat, B.TaxExemptionReasonCode),
        )

    def taxes_and_totals(self) -> tuple[DocumentTotals, tuple[VatBreakdown, ...]]:
        r = self.root
        tax_totals = []
        for tt in r.iterfind(A.TaxTotal):
            amount_el = tt.find(B.TaxAmount)
            currency = ((amount_el.get("currencyID") if amount_el is not None else None) or self.currency).strip()
            tax_totals.append((tt, currency, tt.find(A.TaxSubtotal) is not None))
        # BT-110 is the TaxTotal in the invoice currency (the one with the breakdown when two
        # share that currency); BT-111 the other one, in the VAT accounting currency.
        in_doc_currency = [t for t in tax_totals if t[1] == self.currency]
        in_doc_currency.sort(key=lambda t: not t[2])
        doc_total = in_doc_currency[0][0] if in_doc_currency else None
        others = [t for t in tax_totals if t[0] is not doc_total]
        others.sort(key=lambda t: t[1] == self.currency)
        accounting, tax_currency = (others[0][0], others[0][1]) if others else (None, None)
        tax_total = _dec(doc_total, B.TaxAmount)
        tax_total_accounting = _dec(accounting, B.TaxAmount)
        if accounting is None and doc_total is not None and _s(r, B.TaxCurrencyCode) == self.currency:
            # BT-6 = BT-5: UBL allows one TaxTotal in that currency (BR-CO-15), which is
            # then both BT-110 and BT-111.
            tax_total_accounting, tax_currency = tax_total, self.currency
        breakdown: tuple[VatBreakdown, ...] = ()
        if doc_total is not None:
            breakdown = tuple(self.vat_breakdown(sub) for sub in doc_total.iterfind(A.TaxSubtotal))
        lmt = r.find(A.LegalMonetaryTotal)
        totals = DocumentTotals(
            tax_exclusive=_dec(lmt, B.TaxExclusiveAmount) or Decimal(0),
            tax_inclusive=_dec(lmt, B.TaxInclusiveAmount) or Decimal(0),
            amount_due=_dec(lmt, B.PayableAmount) or Decimal(0),
            line_net_total=_dec(lmt, B.LineExtensionAmount),
            allowance_total=_dec(lmt, B.AllowanceTotalAmount),
            charge_total=_dec(lmt, B.ChargeTotalAmount),
            tax_total=tax_total,
            tax_total_accounting=tax_total_accounting,
            tax_currency=tax_currency,
            prepaid=_dec(lmt, B.PrepaidAmount),
            rounding=_dec(lmt, B.PayableRoundingAmount),
        )
        return totals, breakdown

    def vat_breakdown(self, sub: etree._Element) -> VatBreakdown:
        cat = sub.find(A.TaxCategory)
        return VatBreakdown(
            taxable_amount=_dec(sub, B.TaxableAmount) or Decimal(0),
            tax_amount=_dec(sub, B.TaxAmount) or Decimal(0),
            category=_vat_category(_s(cat, B.ID)),
            rate=_dec(cat, B.Percent),
            exemption_reason=_txt(cat, B.TaxExemptionReason),
            exemption_code=_s(cat, B.TaxExemptionReasonCode),
        )

    # --- lines -------------------------------------------------------------------------

    def line_elements(self) -> list[etree._Element]:
        first, second = (A.CreditNoteLine, A.InvoiceLine) if self.credit else (A.InvoiceLine, A.CreditNoteLine)
        return self.root.findall(first) or self.root.findall(second)

    def lines(self) -> tuple[InvoiceLine, ...]:
        """The lines, and below each its sub-lines (XRechnung extension `cac:SubInvoiceLine`,
        `cac:SubCreditNoteLine`, BG-DEX-01), flat, each with its parent line's id; their
        sub-types are derived from the nesting (`facturier.engine.en16931.sublines`)."""
        out: list[InvoiceLine] = []
        nested = False
        for el in self.line_elements():
            nested = self.line_and_sub_lines(el, None, out) or nested
        return derive_subtypes(out) if nested else tuple(out)

    def line_and_sub_lines(self, el: etree._Element, parent: str | None, out: list[InvoiceLine]) -> bool:
        k = _kids(el)
        line = self.line(el, k)
        if parent is not None:
            line = dataclasses.replace(line, parent_line_id=parent)
        out.append(line)
        subs = k.get(A.SubInvoiceLine, []) + k.get(A.SubCreditNoteLine, [])
        for sub in subs:
            self.line_and_sub_lines(sub, line.id, out)
        return bool(subs)

    # Lines are most of a document: they are read from one pass over each element's
    # children (a dict by tag) rather than one ElementPath search per term.

    def line(self, el: etree._Element, k: dict | None = None) -> InvoiceLine:
        k = _kids(el) if k is None else k
        qty_el = _one(k, B.CreditedQuantity if self.credit else B.InvoicedQuantity)
        if qty_el is None:
            qty_el = _one(k, B.InvoicedQuantity)
            if qty_el is None:
                qty_el = _one(k, B.CreditedQuantity)
        object_id = None
        for ref in k.get(A.DocumentReference, ()):
            if object_id is None or _s(ref, B.DocumentTypeCode) == "130":
                object_id = _ident(ref.find(B.ID))
        subtype = parent = None
        for ref in k.get(A.BillingReference, ()):
            status = _s(ref, f"{_BILLING_DOC}/{B.DocumentStatusCode}")
            if status is not None or ref.find(A.BillingReferenceLine) is not None:
                subtype = subtype or status
                parent = parent or _s(ref, f"{A.BillingReferenceLine}/{B.ID}")
        notes = [n.text or "" for n in k.get(B.Note, ())]
        item = _one(k, A.Item)
        ik = _kids(item) if item is not None else {}
        vat = _one(ik, A.ClassifiedTaxCategory)
        vk = _kids(vat) if vat is not None else {}
        order_line = _one(k, A.OrderLineReference)
        return InvoiceLine(
            id=_own(_one(k, B.ID)) or "",
            quantity=_dec_el(qty_el) or Decimal(0),
            unit=((qty_el.get("unitCode") if qty_el is not None else None) or "").strip(),
            net_amount=_dec_el(_one(k, B.LineExtensionAmount)) or Decimal(0),
            price=self.price(_one(k, A.Price)),
            vat=LineVat(
                category=_vat_category(_own(_one(vk, B.ID))),
                rate=_dec_el(_one(vk, B.Percent)),
                exemption_reason=_raw(_one(vk, B.TaxExemptionReason)),
                exemption_code=_own(_one(vk, B.TaxExemptionReasonCode)),
            ),
            item=self.item(item, ik),
            note="\n".join(notes) if notes else None,
            object_id=object_id,
            order_line_reference=_s(order_line, B.LineID),
            accounting_reference=_own(_one(k, B.AccountingCost)),
            period=self.period(_one(k, A.InvoicePeriod)),
            allowances_charges=tuple(self.line_allowance_charge(ac) for ac in k.get(A.AllowanceCharge, ())),
            parent_line_id=parent,
            subtype=subtype,
        )

    @staticmethod
    def line_allowance_charge(el: etree._Element) -> LineAllowanceCharge:
        k = _kids(el)
        return LineAllowanceCharge(
            is_charge=(_own(_one(k, B.ChargeIndicator)) or "").lower() in _CHARGE_TRUE,
            amount=_dec_el(_one(k, B.Amount)) or Decimal(0),
            base_amount=_dec_el(_one(k, B.BaseAmount)),
            percentage=_dec_el(_one(k, B.MultiplierFactorNumeric)),
            reason=_raw(_one(k, B.AllowanceChargeReason)),
            reason_code=_own(_one(k, B.AllowanceChargeReasonCode)),
        )

    @staticmethod
    def item(el: etree._Element | None, k: dict) -> Item:
        if el is None:
            return Item(name="")
        classes = []
        for cc in k.get(A.CommodityClassification, ()):
            for c in cc.iterfind(B.ItemClassificationCode):
                code = _own(c)
                if code is not None:
                    classes.append(
                        ItemClassification(
                            code=code,
                            scheme=(c.get("listID") or "").strip() or None,
                            version=(c.get("listVersionID") or "").strip() or None,
                        )
                    )
        return Item(
            name=_raw(_one(k, B.Name)) or "",
            description=_raw(_one(k, B.Description)),
            seller_id=_s(_one(k, A.SellersItemIdentification), B.ID),
            buyer_id=_s(_one(k, A.BuyersItemIdentification), B.ID),
            standard_id=_ident(_first_child(_one(k, A.StandardItemIdentification), B.ID)),
            classifications=tuple(classes),
            origin_country=_s(_one(k, A.OriginCountry), B.IdentificationCode),
            attributes=tuple(
                ItemAttribute(name=_txt(p, B.Name) or "", value=_txt(p, B.Value) or "")
                for p in k.get(A.AdditionalItemProperty, ())
            ),
        )

    @staticmethod
    def price(el: etree._Element | None) -> Price:
        if el is None:
            return Price(net_price=Decimal(0))
        k = _kids(el)
        base = _one(k, B.BaseQuantity)
        discount = gross = None
        for ac in k.get(A.AllowanceCharge, ()):
            if (_s(ac, B.ChargeIndicator) or "").lower() not in _CHARGE_TRUE:
                discount, gross = _dec(ac, B.Amount), _dec(ac, B.BaseAmount)
                if discount is not None and discount.is_zero():
                    # UBL needs an Amount to give a gross price: a zero one says "no discount".
                    discount = None
                break
        return Price(
            net_price=_dec_el(_one(k, B.PriceAmount)) or Decimal(0),
            discount=discount,
            gross_price=gross,
            base_quantity=_dec_el(base),
            base_unit=((base.get("unitCode") or "").strip() or None) if base is not None else None,
        )


def _kids(el: etree._Element) -> dict[object, list[etree._Element]]:
    """The children of ``el`` grouped by tag, in document order."""
    out: dict[object, list[etree._Element]] = {}
    for child in el:
        bucket = out.get(child.tag)
        if bucket is None:
            out[child.tag] = [child]
        else:
            bucket.append(child)
    return out


def _one(kids: dict, tag: str) -> etree._Element | None:
    bucket = kids.get(tag)
    return bucket[0] if bucket else None


def _first_child(el: etree._Element | None, tag: str) -> etree._Element | None:
    return None if el is None else el.find(tag)


def _raw(el: etree._Element | None) -> str | None:
    """Free text of ``el`` as written (None when absent, "" when empty)."""
    return None if el is None else (el.text or "")


_EMPTY_DELIVERY = Delivery()


def read_ubl(data: bytes | etree._Element, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Invoice:
    """Read a UBL 2.1 Invoice or CreditNote (bytes, or an already parsed root element).

    Raises MalformedXML / InputTooLarge for unsafe or broken bytes, UnsupportedDocument for
    anything that is not a UBL invoice or credit note (a CII invoice included: use
    `facturier.engine.cii.read_cii`, or `facturier.engine.convert.read_invoice` for either).
    """
    if isinstance(data, etree._ElementTree):
        data = data.getroot()
    root = data if isinstance(data, etree._Element) else parse_xml(data, max_bytes=max_bytes)
    kind = detect(root)
    if kind.syntax != "ubl":
        raise UnsupportedDocument(
            Message(
                fr="Ce document est une facture CII (Factur-X, ZUGFeRD), pas une facture UBL.",
                en="This document is a CII invoice (Factur-X, ZUGFeRD), not a UBL invoice.",
            ),
            detail=kind.root,
        )
    return _Reader(root).invoice()
