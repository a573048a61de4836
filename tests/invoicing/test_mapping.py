"""Every issued demo document becomes an EN 16931 invoice that passes the model rules and the
official rules, French CIUS included, in CII (and UBL when the writer is there)."""

import pytest
from django.core.management import call_command

from facturier.engine.cii.write import write_cii
from facturier.engine.en16931.rules import check_rules
from facturier.engine.ubl.write import Customization, write_ubl
from facturier.invoicing.mapping import document_to_invoice
from facturier.invoicing.models import Document, State

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_invoices():
    call_command("demo")
    documents = Document.objects.filter(organisation__slug="demo").exclude(state=State.DRAFT).order_by("id")
    return [(document, document_to_invoice(document)) for document in documents]


def test_issued_documents_map_from_their_frozen_data(demo_invoices):
    for document, invoice in demo_invoices:
        assert invoice.number == document.number
        assert invoice.seller.legal_registration.value == document.seller_snapshot["siren"]
        assert invoice.totals.amount_due == document.payable
        assert str(invoice.type_code) == document.type_code


def test_every_issued_demo_document_passes_the_model_rules_with_the_french_cius(demo_invoices):
    failures = {
        document.number: [f"{f.rule} {f.path}: {f.message.en}" for f in check_rules(invoice, french=True).fatal]
        for document, invoice in demo_invoices
    }
    assert {number: found for number, found in failures.items() if found} == {}


@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_every_issued_demo_document_passes_the_referee_with_the_french_rules(demo_invoices, referee, tmp_path, syntax):
    paths = {}
    for document, invoice in demo_invoices:
        path = tmp_path / f"{document.number}.{syntax}.xml"
        path.write_bytes(
            write_cii(invoice) if syntax == "cii" else write_ubl(invoice, customization=Customization.FR_CIUS)
        )
        paths[str(path)] = document.number
    verdicts = referee(paths, "--fr")
    failures = {paths[p]: referee.fatal_findings(v) for p, v in verdicts.items() if not v["passed"]}
    assert failures == {}
    assert len(verdicts) == len(paths)
