"""Must show: an upload of 100 mixed third-party files (valid and invalid, PDF and XML, some in a ZIP) with
the import report — every valid one imported once, every invalid one refused with its rule ids, and nothing
imported twice when the same batch is uploaded again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from import_helpers import ROOT, as_seller, broken, facturx, valid_sources, zip_of

pytestmark = pytest.mark.django_db

OTHER = {"siren": "500123450", "vat": "FR67500123450"}


def _plain_pdf(xml: bytes) -> bytes:
    from facturier.engine.cii.read import read_cii
    from facturier.engine.pdf.render import RenderOptions, render_invoice

    return render_invoice(read_cii(xml), RenderOptions())


def _hundred_files() -> tuple[list[tuple[str, bytes]], dict[str, set[str] | None]]:
    """(files, expected): expected[name] is None for a file to import, else the rule ids it must be refused with."""
    sources = valid_sources()
    cii = [(n, d) for n, d in sources if b"CrossIndustryInvoice" in d[:2000]]
    ubl = [(n, d) for n, d in sources if b"CrossIndustryInvoice" not in d[:2000]]
    files: list[tuple[str, bytes]] = []
    expected: dict[str, set[str] | None] = {}

    def add(name, data, rules=None):
        files.append((name, data))
        expected[name] = rules

    mixed = [*cii[:30], *ubl[:25]]  # XML: CII, UBL Invoice and CreditNote, XRechnung (CII and UBL), ZUGFeRD
    for i, (name, data) in enumerate(mixed):
        add(f"ok-{i:03d}-{name}", as_seller(data, number=f"T-{i:03d}"))
    for i, (name, data) in enumerate(cii[30:45]):  # Factur-X PDFs
        add(f"ok-pdf-{i:03d}-{Path(name).stem}.pdf", facturx(as_seller(data, number=f"P-{i:03d}")))
    for i, (name, data) in enumerate([*cii[:7], *ubl[:6]]):  # one official rule broken each
        wrong, rule = broken(as_seller(data, number=f"B-{i:03d}"), i)
        add(f"ko-rule-{i:03d}-{name}", wrong, {rule})
    for i, (name, data) in enumerate(cii[:2] + ubl[:2]):  # another seller
        add(f"ko-seller-{i}-{name}", as_seller(data, number=f"O-{i}", **OTHER), {"IMPORT-SELLER"})
    add("ko-seller-pdf.pdf", facturx(as_seller(cii[3][1], number="O-PDF", **OTHER)), {"IMPORT-SELLER"})
    for i in range(3):  # PDFs without XML
        add(f"ko-scan-{i}.pdf", _plain_pdf(as_seller(cii[i][1], number=f"S-{i}")), {"IMPORT-PDF-NO-XML"})
    good = as_seller(cii[0][1], number="M-0")
    for i, data in enumerate([good[: len(good) // 2], good[:-30], b"", b"not xml at all"]):  # malformed
        add(f"ko-malformed-{i}.xml", data, {"IMPORT-MALFORMED-XML"})
    unknown = [ROOT / "facturx-lib-fixtures/xml/order-x-basic.xml",
               ROOT / "facturx-lib-fixtures/xml/order-x-comfort.xml",
               *sorted((ROOT / "fr-ctc-1.4.0.03/cdar-examples").glob("*.xml"))[:2]]
    for path in unknown:  # an order, a status message: not invoices
        add(f"ko-unknown-{path.name}", path.read_bytes(), {"IMPORT-UNKNOWN-SYNTAX"})
    add("ko-truncated.pdf", facturx(as_seller(cii[5][1], number="TR-1"))[:5000], {"IMPORT-PDF-NO-XML"})
    assert len(files) == 100, len(files)
    return files, expected


def test_a_hundred_mixed_files_each_imported_once_or_refused_with_its_rule_ids(org):
    from facturier.imports.models import Outcome
    from facturier.imports.selectors import report_of
    from facturier.imports.services import IncomingFile, import_files
    from facturier.invoicing.models import IMPORTED_SERIES_CODE, Document

    files, expected = _hundred_files()
    zipped = dict(files[60:80])  # twenty of them (PDFs and refusals) in a ZIP
    upload = [IncomingFile(n, d) for n, d in files[:60] + files[80:]] + [IncomingFile("part.zip", zip_of(zipped))]

    batch = import_files(organisation=org, files=upload, source="upload", by=org.owner)
    report = json.loads(json.dumps(report_of(batch)))  # JSON as the API answers it
    by_name = {f["file"].removeprefix("part.zip/"): f for f in report["files"]}
    assert set(by_name) == set(expected)
    for name, rules in expected.items():
        line = by_name[name]
        if rules is None:
            assert line["outcome"] == Outcome.IMPORTED, (name, line["messages"])
            assert line["document_id"] and line["customer_id"]
        else:
            assert line["outcome"] == Outcome.REFUSED, name
            assert rules <= set(line["rules"]), (name, line["rules"])
            assert all(m["message"] for m in line["messages"])
    valid = sum(r is None for r in expected.values())
    assert (report["imported"], report["refused"], report["duplicates"]) == (valid, 100 - valid, 0)
    imported = Document.objects.filter(organisation=org, series__code=IMPORTED_SERIES_CODE)
    assert imported.count() == valid

    again = import_files(organisation=org, files=upload, source="upload", by=org.owner)
    assert again.imported_count == 0 and again.duplicate_count == valid and again.refused_count == 100 - valid
    assert imported.count() == valid
    numbers = list(imported.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))
