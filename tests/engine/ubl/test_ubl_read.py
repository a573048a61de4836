"""The UBL reader: tolerant of what real producers write, strict about safety."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree
from ubl_support import CONFORMANCE, sample_invoice

from facturier.engine.convert import first_difference
from facturier.engine.en16931.codes import DocumentTypeCode, VatCategory
from facturier.engine.errors import InputError, InputTooLarge, MalformedXML, UnsupportedDocument
from facturier.engine.ubl import read_ubl, write_ubl

BT24 = {"process.specification_id"}

MINIMAL = """<?xml version="1.0" encoding="{encoding}"?>
<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2"
    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID> urn:cen.eu:en16931:2017 </cbc:CustomizationID>
  <cbc:ID> F-1 </cbc:ID>
  <cbc:IssueDate>2026-01-15</cbc:IssueDate>
  {extra_header}
  <cbc:{root}TypeCode>{type_code}</cbc:{root}TypeCode>
  <cbc:Note>  Merci de votre confiance  </cbc:Note>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty><cac:Party>
    <cac:PostalAddress><cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
    <cac:PartyLegalEntity><cbc:RegistrationName>Crème brûlée SA</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party>
    <cac:PartyLegalEntity><cbc:RegistrationName>Client</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingCustomerParty>
  {payment}
  <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">20.00</cbc:TaxAmount>
    <cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">100.00</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">20.00</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID> S </cbc:ID><cbc:Percent>20</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
    </cac:TaxSubtotal></cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">120.00</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">{payable}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:{root}Line><cbc:ID>1</cbc:ID>
    <cbc:{quantity} unitCode="C62">4</cbc:{quantity}>
    <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Conseil</cbc:Name>
      <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">25.00</cbc:PriceAmount></cac:Price>
  </cac:{root}Line>
