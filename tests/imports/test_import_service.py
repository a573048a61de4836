"""The import service: third-party invoices become issued documents of the "imported" series, once."""

from __future__ import annotations

import pytest
from django.utils import timezone
from import_helpers import CII_EXAMPLES, as_seller, facturx, valid_sources, zip_of

pytestmark = pytest.mark.django_db


def _import(org, *files, by=None, source="upload"):
    from facturier.imports.services import IncomingFile, import_files

    return import_files(organisation=org, files=[IncomingFile(n, d) for n, d in files], source=source,
                        by=by if by is not None else org.owner)


def _ubl_source() -> bytes:
    return next(data for name, data in valid_sources() if name.startswith("ubl-"))


def _cii(number="EXT-0001", example=1):
    return as_seller(CII_EXAMPLES[example].read_bytes(), number=number)


def test_a_facturx_pdf_becomes_an_issued_document_with_its_own_number_and_the_original_archived(org):
    from facturier.archive.models import ArchiveEntry, ArtefactKind
    from facturier.archive.selectors import archived_content
    from facturier.imports.models import Outcome
    from facturier.invoicing.models import IMPORTED_SERIES_CODE, State

    pdf = facturx(_cii("EXT-0001"))
    batch = _import(org, ("ext-0001.pdf", pdf))
    item = batch.items.get()
    assert item.outcome == Outcome.IMPORTED, item.messages
    document = item.document
    assert document.number == "EXT-0001" and document.state == State.ISSUED
    assert document.series.code == IMPORTED_SERIES_CODE
    assert document.lines.count() > 0 and document.payable > 0
    entry = ArchiveEntry.objects.get(document=document, kind=ArtefactKind.FACTURX_PDF)
    assert archived_content(entry) == pdf  # the original, byte for byte
    assert entry.document_date == document.issue_date and entry.fingerprint == item.sha256
    assert entry.retention_until.year >= timezone.localdate().year + 6  # kept from its import, not purged at once
    assert batch.imported_count == 1


def test_an_imported_document_is_frozen(org):
    from facturier.invoicing.models import DocumentImmutable

    document = _import(org, ("a.xml", _cii())).items.get().document
    document.note = "changed"
    with pytest.raises(DocumentImmutable):
        document.save()


def test_the_same_file_or_the_same_number_is_never_imported_twice(org):
    from facturier.imports.models import Outcome
    from facturier.invoicing.models import Document

    xml = _cii("EXT-7")
    first = _import(org, ("a.xml", xml))
    again = _import(org, ("a.xml", xml), ("b.xml", as_seller(_ubl_source(), number="EXT-7")))
    assert first.items.get().outcome == Outcome.IMPORTED
    outcomes = [(i.outcome, i.rules) for i in again.items.order_by("position")]
    assert outcomes == [(Outcome.DUPLICATE, ["IMPORT-DUPLICATE-FILE"]),
                        (Outcome.DUPLICATE, ["IMPORT-DUPLICATE-NUMBER"])]
    assert Document.objects.filter(organisation=org, number="EXT-7").count() == 1


def test_an_invoice_of_another_seller_is_refused_with_the_reason_and_leaves_nothing(org):
    from facturier.imports.models import Outcome
    from facturier.invoicing.models import Document
    from facturier.parties.models import Customer

    customers = Customer.objects.count()
    other = as_seller(CII_EXAMPLES[1].read_bytes(), number="X1", siren="500123450", vat="FR67500123450")
    item = _import(org, ("other.xml", other)).items.get()
    assert item.outcome == Outcome.REFUSED and item.rules == ["IMPORT-SELLER"]
    assert "500123450" in item.messages[0]["en"]
    assert not Document.objects.filter(organisation=org, number="X1").exists()
    assert Customer.objects.count() == customers


def test_a_pdf_without_xml_is_refused(org):
    from facturier.imports.models import Outcome

    plain = (__import__("pathlib").Path(__file__).parent / "plain.pdf")
    pdf = plain.read_bytes() if plain.exists() else _plain_pdf()
    item = _import(org, ("scan.pdf", pdf)).items.get()
    assert item.outcome == Outcome.REFUSED and "IMPORT-PDF-NO-XML" in item.rules


