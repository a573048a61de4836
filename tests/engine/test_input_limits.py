"""Limits that hold before the memory goes: size from the file system, elements, lines, text length."""

from __future__ import annotations

import io
import time
import tracemalloc

import pytest

from facturier.engine.errors import InputTooLarge
from facturier.engine.xml import RAM, RSM, Limits, parse_xml, read_bounded

MB = 1024 * 1024


def cii_with(body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rsm:CrossIndustryInvoice xmlns:rsm="{RSM}" xmlns:ram="{RAM}">'
        f"<rsm:ExchangedDocument><ram:ID>F-1</ram:ID></rsm:ExchangedDocument>{body}</rsm:CrossIndustryInvoice>"
    ).encode()


def lines(n: int) -> str:
    line = "<ram:IncludedSupplyChainTradeLineItem><ram:Note>x</ram:Note></ram:IncludedSupplyChainTradeLineItem>"
    return f"<rsm:SupplyChainTradeTransaction>{line * n}</rsm:SupplyChainTradeTransaction>"


def test_a_200_mb_file_is_refused_from_its_size_before_a_byte_is_read(tmp_path):
    path = tmp_path / "huge.xml"
    with path.open("wb") as f:  # sparse: 200 MB on paper, nothing on disk
        f.write(b"<r>")
        f.truncate(200 * MB)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(InputTooLarge) as refused:
            read_bounded(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 1
    assert peak < MB  # the file was never read
    assert "209" in refused.value.message.en and refused.value.message.fr


def test_a_stream_is_read_one_byte_past_the_limit_and_no_further():
    stream = io.BytesIO(b"<r>" + b"a" * (3 * MB) + b"</r>")
    with pytest.raises(InputTooLarge) as refused:
        read_bounded(stream, max_bytes=MB)
    assert stream.tell() == MB + 1
    assert "more than" in refused.value.message.en and "plus de" in refused.value.message.fr


def test_a_file_within_the_limit_is_read_whole(tmp_path):
    path = tmp_path / "ok.xml"
    path.write_bytes(cii_with(""))
    assert read_bounded(path, max_bytes=len(cii_with(""))) == cii_with("")


def test_a_9_mb_text_node_is_refused_naming_its_element():
    doc = cii_with(f"<ram:Name>{'A' * (9 * MB)}</ram:Name>")
    with pytest.raises(InputTooLarge) as refused:
        parse_xml(doc)
    assert "Name" in refused.value.detail
    assert "caractères" in refused.value.message.fr and "characters" in refused.value.message.en


def test_a_long_attribute_is_refused_too():
    doc = cii_with(f'<ram:Name lang="{"x" * 200_000}">n</ram:Name>')
    with pytest.raises(InputTooLarge) as refused:
        parse_xml(doc)
    assert "@lang" in refused.value.detail


def test_a_base64_attachment_is_bounded_by_the_file_size_alone():
    doc = cii_with(f"<ram:AttachmentBinaryObject>{'QUJD' * 500_000}</ram:AttachmentBinaryObject>")
    assert parse_xml(doc) is not None


def test_the_text_limit_can_be_raised():
    doc = cii_with(f"<ram:Name>{'A' * 200_000}</ram:Name>")
    with pytest.raises(InputTooLarge):
        parse_xml(doc)
    assert parse_xml(doc, limits=Limits(max_text_chars=300_000)) is not None


def test_too_many_invoice_lines_are_refused_with_the_count():
    doc = cii_with(lines(101))
    assert parse_xml(doc, limits=Limits(max_lines=101)) is not None
    with pytest.raises(InputTooLarge) as refused:
        parse_xml(doc, limits=Limits(max_lines=100))
    assert "101" in refused.value.message.en and "101" in refused.value.message.fr


def test_too_many_elements_are_refused():
    with pytest.raises(InputTooLarge) as refused:
        parse_xml(cii_with(lines(50)), limits=Limits(max_elements=100))
    assert refused.value.detail.startswith("elements ")


def test_limits_given_win_over_max_bytes():
    doc = cii_with("")
    with pytest.raises(InputTooLarge):
        parse_xml(doc, max_bytes=10 * MB, limits=Limits(max_bytes=len(doc) - 1))
