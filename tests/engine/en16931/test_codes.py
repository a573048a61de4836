"""Code lists: the enumerations, their labels, and the official lists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from facturier.engine.en16931.codes import (
    CHARGE_REASON_CODES,
    COMMON_UNITS,
    PAYMENT_MEANS_CODES,
    AllowanceReasonCode,
    ChargeReasonCode,
    DocumentTypeCode,
    PaymentMeansCode,
    VatCategory,
    VatExemptionCode,
    is_country_code,
    is_currency_code,
    is_unit_code,
    unit_label,
)

CONFORMANCE = Path(__file__).resolve().parents[3] / "conformance"
FR_CII_SCHEMATRON = (
    CONFORMANCE / "fr-ctc-1.4.0.03" / "schematron" / "20260804_BR-FR-Flux2-Schematron-CII_V1.4.0.03.sch"
)
EN16931_CII_XSLT = CONFORMANCE / "en16931-1.3.16" / "cii" / "xslt" / "EN16931-CII-validation.xslt"

ALL_ENUMS = [
    VatCategory,
    DocumentTypeCode,
    PaymentMeansCode,
    AllowanceReasonCode,
    ChargeReasonCode,
    VatExemptionCode,
]


def test_vat_categories_are_the_en16931_subset_factur_x_accepts():
    assert {c.value for c in VatCategory} == {"S", "Z", "E", "AE", "K", "G", "O", "L", "M"}


def test_categories_without_vat_need_an_exemption_reason():
    assert {c.value for c in VatCategory if c.requires_exemption_reason} == {"E", "AE", "K", "G", "O"}


def test_categories_without_vat_have_a_zero_rate_and_outside_scope_has_none():
    assert {c.value for c in VatCategory if c.requires_zero_rate} == {"Z", "E", "AE", "K", "G", "O"}
    assert [c for c in VatCategory if not c.has_rate] == [VatCategory.O]


def test_code_enums_are_their_codes():
    assert VatCategory("AE") is VatCategory.AE
    assert VatCategory.S == "S"
    assert f"{DocumentTypeCode('381')}" == "381"
    assert json.dumps({"c": PaymentMeansCode.SEPA_CREDIT_TRANSFER}) == '{"c": "58"}'


@pytest.mark.parametrize("enum", ALL_ENUMS, ids=lambda e: e.__name__)
def test_every_code_has_a_french_and_an_english_label(enum):
    for member in enum:
        assert member.label("fr") and member.label("en"), member
        assert member.label("fr-FR") == member.message.fr
        assert member.label("en") == member.message.en


def test_labels_speak_the_asked_language():
    assert VatCategory.AE.label("fr") == "Autoliquidation"
    assert VatCategory.AE.label("en") == "VAT reverse charge"
    assert DocumentTypeCode.CREDIT_NOTE.label() == "Avoir"
    assert (
        VatExemptionCode.FR_FRANCHISE.label("fr")
        == "TVA non applicable, article 293 B du CGI (franchise en base)"
    )
    assert (
        VatExemptionCode.EU_132_1A.label("en")
        == "Exempt based on article 132(1)(a) of Council Directive 2006/112/EC"
    )
    assert VatExemptionCode.FR_CGI261D_1BIS.label("fr") == "Exonération de TVA, article 261 D, 1° bis du CGI"


def test_document_type_kinds():
    assert {c.value for c in DocumentTypeCode if c.is_credit_note} == {
        "381",
        "261",
        "262",
        "396",
        "502",
        "503",
    }
    assert DocumentTypeCode("389").is_self_billed
    assert not DocumentTypeCode("380").is_self_billed
    assert DocumentTypeCode("384").is_corrective


def test_document_type_codes_are_exactly_those_of_br_fr_04():
    if not FR_CII_SCHEMATRON.is_file():
        pytest.skip(f"French CTC schematron not found at {FR_CII_SCHEMATRON}")
    text = FR_CII_SCHEMATRON.read_text(encoding="utf-8")
    listed = re.search(r"custom:document-type-codes\" as=\"xs:string\"\s+select=\"'([\d ]+)'\"", text)

    assert {c.value for c in DocumentTypeCode} == set(listed.group(1).split())


@pytest.mark.parametrize(
    ("rule", "values"),
    [
        ("BR-CL-16", PAYMENT_MEANS_CODES),
        ("BR-CL-19", {c.value for c in AllowanceReasonCode}),
        ("BR-CL-20", CHARGE_REASON_CODES),
        ("BR-CL-22", {c.value for c in VatExemptionCode}),
    ],
)
def test_code_lists_are_the_official_en16931_lists(rule, values):
    assert _official_list(rule) == values


def test_unit_currency_and_country_lists_are_within_the_official_lists():
    from facturier.engine.en16931 import codes

    assert _official_list("BR-CL-23") == codes.UNIT_CODES
    # Only the codes both EN 16931 and Factur-X accept (see the codes module docstring).
    assert _official_list("BR-CL-04") - codes.CURRENCY_CODES == {"STD"}
    assert _official_list("BR-CL-14") - codes.COUNTRY_CODES == {"AN"}


def test_enumerated_subsets_are_in_the_full_lists():
    assert {c.value for c in PaymentMeansCode} <= PAYMENT_MEANS_CODES
    assert {c.value for c in ChargeReasonCode} <= CHARGE_REASON_CODES
    assert all(is_unit_code(code) for code in COMMON_UNITS)


@pytest.mark.parametrize(
    "code",
    [
        "C62",
        "H87",
        "HUR",
        "DAY",
        "MON",
        "KGM",
        "MTR",
        "LTR",
        "MTK",
        "MTQ",
        "TNE",
        "KMT",
        "MIN",
        "WEE",
        "ANN",
        "SET",
        "XPP",
        "E48",
        "LS",
    ],
)
def test_common_units_are_valid_and_named(code):
    assert is_unit_code(code)
    assert unit_label(code, "fr") != code
    assert unit_label(code, "en") != code


def test_unit_labels():
    assert unit_label("HUR", "fr") == "heure"
    assert unit_label("LS", "fr") == "forfait"
    assert unit_label("LS", "en") == "lump sum"
    assert unit_label("KWH", "fr") == "KWH"  # valid but uncommon: shown as its code


@pytest.mark.parametrize("code", ["", "c62", "PCE", "XXX", "C62 "])
def test_invalid_unit_codes_are_refused(code):
    assert not is_unit_code(code)


def test_currency_codes():
    assert all(is_currency_code(c) for c in ["EUR", "USD", "GBP", "CHF", "JPY", "XOF", "XPF", "HUF"])
    assert not any(is_currency_code(c) for c in ["eur", "EURO", "ABC", "", "STD"])


def test_country_codes():
    assert all(is_country_code(c) for c in ["FR", "DE", "BE", "MC", "GP", "RE", "XI", "1A"])
    assert not any(is_country_code(c) for c in ["fr", "FRA", "UK", "EL", ""])


def _official_list(rule: str) -> frozenset[str]:
    """The codes an official EN 16931 rule accepts, read from the CII XSLT in place."""
    if not EN16931_CII_XSLT.is_file():
        pytest.skip(f"EN 16931 XSLT not found at {EN16931_CII_XSLT}")
    text = EN16931_CII_XSLT.read_text(encoding="utf-8")
    # Each BR-CL assert is "contains(' CODE CODE … ', concat(' ', …))", followed by its id.
    for match in re.finditer(r"contains\('\s([^']+)\s'", text):
        following = text[match.end() : match.end() + 3000]
        found = re.search(r'name="id">(BR-CL-\d+)<', following)
        if found and found.group(1) == rule:
            return frozenset(match.group(1).split())
    raise AssertionError(f"{rule} not found in {EN16931_CII_XSLT.name}")


def test_every_vat_exemption_code_is_whole():
    from facturier.engine.en16931.codes import VAT_EXEMPTION_CODES

    assert "VATEX-EU-148-A" in VAT_EXEMPTION_CODES and "VATEX-FR-FRANCHISE" in VAT_EXEMPTION_CODES
    assert all(code.startswith("VATEX-") and not code.endswith("-") and " " not in code for code in VAT_EXEMPTION_CODES)
