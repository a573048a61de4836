"""The delivery app's French catalogue translates every string and is compiled."""

import gettext
from pathlib import Path

import polib

import facturier.delivery

LOCALE = Path(facturier.delivery.__file__).parent / "locale" / "fr" / "LC_MESSAGES"


def test_every_delivery_string_has_a_french_translation_and_the_catalogue_is_compiled():
    catalogue = polib.pofile(str(LOCALE / "django.po"))
    assert catalogue.untranslated_entries() == [] and catalogue.fuzzy_entries() == []
    with (LOCALE / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    assert [e.msgid for e in catalogue if compiled.gettext(e.msgid) != e.msgstr] == []
