"""The CII reader: tolerant of what real producers write, strict about safety."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from cii_examples import CONFORMANCE
from cii_factories import french_invoice
from lxml import etree

from facturier.engine.cii import Profile, guideline_id, read_cii, write_cii
from facturier.engine.errors import InputError, InputTooLarge, MalformedXML, UnsupportedDocument

UBL_EXAMPLE = CONFORMANCE / "en16931-1.3.16" / "examples"

_BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
>&lol9;</rsm:CrossIndustryInvoice>
"""

_EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
>&xxe;</rsm:CrossIndustryInvoice>
"""

_DOCTYPE_ONLY = b"""<?xml version="1.0"?>
<!DOCTYPE rsm:CrossIndustryInvoice SYSTEM "http://example.com/cii.dtd">
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>
"""


def _with_fr_and_en_message(error: InputError) -> InputError:
    assert error.message.fr and error.message.en and error.message.fr != error.message.en
    return error


@pytest.mark.parametrize(
    "data",
    [_BILLION_LAUGHS, _EXTERNAL_ENTITY, _DOCTYPE_ONLY],
    ids=["billion-laughs", "external-entity", "doctype"],
)
def test_a_document_with_a_dtd_is_refused_before_any_expansion(data):
    with pytest.raises(MalformedXML) as caught:
        read_cii(data)
    assert "DOCTYPE" in _with_fr_and_en_message(caught.value).message.en


def test_an_input_above_the_size_limit_is_refused_before_parsing():
    data = write_cii(french_invoice(1))
    huge = data.replace(
        b"</rsm:CrossIndustryInvoice>", b"<!--" + b"x" * (60 * 1024 * 1024) + b"-->\n</rsm:CrossIndustryInvoice>"
    )
    with pytest.raises(InputTooLarge) as caught:
        read_cii(huge)
    _with_fr_and_en_message(caught.value)


def test_the_size_limit_can_be_lowered_by_the_caller():
    with pytest.raises(InputTooLarge):
        read_cii(write_cii(french_invoice(10)), max_bytes=1000)


@pytest.mark.parametrize("cut", [10, 500, -40])
def test_truncated_xml_is_malformed(cut):
    data = write_cii(french_invoice(2))
    with pytest.raises(MalformedXML) as caught:
        read_cii(data[:cut])
    _with_fr_and_en_message(caught.value)


@pytest.mark.parametrize("data", [b"", b"%PDF-1.7\n...", b"not xml at all", "é".encode("utf-16")])
def test_bytes_that_are_not_xml_are_malformed(data):
    with pytest.raises(MalformedXML):
        read_cii(data)


def test_a_ubl_invoice_is_not_read_as_cii():
    ubl = b"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID><cbc:ID>1</cbc:ID></Invoice>"""
    with pytest.raises(UnsupportedDocument) as caught:
        read_cii(ubl)
    assert "UBL" in _with_fr_and_en_message(caught.value).message.fr


def test_an_official_ubl_example_is_not_read_as_cii():
    examples = sorted((UBL_EXAMPLE / "ubl").glob("*.xml"))
    if not examples:
        pytest.skip(f"official UBL examples not found at {UBL_EXAMPLE}")
    with pytest.raises(UnsupportedDocument):
        read_cii(examples[0].read_bytes())


@pytest.mark.parametrize(
    "data",
    [b"<html><body>invoice</body></html>", b'<Order xmlns="urn:example:order"/>'],
)
def test_an_unknown_root_is_an_unsupported_document(data):
    with pytest.raises(UnsupportedDocument) as caught:
        read_cii(data)
    _with_fr_and_en_message(caught.value)


def test_a_utf8_bom_and_a_lying_encoding_declaration_are_tolerated():
    data = write_cii(french_invoice(2))
    lying = data.replace(b"encoding='UTF-8'", b"encoding='ISO-8859-1'")
    expected = read_cii(data)
    assert read_cii(b"\xef\xbb\xbf" + data) == expected
    assert read_cii(lying) == expected
    assert "Pénalités" in read_cii(lying).notes[2].text


def test_an_already_parsed_element_is_read_as_is():
    data = write_cii(french_invoice(3))
    assert read_cii(etree.fromstring(data)) == read_cii(data)


def test_the_guideline_id_is_available_without_reading_the_invoice():
    assert guideline_id(write_cii(french_invoice(1), profile=Profile.EXTENDED)) == Profile.EXTENDED.guideline_id


def test_a_missing_mandatory_amount_names_the_business_term():
    data = write_cii(french_invoice(1)).replace(b"GrandTotalAmount", b"GrandTotalAmountX")
    with pytest.raises(UnsupportedDocument) as caught:
        read_cii(data)
    assert caught.value.detail == "BT-112"


def test_an_unreadable_amount_names_the_business_term():
    data = write_cii(french_invoice(1)).replace(b"<ram:DuePayableAmount>", b"<ram:DuePayableAmount>12,5")
    with pytest.raises(UnsupportedDocument) as caught:
        read_cii(data)
    assert caught.value.detail == "BT-115"
    _with_fr_and_en_message(caught.value)


def test_a_missing_mandatory_text_is_read_as_empty_so_the_rules_can_report_it():
    invoice = replace(french_invoice(1), number="")
    assert read_cii(write_cii(invoice)).number == ""


def test_an_attachment_survives_as_bytes_and_bad_base64_is_refused():
    data = Path(__file__).read_bytes()[:300]
    from facturier.engine.en16931.model import AdditionalDocument

    doc = AdditionalDocument(reference="X", attachment=data, mime_code="text/plain", filename="x.txt")
    xml = write_cii(replace(french_invoice(1), additional_documents=(doc,)))
    assert read_cii(xml).additional_documents == (doc,)
    broken = xml.replace(b'filename="x.txt">', b'filename="x.txt">%%%')
    with pytest.raises(UnsupportedDocument):
        read_cii(broken)
