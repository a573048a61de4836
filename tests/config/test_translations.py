"""French first, English complete: the French catalogue translates every string and is compiled."""

import gettext
from pathlib import Path

import polib
import pytest
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "src" / "facturier" / "locale" / "fr" / "LC_MESSAGES"


def test_every_string_has_a_french_translation_and_none_is_fuzzy():
    catalogue = polib.pofile(str(LOCALE / "django.po"))
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []


def test_the_compiled_catalogue_matches_the_source_catalogue():
    catalogue = polib.pofile(str(LOCALE / "django.po"))
    with (LOCALE / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = [e.msgid for e in catalogue if not e.msgid_plural and compiled.gettext(e.msgid) != e.msgstr]
    assert stale == [], "run `make messages` to recompile the French catalogue"


@pytest.mark.parametrize(("english", "french"), [
    ("Paid", "Payée"),
    ("Credit note", "Avoir"),
    ("Bad debt", "Créance irrécouvrable"),
])
def test_labels_read_in_french_when_french_is_active(english, french):
    with translation.override("fr"):
        assert translation.gettext(english) == french
