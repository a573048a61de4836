"""French first, English complete: the French catalogue translates every string and is compiled."""

import gettext
from pathlib import Path

import polib
import pytest
from django.utils import translation

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "facturier"
CATALOGUES = sorted(PACKAGE.glob("**/locale/fr/LC_MESSAGES/django.po"))


def test_the_project_catalogue_exists():
    assert PACKAGE / "locale" / "fr" / "LC_MESSAGES" / "django.po" in CATALOGUES


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_string_has_a_french_translation_and_none_is_fuzzy(po):
    catalogue = polib.pofile(str(po))
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


def _compiled(compiled: gettext.GNUTranslations, entry: polib.POEntry) -> str:
    return compiled.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt else compiled.gettext(entry.msgid)


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_translation_is_its_own_text_twice(po):
    """A merge once pasted translations after themselves ("Au moins…).Au moins…)."): never again."""
    doubled = [e.msgid for e in polib.pofile(str(po))
               if len(e.msgstr) > 1 and e.msgstr[: len(e.msgstr) // 2] * 2 == e.msgstr]
    assert doubled == []


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_compiled_catalogue_matches_the_source_catalogue(po):
    catalogue = polib.pofile(str(po))
    with po.with_suffix(".mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = [e.msgid for e in catalogue if not e.msgid_plural and _compiled(compiled, e) != e.msgstr]
    assert stale == [], "run `make messages` to recompile the French catalogues"


@pytest.mark.parametrize(("english", "french"), [
    ("Paid", "Payée"),
    ("Credit note", "Avoir"),
    ("Bad debt", "Créance irrécouvrable"),
])
def test_labels_read_in_french_when_french_is_active(english, french):
    with translation.override("fr"):
        assert translation.gettext(english) == french
