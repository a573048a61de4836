"""The API app's catalogue (webhook events, states and errors) is complete in French and compiled."""

import gettext
from pathlib import Path

import polib
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "src" / "facturier" / "api" / "locale" / "fr" / "LC_MESSAGES"


def test_every_string_of_the_api_app_has_a_french_translation_and_the_compiled_catalogue_matches():
    catalogue = polib.pofile(str(LOCALE / "django.po"))
    assert catalogue.untranslated_entries() == [] and catalogue.fuzzy_entries() == []
    with (LOCALE / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    assert [e.msgid for e in catalogue if not e.msgid_plural and not e.msgctxt
            and compiled.gettext(e.msgid) != e.msgstr] == []


def test_webhook_errors_read_in_french():
    from facturier.api.models import WebhookDeliveryState, WebhookEventType
    from facturier.api.webhook_sender import Refused, url_parts

    with translation.override("fr"):
        assert str(WebhookEventType.DOCUMENT_PAID.label) == "Document payé"
        assert str(WebhookDeliveryState.UNKNOWN.label) == "Issue inconnue, à vérifier"
        try:
            url_parts("ftp://example.com/")
        except Refused as e:
            assert str(e) == "Indiquez une URL https:// complète."