def _plain_pdf() -> bytes:
    from facturier.engine.cii.read import read_cii
    from facturier.engine.pdf.render import RenderOptions, render_invoice

    return render_invoice(read_cii(_cii()), RenderOptions())


def test_malformed_and_unknown_xml_are_refused_with_their_rule(org):
    items = _import(org, ("bad.xml", b"<Invoice><unclosed></Invoice>"), ("order.xml", b"<Order/>")).items.order_by(
        "position")
    assert [i.rules for i in items] == [["IMPORT-MALFORMED-XML"], ["IMPORT-UNKNOWN-SYNTAX"]]


def test_an_invalid_invoice_is_refused_with_the_official_rule_ids(org):
    xml = _cii("EXT-9").replace(b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:TypeCode>999</ram:TypeCode>", 1)
    item = _import(org, ("bad.xml", xml)).items.get()
    assert item.outcome == "refused"
    assert any(rule.startswith("BR-") for rule in item.rules), item.rules


def test_the_buyer_is_matched_to_a_known_customer_else_created_and_flagged(org):
    from facturier.imports.models import Outcome

    item = _import(org, ("a.xml", _cii("EXT-1"))).items.get()
    assert item.outcome == Outcome.IMPORTED and item.customer_created
    assert item.customer.code.startswith("IMP")
    second = _import(org, ("b.xml", _cii("EXT-2"))).items.get()
    assert second.customer == item.customer and not second.customer_created


def test_the_member_needs_the_issue_right(org):
    from facturier.accounts.services import RightMissing

    viewer = org.member("viewer")
    with pytest.raises(RightMissing):
        _import(org, ("a.xml", _cii()), by=viewer)


def test_a_zip_is_opened_and_each_entry_is_an_item(org):
    from facturier.imports.models import Outcome

    data = zip_of({"one.xml": _cii("Z-1"), "two.xml": _cii("Z-2"), "notes.txt": b"hello"})
    items = list(_import(org, ("batch.zip", data)).items.order_by("position"))
    assert [(i.name, i.outcome) for i in items] == [
        ("batch.zip/one.xml", Outcome.IMPORTED), ("batch.zip/two.xml", Outcome.IMPORTED),
        ("batch.zip/notes.txt", Outcome.REFUSED)]


def test_the_signal_is_sent_once_the_import_commits(org, django_capture_on_commit_callbacks):
    from facturier.imports.signals import document_imported

    received = []

    def listener(**kwargs):
        received.append(kwargs)

    document_imported.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            batch = _import(org, ("a.xml", _cii("S-1")))
            assert received == []
    finally:
        document_imported.disconnect(listener)
    item = batch.items.get()
    assert [(r["document_id"], r["organisation_id"], r["batch_id"]) for r in received] == [
        (item.document_id, org.pk, batch.pk)]


def test_the_imported_series_takes_no_draft_and_its_code_is_kept(org):
    from django.core.exceptions import ValidationError

    from facturier.invoicing.content import InvalidDocument
    from facturier.invoicing.services import draft_create
    from facturier.web.services import series_create

    document = _import(org, ("a.xml", _cii("SER-1"))).items.get().document
    with pytest.raises(InvalidDocument):
        draft_create(by=org.owner, customer_id=org.customer.pk, series_id=document.series_id,
                     lines=[{"name": "x", "quantity": 1, "unit_price": 1}])
    with pytest.raises(ValidationError):
        series_create(by=org.owner, code="imported", name="Mine")


def test_the_system_imports_without_a_member_for_mail_import(org):
    from facturier.audit.models import Event
    from facturier.imports.services import IncomingFile, import_files

    batch = import_files(organisation=org, files=[IncomingFile("m.xml", _cii("MAIL-1"))], source="email",
                         by=None, sender="erp@client.test")
    item = batch.items.get()
    assert item.outcome == "imported" and batch.sender == "erp@client.test" and batch.created_by is None
    assert Event.objects.filter(action="document.import", organisation=org).exists()


def test_an_invoice_received_as_xml_is_served_as_a_facturx_carrying_that_xml(org):
    from facturier.documents.services import facturx_of
    from facturier.engine.facturx.unpack import unpack_facturx

    xml = _cii("XML-1")
    document = _import(org, ("x.xml", xml)).items.get().document
    produced = facturx_of(document)
    assert unpack_facturx(produced.data).xml == xml


def test_an_invoice_received_as_ubl_is_served_as_a_facturx_of_its_cii_conversion(org):
    from facturier.documents.services import facturx_of
    from facturier.engine.cii.read import read_cii
    from facturier.engine.facturx.unpack import unpack_facturx

    document = _import(org, ("u.xml", as_seller(_ubl_source(), number="UBL-1"))).items.get().document
    carried = read_cii(unpack_facturx(facturx_of(document).data).xml)
    assert carried.number == "UBL-1" and carried.totals.amount_due == document.payable


def test_an_imported_document_is_written_issued_with_its_frozen_content_which_the_database_then_guards(org):
    from django.db import DatabaseError, transaction

    from facturier.invoicing.models import Document, Line, State

    document = _import(org, ("frozen.xml", _cii("EXT-FROZEN"))).items.get().document
    stored = Document.objects.get(pk=document.pk)
    assert stored.state == State.ISSUED and stored.number == "EXT-FROZEN" and stored.number_value is not None
    assert stored.issued_at is not None and stored.issued_by_id == org.owner.user_id
    assert stored.seller_snapshot and stored.buyer_snapshot
    assert stored.lines.count() > 0
    # Issued in the import's own transaction: from then on the triggers refuse lines and legal changes
    # (bulk_create and update() pass the model's own checks by: the database answers).
    with pytest.raises(DatabaseError), transaction.atomic():
        Line.objects.bulk_create([Line(document=stored, position=99, name="added later", quantity=1, unit_price=1,
                                       net_amount=1)])
    with pytest.raises(DatabaseError), transaction.atomic():
        Document.objects.filter(pk=stored.pk).update(note="changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        Document.objects.filter(pk=stored.pk).update(state=State.DRAFT)


def test_a_file_refused_inside_its_transaction_leaves_nothing_behind(org, monkeypatch):
    """The archive refuses the file at the last moment (archived meanwhile by another import): the document,
    its lines, the customer it would have made, the series counter and the archive are as before."""
    from django.db import IntegrityError

    from facturier.archive.models import ArchiveEntry, JournalRecord
    from facturier.imports import services
    from facturier.invoicing.models import IMPORTED_SERIES_CODE, Document, Line, Series
    from facturier.parties.models import Customer

    _import(org, ("first.xml", _cii("EXT-BEFORE")))
    def state():
        return (Document.objects.count(), Line.objects.count(), Customer.objects.count(),
                ArchiveEntry.objects.count(), JournalRecord.objects.count(),
                Series.objects.get(organisation=org, code=IMPORTED_SERIES_CODE).next_number)

    before = state()

    def archived_meanwhile(*args, **kwargs):
        raise IntegrityError("archived meanwhile")

    monkeypatch.setattr(services, "artefacts_record", archived_meanwhile)
    item = _import(org, ("late.xml", as_seller(CII_EXAMPLES[2].read_bytes(), number="EXT-LATE"))).items.get()
    assert item.outcome == "duplicate" and item.document_id is None and item.customer_id is None
    assert state() == before
    assert not Document.objects.filter(number="EXT-LATE").exists()


def test_a_new_buyer_met_again_in_the_same_batch_is_one_customer_and_a_refused_file_hands_none_on(org, monkeypatch):
    from django.db import IntegrityError

    from facturier.imports import services
    from facturier.parties.models import Customer

    real, calls = services.artefacts_record, []

    def first_archived_meanwhile(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError("archived meanwhile")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "artefacts_record", first_archived_meanwhile)
    customers = Customer.objects.filter(organisation=org).count()
    batch = _import(org, *[(f"{n}.xml", _cii(f"EXT-NB-{n}", example=3)) for n in (1, 2, 3)])
    items = list(batch.items.order_by("position"))
    assert [i.outcome for i in items] == ["duplicate", "imported", "imported"], [i.messages for i in items]
    # The first file made the customer, then was refused: rolled back, it is not handed to the second file,
    # which makes it again; the third file is matched to it.
    assert items[0].customer_id is None
    assert items[1].customer_created and not items[2].customer_created
    assert items[1].customer_id == items[2].customer_id
    assert Customer.objects.filter(organisation=org).count() == customers + 1
