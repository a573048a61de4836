"""Bad input: ZIP bombs and hostile ZIPs, oversize files and uploads, likely duplicates — each a clear message,
nothing half-imported."""

from __future__ import annotations

import io
import zipfile

import pytest
from import_helpers import CII_EXAMPLES, as_seller, zip_of

pytestmark = pytest.mark.django_db


def _import(org, *files):
    from facturier.imports.services import IncomingFile, import_files

    return import_files(organisation=org, files=[IncomingFile(n, d) for n, d in files], source="upload",
                        by=org.owner)


def _cii(number):
    return as_seller(CII_EXAMPLES[1].read_bytes(), number=number)


def _documents(org):
    from facturier.invoicing.models import Document

    return Document.objects.filter(organisation=org).count()


def test_a_zip_bomb_is_refused_without_inflating_it(org):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("invoice.xml", b"\0" * (300 * 1024 * 1024))  # 300 MB of zeros, 300 KB compressed
    before = _documents(org)
    batch = _import(org, ("bomb.zip", out.getvalue()))
    item = batch.items.get()
    assert item.outcome == "refused" and item.rules == ["IMPORT-ZIP-TOTAL"]
    assert "ZIP bomb" in item.messages[0]["en"]
    assert _documents(org) == before


def test_an_entry_that_inflates_far_more_than_invoices_do_is_refused(org):
    data = zip_of({"ok.xml": _cii("ZB-1"), "bomb.xml": b"<a>" + b" " * (30 * 1024 * 1024) + b"</a>"})
    items = {i.name: i for i in _import(org, ("mixed.zip", data)).items.all()}
    assert items["mixed.zip/bomb.xml"].rules == ["IMPORT-ZIP-RATIO"]
    assert items["mixed.zip/ok.xml"].outcome == "imported"


def test_a_zip_lying_about_its_sizes_is_cut_where_the_ratio_says(org):
    from facturier.imports.zips import ZipLimits, open_zip

    honest = zip_of({"a.xml": b"x" * 2_000_000})
    # Rewrite the declared uncompressed size (local header and central directory) to 10 bytes.
    lying = bytearray(honest)
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = lying.find(sig)
        lying[at + offset: at + offset + 4] = (10).to_bytes(4, "little")
    entry = open_zip(bytes(lying), ZipLimits(max_ratio=100))[0]
    assert entry.data is None and entry.refusal in ("ratio", "bad")


def test_too_many_entries_path_traversal_and_nested_zips_are_refused(org):
    from facturier.imports.zips import ZipLimits, ZipRefused, open_zip

    many = zip_of({f"{i}.xml": b"<a/>" for i in range(30)})
    with pytest.raises(ZipRefused) as refused:
        open_zip(many, ZipLimits(max_entries=20))
    assert refused.value.reason == "entries"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("../../etc/evil.xml", _cii("ZT-1"))
        z.writestr("/abs.xml", _cii("ZT-2"))
        z.writestr("inner.zip", zip_of({"x.xml": _cii("ZT-3")}))
        z.writestr("renamed.xml", zip_of({"y.xml": _cii("ZT-4")}))
    items = {i.name: i.rules for i in _import(org, ("hostile.zip", out.getvalue())).items.all()}
    assert items == {"hostile.zip/../../etc/evil.xml": ["IMPORT-ZIP-PATH"], "hostile.zip//abs.xml": ["IMPORT-ZIP-PATH"],
                     "hostile.zip/inner.zip": ["IMPORT-ZIP-NESTED"], "hostile.zip/renamed.xml": ["IMPORT-ZIP-NESTED"]}


def test_an_entry_compressed_by_a_method_zipfile_cannot_read_is_refused_and_the_others_read(org):
    from facturier.imports.zips import open_zip

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a.xml", b"<a/>")
        archive.writestr("b.xml", b"<b/>")
    data = bytearray(buffer.getvalue())
    # b.xml's method (local header and central directory) set to 99, AES in WinZip's scheme
    local = data.index(b"PK\x03\x04", 1)
    data[local + 8:local + 10] = (99).to_bytes(2, "little")
    central = data.rindex(b"PK\x01\x02")
    data[central + 10:central + 12] = (99).to_bytes(2, "little")
    first, second = open_zip(bytes(data))
    assert (first.name, first.data, first.refusal) == ("a.xml", b"<a/>", "")
    assert (second.name, second.data, second.refusal) == ("b.xml", None, "bad")


def test_a_broken_zip_is_refused(org):
    item = _import(org, ("broken.zip", b"PK\x03\x04" + b"garbage" * 10)).items.get()
    assert item.rules == ["IMPORT-ZIP-BAD"]


def test_a_file_over_the_file_cap_is_refused_and_an_upload_over_the_upload_cap_is_refused_whole(org, settings):
    from facturier.imports.models import ImportBatch
    from facturier.imports.services import ImportTooLarge

    settings.FACTURIER_IMPORT_MAX_FILE_BYTES = 1024 * 1024
    settings.FACTURIER_IMPORT_MAX_UPLOAD_BYTES = 3 * 1024 * 1024
    item = _import(org, ("huge.xml", b"<a>" + b" " * (2 * 1024 * 1024) + b"</a>")).items.get()
    assert item.rules == ["IMPORT-TOO-LARGE"] and "1 MB" in item.messages[0]["en"]
    batches = ImportBatch.objects.count()
    with pytest.raises(ImportTooLarge) as refused:
        _import(org, *[(f"{i}.xml", b" " * (1024 * 1024)) for i in range(4)])
    assert "4 MB" in refused.value.message and "3 MB" in refused.value.message
    assert ImportBatch.objects.count() == batches


def _policy(org, policy):
    from facturier.delivery.models import MailSettings

    MailSettings.objects.update_or_create(organisation=org, defaults={
        "duplicate_policy": policy, "host": "localhost", "sender_address": "factures@acme.test"})


@pytest.mark.parametrize("policy,outcome", [("warn", "imported"), ("block", "duplicate")])
def test_same_amount_and_date_for_the_same_customer_is_warned_or_blocked_per_the_setting(org, policy, outcome):
    from facturier.invoicing.models import Document

    _policy(org, policy)
    first = _import(org, ("first.xml", _cii("DUP-1"))).items.get()
    assert first.outcome == "imported"
    item = _import(org, ("again.xml", _cii("DUP-2"))).items.get()  # the same invoice re-exported, a new number
    assert item.outcome == outcome
    assert [m["rule"] for m in item.messages if m["rule"].startswith("IMPORT-DUPLICATE")] == [
        "IMPORT-DUPLICATE-AMOUNT-DATE"]
    assert "DUP-1" in item.messages[0]["en"]
    assert Document.objects.filter(organisation=org, number="DUP-2").exists() == (outcome == "imported")


def test_without_mail_settings_a_likely_duplicate_is_only_warned(org):
    _import(org, ("first.xml", _cii("DW-1")))
    item = _import(org, ("again.xml", _cii("DW-2"))).items.get()
    assert item.outcome == "imported" and item.messages[0]["severity"] == "warning"
