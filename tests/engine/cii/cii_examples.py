"""Where the official CII examples are: the repository's copy in conformance/; the referee in ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFORMANCE = Path(__file__).resolve().parents[3] / "conformance"
ORACLE = Path(__file__).resolve().parents[3] / ".." / "shared" / "tools" / "einvoice-oracle" / "einvoice-oracle"

# ZUGFeRD 1.0 (CrossIndustryDocument, 2014) is a different syntax from CII D16B: the
# factur-x library keeps these fixtures to show its own 1.0 support. We refuse them with a
# typed error that tells the user to ask for Factur-X / ZUGFeRD 2.x.
ZUGFERD_1 = {"zugferd-basic.xml", "zugferd-comfort.xml", "zugferd-extended.xml"}


def official_cii_examples() -> list[Path]:
    """Every official CII file: EN 16931, ZUGFeRD 2.5.2, XRechnung CII, factur-x fixtures."""
    if not CONFORMANCE.is_dir():
        return []
    return [
        *sorted((CONFORMANCE / "en16931-1.3.16" / "examples" / "cii").glob("*.xml")),
        *sorted((CONFORMANCE / "zugferd-2.5.2" / "examples").glob("*/*.xml")),
        *sorted((CONFORMANCE / "xrechnung-3.0.2" / "instances").rglob("*uncefact*.xml")),
        *sorted((CONFORMANCE / "facturx-lib-fixtures" / "xml").glob("factur-x-*.xml")),
        *sorted((CONFORMANCE / "facturx-lib-fixtures" / "xml").glob("zugferd-*.xml")),
    ]


EXAMPLES = official_cii_examples()
ROUND_TRIPPED = [p for p in EXAMPLES if p.name not in ZUGFERD_1]


def example_id(path: Path) -> str:
    return str(path.relative_to(CONFORMANCE))


def example_params(paths: list[Path]) -> list:
    """`paths` as pytest parameters, or one skipped parameter saying why there are none."""
    if paths:
        return [pytest.param(p, id=example_id(p)) for p in paths]
    return [
        pytest.param(None, id="no-examples", marks=pytest.mark.skip(reason=f"no official example at {CONFORMANCE}"))
    ]
