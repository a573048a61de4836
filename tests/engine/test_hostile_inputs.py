"""Inputs from strangers at the engine's front doors: refused cleanly, before any work is done."""

import time

import pytest

from facturier.engine.cii.read import read_cii
from facturier.engine.errors import InputTooLarge
from facturier.engine.facturx.unpack import unpack_facturx
from facturier.engine.ubl.read import read_ubl
from facturier.engine.validation import validate

TWO_HUNDRED_MB = 200 * 1024 * 1024


@pytest.fixture(scope="module")
def huge_xml() -> bytes:
    head = b'<?xml version="1.0"?><rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:' \
           b'CrossIndustryInvoice:100"><x>'
    return head + b"A" * TWO_HUNDRED_MB + b"</x></rsm:CrossIndustryInvoice>"


@pytest.mark.parametrize("reader", [read_cii, read_ubl, validate], ids=["cii", "ubl", "validate"])
def test_a_200_mb_xml_is_refused_by_size_before_parsing(huge_xml, reader):
    started = time.perf_counter()
    with pytest.raises(InputTooLarge) as refused:
        reader(huge_xml)
    assert time.perf_counter() - started < 2  # refused on its length, not after parsing 200 MB
    assert refused.value.message.fr and refused.value.message.en


def test_a_200_mb_pdf_is_refused_by_size():
    with pytest.raises(InputTooLarge):
        unpack_facturx(b"%PDF-1.7\n" + b"0" * TWO_HUNDRED_MB)
