"""No EN 16931 value of an official example is lost between its source and its written copy.

The model-to-model round trip (test_cii_official_examples) proves the writer and reader
agree; this test proves the reader misses nothing: every non-empty leaf of the source at a
path of the Factur-X EN 16931 schema (value and identifying attributes) is found in the
copy, except the few paths listed below, each with its reason.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

import facturx
import pytest
from cii_examples import CONFORMANCE, ROUND_TRIPPED, example_params
from lxml import etree

from facturier.engine.cii import Profile, guideline_id, read_cii, write_cii

_XS = "{http://www.w3.org/2001/XMLSchema}"
_EN16931_XSD = Path(facturx.__file__).resolve().parent / "xsd_and_schematron" / "facturx-en16931"
_ATTRIBUTES = ("schemeID", "unitCode", "currencyID", "listID", "listVersionID", "mimeCode", "filename")

_T = "/SupplyChainTradeTransaction"
_AGR = _T + "/ApplicableHeaderTradeAgreement"
_STL = _T + "/ApplicableHeaderTradeSettlement"
_LINE = _T + "/IncludedSupplyChainTradeLineItem"

# Factur-X EN 16931 paths that carry no EN 16931 business term, or one the writer sets itself.
NOT_COPIED = {
    # BT-24: the writer writes its profile's id (ZUGFeRD "comfort" sources become EN 16931).
    "/ExchangedDocumentContext/GuidelineSpecifiedDocumentContextParameter/ID",
    # Factur-X-only details without an EN 16931 term.
    _AGR + "/SellerOrderReferencedDocument/FormattedIssueDateTime/DateTimeString",
    _AGR + "/BuyerOrderReferencedDocument/FormattedIssueDateTime/DateTimeString",
    _AGR + "/SpecifiedProcuringProject/Name",
    _T + "/ApplicableHeaderTradeDelivery/ShipToTradeParty/DefinedTradeContact/DepartmentName",
    _T + "/ApplicableHeaderTradeDelivery/ShipToTradeParty/SpecifiedTaxRegistration/ID",
    _T + "/ApplicableHeaderTradeDelivery/ShipToTradeParty/URIUniversalCommunication/URIID",
    _STL + "/PayeeTradeParty/PostalTradeAddress/PostcodeCode",
    _STL + "/PayeeTradeParty/PostalTradeAddress/LineOne",
    _STL + "/PayeeTradeParty/PostalTradeAddress/CityName",
    _STL + "/PayeeTradeParty/PostalTradeAddress/CountryID",
    _LINE + "/AssociatedDocumentLineDocument/IncludedNote/SubjectCode",
    _LINE + "/SpecifiedLineTradeAgreement/BuyerOrderReferencedDocument/IssuerAssignedID",
    _LINE + "/SpecifiedLineTradeAgreement/BuyerOrderReferencedDocument/FormattedIssueDateTime/DateTimeString",
    _LINE + "/SpecifiedLineTradeAgreement/GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/Reason",
    # BG-24 type codes: the writer writes 916 where a source left it out.
    _AGR + "/AdditionalReferencedDocument/TypeCode",
    # BT-X-96, a line VAT exemption reason: in the EN 16931 schema but marked "not used" by the
    # Factur-X EN 16931 rules (an XRechnung source, 01.21a, has one); written in EXTENDED only.
    _LINE + "/SpecifiedLineTradeSettlement/ApplicableTradeTax/ExemptionReason",
}
# EN 16931 has one BT-20, and one BT-127, BT-128 and BT-147 per line; EXTENDED sources may
# repeat them (several payment terms with their own due dates, several notes, object ids or
# gross price allowances). Texts are joined into one; the other repeats are not kept.
SPLIT_IN_EXTENDED = {
    _LINE + "/SpecifiedLineTradeSettlement/AdditionalReferencedDocument/IssuerAssignedID",
    _LINE + "/SpecifiedLineTradeSettlement/AdditionalReferencedDocument/TypeCode",
    _LINE + "/SpecifiedLineTradeSettlement/AdditionalReferencedDocument/ReferenceTypeCode",
    _STL + "/SpecifiedTradePaymentTerms/Description",
    _STL + "/SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString",
    _LINE + "/AssociatedDocumentLineDocument/IncludedNote/Content",
    _LINE + "/SpecifiedLineTradeAgreement/GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/ActualAmount",
    _LINE + "/SpecifiedLineTradeAgreement/GrossPriceProductTradePrice/AppliedTradeAllowanceCharge/ChargeIndicator/"
    "Indicator",
}


@cache
def _en16931_paths() -> frozenset[str]:
    types: dict[str, list[tuple[str, str]]] = {}
    for xsd in _EN16931_XSD.glob("*.xsd"):
        for ct in etree.parse(str(xsd)).iter(_XS + "complexType"):
            if ct.get("name"):
                types[ct.get("name")] = [
                    (e.get("name"), (e.get("type") or "").split(":")[-1]) for e in ct.iter(_XS + "element")
                ]
    paths: set[str] = set()

    def walk(type_name: str, prefix: str, depth: int) -> None:
        for name, child_type in types.get(type_name, ()):
            paths.add(f"{prefix}/{name}")
            if depth < 12:
                walk(child_type, f"{prefix}/{name}", depth + 1)

    walk("CrossIndustryInvoiceType", "", 0)
    return frozenset(paths)


def _normal(text: str) -> str:
    text = text.strip()
    try:
        return format(Decimal(text).normalize(), "f") if text[:1].isdigit() or text[:1] == "-" else text
    except InvalidOperation:
        return text


def _values(xml: bytes, *, skip: set[str]) -> Counter:
    root = etree.fromstring(xml)
    allowed = _en16931_paths()
    values: Counter = Counter()
    for el in root.iter("*"):
        if len(el) or not (el.text or "").strip():
            continue
        path = "/" + "/".join(etree.QName(e).localname for e in reversed(list(el.iterancestors())) if e is not root)
        path += "/" + etree.QName(el).localname
        if path not in allowed or path in skip:
            continue
        attributes = tuple((a, el.get(a).strip()) for a in _ATTRIBUTES if el.get(a) is not None)
        values[(path, _normal(el.text), attributes)] += 1
    return values


@pytest.mark.parametrize("example", example_params(ROUND_TRIPPED))
def test_every_en16931_value_of_an_official_example_is_in_its_written_copy(example):
    data = example.read_bytes()
    gid = guideline_id(data)
    profile = Profile.from_guideline_id(gid)
    copy = write_cii(read_cii(data), profile=profile, specification_id=gid if "xrechnung" in gid else None)
    skip = NOT_COPIED | (SPLIT_IN_EXTENDED if profile is Profile.EXTENDED else set())
    lost = _values(data, skip=skip) - _values(copy, skip=skip)
    assert not lost, sorted(lost)[:5]


def test_the_fidelity_check_sees_the_official_examples():
    if not CONFORMANCE.is_dir():
        pytest.skip(f"official conformance material not found at {CONFORMANCE}")
    assert len(_en16931_paths()) > 400
