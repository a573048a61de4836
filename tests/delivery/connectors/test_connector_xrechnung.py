"""XRechnung for a customer who needs it (issue 13): the seller contact and the buyer reference travel from
the settings into the frozen invoice, the file is converted by the engine (UBL and CII) and passes the
XRechnung rules (the repository's validator, and the referee with --xrechnung), and a document that could
never pass them is refused at issue with the reason."""

from __future__ import annotations

import datetime as dt

import pytest

from facturier.delivery.connectors.files import make_file
from facturier.engine.validation import validate

pytestmark = pytest.mark.django_db

LEITWEG_ID = "04011000-12345-03"
CONTACT = {"contact_name": "Service facturation", "phone": "+33 4 72 00 00 00", "email": "factures@acme.test",
           "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP"}


@pytest.fixture
def seller_contact(org):
    """The organisation's legal data with its invoicing contact (BG-6) and its bank account (BG-16)."""
    from facturier.accounts.models import LegalProfile

    LegalProfile.objects.filter(organisation=org).update(**CONTACT)


@pytest.fixture
def german_customer(owner, org):
    """The customer receives XRechnung (UBL), with its Leitweg-ID as default buyer reference."""
    from facturier.parties.services import customer_update

    customer_update(by=owner, customer_id=org.customer.pk, preferred_format="xrechnung_ubl",
                    buyer_reference=LEITWEG_ID)
    org.customer.refresh_from_db()
    return org.customer


@pytest.fixture
def xr_issued(owner, org, lines, seller_contact, german_customer):
    from facturier.invoicing.services import document_issue, draft_create

    draft = draft_create(by=owner, customer_id=german_customer.pk, lines=lines)
    assert draft.buyer_reference == LEITWEG_ID  # the customer's default, copied into the new draft
    return document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))


def test_the_seller_contact_is_frozen_with_the_seller_at_issue(xr_issued, org):
    from facturier.accounts.models import LegalProfile
    from facturier.invoicing.mapping import document_to_invoice

    assert xr_issued.seller_snapshot["contact_name"] == "Service facturation"
    LegalProfile.objects.filter(organisation=org).update(contact_name="Quelqu'un d'autre")  # behind its back
    contact = document_to_invoice(xr_issued).seller.contact
    assert (contact.name, contact.phone, contact.email) == ("Service facturation", "+33 4 72 00 00 00",
                                                            "factures@acme.test")


@pytest.mark.parametrize("file_format", ["xrechnung_ubl", "xrechnung_cii"])
def test_an_invoice_converted_to_xrechnung_passes_its_rules(xr_issued, file_format):
    made = make_file(xr_issued, file_format, "{number}.{ext}")  # refused (FileRefused) if any rule fails
    assert b"urn:xeinkauf.de:kosit:xrechnung_3.0" in made.data and LEITWEG_ID.encode() in made.data
    assert b"Service facturation" in made.data
    report = validate(made.data)
    assert report.passed and {"xrechnung-ubl", "xrechnung-cii"} & set(report.checks), report.checks


def test_the_referee_accepts_both_xrechnung_files(xr_issued, tmp_path, referee):
    paths = []
    for file_format in ("xrechnung_ubl", "xrechnung_cii"):
        path = tmp_path / f"{file_format}.xml"
        path.write_bytes(make_file(xr_issued, file_format, "{number}.{ext}").data)
        paths.append(path)
    verdicts = referee(paths, "--xrechnung")
    failures = {p: referee.fatal_findings(v) for p, v in verdicts.items() if not v["passed"]}
    assert failures == {} and len(verdicts) == 2


def test_issuing_for_an_xrechnung_customer_without_buyer_reference_is_refused(owner, org, lines, seller_contact,
                                                                             german_customer):
    from django.utils import translation

    from facturier.invoicing.gate import RulesRefused
    from facturier.invoicing.models import State
    from facturier.invoicing.services import document_issue, draft_create

    draft = draft_create(by=owner, customer_id=german_customer.pk, lines=lines, buyer_reference="")
    draft.buyer_reference = ""
    draft.save(update_fields=["buyer_reference"])
    with pytest.raises(RulesRefused) as refused:
        document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))
    assert refused.value.rule_ids == {"BR-DE-15"}
    with translation.override("en"):
        assert "receives its invoices as XRechnung, which requires a buyer reference (BT-10" in refused.value.message
    with translation.override("fr"):
        assert "reçoit ses factures au format XRechnung, qui exige une référence acheteur (BT-10" in \
            refused.value.message
        assert "BR-DE-15 : " in refused.value.message
    draft.refresh_from_db()
    assert draft.state == State.DRAFT and not draft.number


def test_issuing_for_an_xrechnung_customer_without_seller_contact_is_refused(owner, org, lines, german_customer):
    from facturier.invoicing.gate import RulesRefused
    from facturier.invoicing.services import document_issue, draft_create

    draft = draft_create(by=owner, customer_id=german_customer.pk, lines=lines)
    with pytest.raises(RulesRefused) as refused:
        document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))
    assert refused.value.rule_ids == {"BR-DE-1", "BR-DE-5", "BR-DE-6", "BR-DE-7"}
    assert "complete the organisation's legal data" in refused.value.message


def test_other_customers_need_no_buyer_reference(issued):
    assert issued.number and not issued.buyer_reference


def test_an_xrechnung_export_through_sftp_arrives(owner, org, xr_issued, sftp_connector, sftp_server):
    from facturier.delivery.connectors.outbox import connector_flush
    from facturier.delivery.services import send_documents
    from facturier.parties.services import customer_update

    customer_update(by=owner, customer_id=org.customer.pk, preferred_channel="connector",
                    preferred_connector_id=sftp_connector.pk)
    result = send_documents(by=owner, document_ids=[xr_issued.pk])
    assert result.queued == [xr_issued.pk] and result.routes[xr_issued.pk].connector == "Dépôt SFTP"
    assert connector_flush(connector_id=sftp_connector.pk).failed == 0
    arrived = (sftp_server.root / "in" / f"C001_{xr_issued.number}.xml").read_bytes()
    assert b"urn:xeinkauf.de:kosit:xrechnung_3.0" in arrived and LEITWEG_ID.encode() in arrived
    assert validate(arrived).passed


def test_a_typed_buyer_reference_wins_and_a_change_of_customer_brings_its_default(owner, org, lines):
    from facturier.invoicing.services import draft_create, draft_update
    from facturier.parties.services import customer_create

    typed = draft_create(by=owner, customer_id=org.customer.pk, lines=lines, buyer_reference="PO-77")
    assert typed.buyer_reference == "PO-77"
    berlin = customer_create(by=owner, code="BERL", name="Stadt Berlin", effective_from=dt.date(2020, 1, 1),
                             preferred_format="xrechnung_cii", buyer_reference=LEITWEG_ID,
                             billing_address={"line1": "Rathausstr. 1", "postcode": "10178", "city": "Berlin",
                                              "country": "DE"})
    assert draft_update(by=owner, document_id=typed.pk, customer_id=berlin.pk).buyer_reference == "PO-77"
    emptied = draft_update(by=owner, document_id=typed.pk, buyer_reference="")
    assert emptied.buyer_reference == ""  # emptied on purpose: it stays empty (and the gate will say why)
    moved = draft_create(by=owner, customer_id=org.customer.pk, lines=lines)
    assert draft_update(by=owner, document_id=moved.pk, customer_id=berlin.pk).buyer_reference == LEITWEG_ID