</{root}>
"""


def minimal(*, root="Invoice", type_code="380", encoding="UTF-8", extra_header="", payment="", payable="120.00") -> str:
    quantity = "CreditedQuantity" if root == "CreditNote" else "InvoicedQuantity"
    return MINIMAL.format(
        root=root,
        type_code=type_code,
        encoding=encoding,
        extra_header=extra_header,
        payment=payment,
        payable=payable,
        quantity=quantity,
    )


def test_minimal_invoice_reads_with_its_optional_parts_absent():
    inv = read_ubl(minimal().encode())
    assert inv.number == "F-1" and inv.issue_date == date(2026, 1, 15)
    assert inv.type_code is DocumentTypeCode.COMMERCIAL_INVOICE
    assert inv.process.specification_id == "urn:cen.eu:en16931:2017"
    assert inv.seller.name == "Crème brûlée SA" and inv.seller.address.country == "FR"
    assert inv.buyer.address is None and inv.payment is None and inv.delivery is None
    assert inv.vat_breakdown[0].category is VatCategory.S and inv.vat_breakdown[0].rate == Decimal("20")
    assert inv.lines[0].quantity == Decimal("4") and inv.lines[0].unit == "C62"
    assert inv.totals.amount_due == Decimal("120.00")


def test_codes_lose_their_blanks_and_free_text_keeps_them():
    inv = read_ubl(minimal().encode())
    assert inv.number == "F-1"
    assert inv.notes[0].text == "  Merci de votre confiance  "


def test_a_utf8_bom_is_tolerated():
    assert read_ubl(b"\xef\xbb\xbf" + minimal().encode()).seller.name == "Crème brûlée SA"


def test_a_lying_latin1_declaration_over_utf8_bytes_is_tolerated():
    data = minimal(encoding="ISO-8859-1").encode("utf-8")
    assert read_ubl(data).seller.name == "Crème brûlée SA"


def test_a_true_latin1_document_is_read():
    data = minimal(encoding="ISO-8859-1").encode("latin-1")
    assert read_ubl(data).seller.name == "Crème brûlée SA"


def test_an_already_parsed_element_is_accepted():
    root = etree.fromstring(minimal().encode())
    assert read_ubl(root) == read_ubl(minimal().encode())


def test_a_credit_note_is_read_with_its_own_element_names():
    payment = "<cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>"
    payment += "<cbc:PaymentDueDate>2026-02-15</cbc:PaymentDueDate></cac:PaymentMeans>"
    inv = read_ubl(minimal(root="CreditNote", type_code="381", payment=payment).encode())
    assert inv.is_credit_note and inv.type_code is DocumentTypeCode.CREDIT_NOTE
    assert inv.lines[0].quantity == Decimal("4")
    assert inv.due_date == date(2026, 2, 15)
    assert inv.payment.means_code == "30"


def test_a_credit_note_written_with_an_invoice_due_date_is_understood():
    # UBL 2.1 CreditNote has no DueDate; some producers put one anyway, where an Invoice has it
    data = minimal(root="CreditNote", type_code="381", extra_header="").replace(
        "<cbc:IssueDate>2026-01-15</cbc:IssueDate>",
        "<cbc:IssueDate>2026-01-15</cbc:IssueDate><cbc:DueDate>2026-03-01</cbc:DueDate>",
    )
    assert read_ubl(data.encode()).due_date == date(2026, 3, 1)


def test_a_type_code_outside_the_french_list_is_kept_as_text():
    assert read_ubl(minimal(type_code="751").encode()).type_code == "751"


def test_a_cii_invoice_is_refused_with_a_pointer_to_the_cii_reader():
    cii = b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>'
    with pytest.raises(UnsupportedDocument) as err:
        read_ubl(cii)
    assert "CII" in err.value.message.fr and "CII" in err.value.message.en


@pytest.mark.parametrize(
    "data",
    [
        b"<Invoice/>",
        b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>',
        b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-3"/>',
    ],
)
def test_non_ubl_roots_are_unsupported(data):
    with pytest.raises(UnsupportedDocument):
        read_ubl(data)


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        b"<Invoice>&lol2;</Invoice>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Invoice>&xxe;</Invoice>',
        b"<Invoice><cbc:ID>truncated",
        b"",
    ],
    ids=["billion-laughs", "external-entity", "truncated", "empty"],
)
def test_hostile_or_broken_bytes_are_refused(data):
    with pytest.raises(MalformedXML):
        read_ubl(data)


def test_the_size_limit_is_checked_before_parsing():
    with pytest.raises(InputTooLarge):
        read_ubl(minimal().encode(), max_bytes=1000)


def test_an_amount_that_is_not_a_decimal_is_an_input_error():
    with pytest.raises(InputError) as err:
        read_ubl(minimal(payable="1,20").encode())
    assert "PayableAmount" in str(err.value)


def test_a_date_that_is_not_a_date_is_an_input_error():
    with pytest.raises(InputError):
        read_ubl(minimal().replace("2026-01-15", "15/01/2026").encode())


def test_an_invoice_without_issue_date_is_an_input_error():
    with pytest.raises(InputError) as err:
        read_ubl(minimal().replace("<cbc:IssueDate>2026-01-15</cbc:IssueDate>", "").encode())
    assert "BT-2" in err.value.message.fr


def test_bt6_equal_to_bt5_makes_the_one_tax_total_both_bt110_and_bt111():
    data = minimal().replace(
        "<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>",
        "<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode><cbc:TaxCurrencyCode>EUR</cbc:TaxCurrencyCode>",
    )
    inv = read_ubl(data.encode())
    assert inv.totals.tax_total == inv.totals.tax_total_accounting == Decimal("20.00")
    again = etree.fromstring(write_ubl(inv))
    assert len(again.findall("{*}TaxTotal")) == 1  # BR-CO-15: one TaxTotal in the invoice currency


def test_tax_total_in_accounting_currency_is_bt111():
    inv = sample_invoice(lines=1)

    totals = dataclasses.replace(inv.totals, tax_total_accounting=Decimal("123.45"), tax_currency="SEK")
    inv = dataclasses.replace(inv, tax_currency="SEK", totals=totals)
    back = read_ubl(write_ubl(inv))
    assert back.totals.tax_total_accounting == Decimal("123.45") and back.totals.tax_currency == "SEK"
    assert first_difference(inv, back, ignore=BT24) is None


@pytest.mark.skipif(not CONFORMANCE.is_dir(), reason="official conformance material not found")
def test_the_maximal_credit_note_example_reads_every_group():
    inv = read_ubl((CONFORMANCE / "en16931-1.3.16/examples/ubl-testfiles/CreditNote-Max_content.xml").read_bytes())
    assert inv.is_credit_note
    assert inv.invoiced_object is not None and inv.project_reference is not None
    assert len(inv.payment.credit_transfers) == 4  # (its card and mandate means are commented out)
    assert inv.payee is not None and inv.tax_representative is not None and inv.delivery is not None
    assert inv.additional_documents and inv.preceding_invoices
