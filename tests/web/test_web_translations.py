"""The screens speak French first and English completely: the web catalogue is complete and compiled."""

import gettext
from pathlib import Path

import polib
from django.urls import reverse
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "src" / "facturier" / "web" / "locale" / "fr" / "LC_MESSAGES"


def test_every_screen_string_has_a_french_translation_and_none_is_fuzzy():
    catalogue = polib.pofile(str(LOCALE / "django.po"))
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []


def test_the_compiled_catalogue_matches_the_source_catalogue():
    catalogue = polib.pofile(str(LOCALE / "django.po"))
    with (LOCALE / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = [e.msgid for e in catalogue if not e.msgid_plural and not e.msgctxt
             and compiled.gettext(e.msgid) != e.msgstr]
    assert stale == [], "run `make messages` (or makemessages in src/facturier/web) to recompile"


def test_screens_read_in_french(signed_in, owner, draft):
    owner.user.language = "fr"
    owner.user.save()
    editor = signed_in.get(reverse("web:document_edit", args=[draft.pk])).content.decode()
    assert "Enregistrer le brouillon" in editor and "Remise %" in editor and "Catégorie de TVA" in editor
    with translation.override("fr"):
        assert "Paramètres" in signed_in.get(reverse("web:settings")).content.decode()
