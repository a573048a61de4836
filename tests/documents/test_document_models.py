"""The model a document prints with — Chorus Pro for the public sector, the organisation's default,
a customer's own choice, the organisation's own template — in every render: screen, Factur-X
(e-mail, post, archive, portal), batch and export command. And the data the printed invoice
takes from the database: the delivery place's name, the discount text in the document's language.
"""

import datetime as dt
import subprocess
from decimal import Decimal

import pytest
from django.core.management import call_command

from facturier.accounts.models import DocumentTemplate
from facturier.documents.batch import batch_create, batch_run
from facturier.documents.services import document_pdf, document_template, facturx_of
from facturier.invoicing.services import document_issue, draft_create
from facturier.parties.services import address_add, customer_update

pytestmark = pytest.mark.django_db

OWN_TEMPLATE = '#import "lib.typ": *\n#let d = invoice-data()\n#show: page-setup.with(d)\nModèle maison #d.number\n'


def text_of(pdf: bytes, tmp_path, name="doc.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def issue(org, lines, **header):
    draft = draft_create(by=org.owner, customer_id=org.customer.pk, lines=lines, **header)
    return document_issue(by=org.owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))


@pytest.fixture
def public_customer(org):
    return customer_update(by=org.owner, customer_id=org.customer.pk, is_public_sector=True,
                           chorus_service_code="SERVICE-FACTURES-42")


def test_a_public_sector_customers_invoice_prints_the_chorus_model_everywhere(org, public_customer, lines,
                                                                               tmp_path):
    document = issue(org, lines)
    assert document_template(document) == ("chorus", None)
    on_screen = text_of(document_pdf(by=org.owner, document_id=document.pk).data, tmp_path)
    facturx = text_of(facturx_of(document, signed=False).data, tmp_path)  # e-mail, post, archive, portal
    for text in (on_screen, facturx):
        assert "CHORUS PRO" in text and "SERVICE-FACTURES-42" in text and document.number in text
    job = batch_run(batch_create(by=None, organisation=org, document_ids=[document.pk], signed=False).pk,
                    out=tmp_path / "batch")
    assert "CHORUS PRO" in text_of((tmp_path / "batch" / f"{document.number}.pdf").read_bytes(), tmp_path)
    assert job.failed == 0
    call_command("documents", "export", "--org", org.slug, "--out", str(tmp_path / "export"))
    assert "CHORUS PRO" in text_of((tmp_path / "export" / f"{document.number}.pdf").read_bytes(), tmp_path)


def test_a_private_customer_gets_the_standard_model_and_a_customer_choice_overrides_the_rule(
        org, public_customer, lines, tmp_path):
    customer_update(by=org.owner, customer_id=org.customer.pk, document_template=DocumentTemplate.STANDARD)
    document = issue(org, lines)
    assert "CHORUS PRO" not in text_of(facturx_of(document, signed=False).data, tmp_path)
    customer_update(by=org.owner, customer_id=org.customer.pk, is_public_sector=False, document_template="")
    assert document_template(document) == ("standard", None)


def test_the_organisations_own_template_is_its_default_model(org, lines, tmp_path):
    org.document_template, org.custom_template = DocumentTemplate.CUSTOM, OWN_TEMPLATE
    org.save()
    document = issue(org, lines)
    assert f"Modèle maison {document.number}" in text_of(facturx_of(document, signed=False).data, tmp_path)
    org.custom_template = "  "
    org.save()
    document.organisation.refresh_from_db()
    assert document_template(document) == ("standard", None)  # chosen but never written: the standard model


def test_the_organisation_may_choose_chorus_for_every_customer(org, lines, tmp_path):
    org.document_template = DocumentTemplate.CHORUS
    org.save()
    document = issue(org, lines)
    assert "CHORUS PRO" in text_of(document_pdf(by=org.owner, document_id=document.pk).data, tmp_path)


def test_the_name_of_the_delivery_place_reaches_the_printed_invoice(org, lines, tmp_path):
    address_add(by=org.owner, customer=org.customer, kind="delivery", effective_from=dt.date(2020, 1, 1),
                name="Entrepôt Nord", line1="5 rue du Dépôt", postcode="69100", city="Villeurbanne")
    document = issue(org, lines)
    text = text_of(facturx_of(document, signed=False).data, tmp_path)
    assert "Entrepôt Nord" in text and "5 rue du Dépôt" in text


def test_an_english_invoice_says_there_is_no_early_payment_discount_in_english(org, lines, tmp_path):
    customer_update(by=org.owner, customer_id=org.customer.pk, language="en")
    document = issue(org, [{**lines[0], "unit_price": Decimal("0.333"), "quantity": Decimal("300")}])
    text = text_of(facturx_of(document, signed=False).data, tmp_path)
    assert "No discount for early payment." in text
    assert "escompte" not in text
    assert "€0.333" in text


def test_an_own_template_that_fails_is_a_typed_error_in_the_readers_language(org, lines):
    from django.utils import translation

    from facturier.documents.services import TemplateFailed

    org.document_template, org.custom_template = DocumentTemplate.CUSTOM, "#let x = (\n"
    org.save()
    document = issue(org, lines)
    with pytest.raises(TemplateFailed) as caught:
        document_pdf(by=org.owner, document_id=document.pk)
    assert "does not compile" in caught.value.message
    with translation.override("fr"):
        assert "ne compile pas" in caught.value.message
