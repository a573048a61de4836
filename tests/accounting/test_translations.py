"""The accounting catalogue: every string translated into French, and compiled."""

import gettext
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parents[2] / "src" / "facturier" / "accounting" / "locale" / "fr" / "LC_MESSAGES"


def test_accounting_strings_are_all_in_french_and_compiled():
    catalogue = polib.pofile(str(LOCALE / "django.po"))
    assert catalogue.untranslated_entries() == [] and catalogue.fuzzy_entries() == []
    with (LOCALE / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    assert [e.msgid for e in catalogue if compiled.gettext(e.msgid) != e.msgstr] == []
