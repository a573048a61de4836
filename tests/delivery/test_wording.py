"""Subjects and bodies: French and English defaults, an organisation's own, placeholders, preview."""

import pytest

from facturier.delivery.models import TemplateKind
from facturier.delivery.services import mail_template_save
from facturier.delivery.wording import DEFAULTS, fill, preview, render_document_message

pytestmark = pytest.mark.django_db


def test_every_kind_has_a_french_and_an_english_default():
    for kind in TemplateKind.values:
        for language in ("fr", "en"):
            subject, body = DEFAULTS[(kind, language)]
            assert subject and body


def test_the_default_french_message_names_the_real_document(issued):
    rendered = render_document_message(issued, contact_email="compta@acme.test")
    assert rendered.subject == f"Facture {issued.number} — Acme SAS"
    assert "du 02/03/2026, d'un montant de 1\u202f770,56\xa0€" in rendered.body
    assert "compta@acme.test" in rendered.body
    assert "{" not in rendered.body


def test_an_organisations_own_template_replaces_the_default(owner, issued):
    mail_template_save(by=owner, kind="invoice", language="fr", subject="Votre facture {number} ({amount})",
                       body="Bonjour {customer}, échéance {due_date}. {inconnu} reste tel quel.")
    rendered = render_document_message(issued, contact_email="x@acme.test")
    assert rendered.subject.startswith(f"Votre facture {issued.number} (")
    assert rendered.body.startswith("Bonjour Client Un SARL, échéance ")
    assert "{inconnu} reste tel quel." in rendered.body


def test_the_consent_letter_fills_percent_placeholders():
    text = fill("%1 / %2 / %3 / %4 / 100%", {}, {"1": "Client", "2": "Acme", "3": "a@b.test", "4": "c@d.test"})
    assert text == "Client / Acme / a@b.test / c@d.test / 100%"


def test_preview_uses_a_real_issued_document_and_the_text_being_edited(org, issued):
    shown = preview(organisation=org, kind="invoice", language="en", subject="Invoice {number}",
                    body="Due {due_date}, {amount}")
    assert shown.subject == f"Invoice {issued.number}"
    assert "€" in shown.body and "{" not in shown.body
    letter = preview(organisation=org, kind="consent_letter", language="fr", contact_email="compta@acme.test")
    assert "Acme" in letter.body and "%2" not in letter.body and "/consent/" in letter.body
