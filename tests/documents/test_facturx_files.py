"""Issued documents become Factur-X files that pass the referee, sealed or not; drafts print only with the right."""

import datetime as dt
import subprocess
import zipfile

import pytest
from django.core.management import call_command

from facturier.accounts.models import Organisation, Right, Role
from facturier.audit.models import Event
from facturier.documents.batch import batch_create, batch_run
from facturier.documents.models import Certificate, JobState
from facturier.documents.services import (
    NoCertificate,
    NotPrintable,
    certificate_demo_ensure,
    certificate_upload,
    document_facturx,
    document_pdf,
    facturx_of,
)
from facturier.engine.facturx.unpack import unpack_facturx
from facturier.engine.pdf.certificates import CertificateError, make_self_signed
from facturier.invoicing.models import Document, State

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("demo")
    organisation = Organisation.objects.get(slug="demo")
    certificate_demo_ensure(organisation)
    return organisation


def issued_of(organisation):
    return list(Document.objects.filter(organisation=organisation).exclude(state=State.DRAFT).order_by("id"))


def test_every_demo_document_exports_as_factur_x_that_passes_the_referee_signed_or_not(demo, referee, tmp_path):
    files = {}
    for document in issued_of(demo):
        for signed in (False, True):
            produced = facturx_of(document, signed=signed)
            path = tmp_path / f"{'signed-' if signed else ''}{produced.filename}"
            path.write_bytes(produced.data)
            files[str(path)] = signed
    plain = referee([p for p, signed in files.items() if not signed], "--fr")
    sealed = referee([p for p, signed in files.items() if signed], "--fr", "--signatures")
    failures = {p: referee.fatal_findings(v) for p, v in {**plain, **sealed}.items() if not v["passed"]}
    assert failures == {}
    assert len(plain) + len(sealed) == len(files)


def test_every_demo_document_passes_the_factur_x_container_check_signed_or_not(demo):
    from facturier.engine.facturx.container import check_container

    findings = {}
    for document in issued_of(demo):
        for signed in (False, True):
            report = check_container(facturx_of(document, signed=signed).data)
            if report.findings:
                findings[(document.number, signed)] = [f"{f.rule} {f.message.en}" for f in report.findings]
    assert findings == {}
    assert len(issued_of(demo)) >= 3


def test_a_factur_x_carries_the_xml_of_the_document(demo):
    document = issued_of(demo)[0]
    attachment = unpack_facturx(facturx_of(document, signed=False).data)
    assert attachment.filename == "factur-x.xml"
    assert document.number.encode() in attachment.xml
    assert attachment.conformance_level == "EN 16931"


def test_sealing_without_a_certificate_fails_with_a_clear_message(org, issued):
    with pytest.raises(NoCertificate) as refused:
        facturx_of(issued, signed=True)
    assert "no sealing certificate" in refused.value.message


def test_a_pkcs12_with_a_wrong_password_is_refused_and_nothing_is_stored(owner):
    pkcs12 = make_self_signed("DEMO Acme", "Acme", days=30, password="right")
    with pytest.raises(CertificateError):
        certificate_upload(by=owner, data=pkcs12, password="wrong")
    assert not Certificate.objects.exists()


def test_an_uploaded_certificate_is_stored_encrypted_and_shown_with_its_details(owner, issued):
    pkcs12 = make_self_signed("DEMO Acme seal", "Acme", days=30, password="s3cret")
    certificate = certificate_upload(by=owner, data=pkcs12, password="s3cret", label="Cachet")
    stored = Certificate.objects.get(pk=certificate.pk)
    assert b"s3cret" not in bytes(stored.password) and bytes(stored.pkcs12) != pkcs12
    assert "DEMO Acme seal" in stored.holder and stored.is_demo
    assert Event.objects.filter(action="certificate.install").exists()
    sealed = facturx_of(issued, signed=True).data
    assert b"/ByteRange" in sealed


def test_a_viewer_cannot_install_a_certificate(org):
    from facturier.accounts.services import RightMissing

    viewer = org.member(Role.VIEWER)
    with pytest.raises(RightMissing):
        certificate_upload(by=viewer, data=b"x", password="x")


def test_printing_a_draft_needs_the_right_and_shows_a_watermark_without_number(org, draft, tmp_path):
    viewer = org.member(Role.VIEWER)
    with pytest.raises(NotPrintable):
        document_pdf(by=viewer, document_id=draft.pk)
    produced = document_pdf(by=org.owner, document_id=draft.pk)
    path = tmp_path / "draft.pdf"
    path.write_bytes(produced.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "ébauche" in text.lower()
    assert "FA-" not in text
    with pytest.raises(NotPrintable):
        document_facturx(by=org.owner, document_id=draft.pk)
    assert org.owner.has_right(Right.PRINT_DRAFTS)


def test_a_batch_job_produces_one_file_per_issued_document_and_a_zip(demo, tmp_path):
    documents = issued_of(demo)
    drafts = list(Document.objects.filter(organisation=demo, state=State.DRAFT).values_list("pk", flat=True))
    job = batch_create(by=None, organisation=demo, document_ids=[d.pk for d in documents] + drafts, signed=True)
    assert job.total == len(documents)
    job = batch_run(job.pk, out=tmp_path / "out")
    assert (job.state, job.done, job.failed, job.progress) == (JobState.DONE, len(documents), 0, 100)
    with zipfile.ZipFile(job.zip_path) as archive:
        assert sorted(archive.namelist()) == sorted(f"{d.number}.pdf" for d in documents)


def test_the_export_command_writes_the_files_of_a_period(demo, tmp_path, capsys):
    first = issued_of(demo)[0].issue_date
    call_command("documents", "export", "--org", "demo", "--from", first.isoformat(), "--to",
                 (first + dt.timedelta(days=10)).isoformat(), "--out", str(tmp_path / "export"))
    written = sorted(p.name for p in (tmp_path / "export").glob("*.pdf"))
    expected = Document.objects.filter(organisation=demo, issue_date__range=(first, first + dt.timedelta(days=10))
                                       ).exclude(state=State.DRAFT).count()
    assert len(written) == expected > 0
    assert f"{expected} Factur-X file(s)" in capsys.readouterr().out


def test_the_builtin_time_stamp_authority_answers_rfc3161_requests(client):
    from asn1crypto import tsp

    request = tsp.TimeStampReq({"version": "v1", "message_imprint": {
        "hash_algorithm": {"algorithm": "sha256"}, "hashed_message": b"\x01" * 32}, "nonce": 42, "cert_req": True})
    answer = client.post("/tsa/", data=request.dump(), content_type="application/timestamp-query")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/timestamp-reply"
    response = tsp.TimeStampResp.load(answer.content)
    assert response["status"]["status"].native == "granted"
    assert client.post("/tsa/", data=b"x", content_type="text/plain").status_code == 400


@pytest.mark.parametrize("model", ["by_date", "by_payment_method"])
def test_the_printed_list_shows_every_selected_document_with_credit_notes_negative(demo, tmp_path, model):
    from facturier.accounts.models import Membership
    from facturier.documents.services import document_list_pdf

    owner = Membership.objects.get(organisation=demo, user__email="demo@facturier.test")
    documents = Document.objects.filter(organisation=demo).exclude(state=State.DRAFT)
    path = tmp_path / "list.pdf"
    path.write_bytes(document_list_pdf(by=owner, documents=documents, model=model, language="fr"))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert all(d.number in text for d in documents)
    credit = documents.filter(kind="credit_note").first()
    assert "-" + f"{credit.tax_inclusive:,.2f}".replace(",", " ").replace(".", ",") in text.replace("−", "-")
    if model == "by_payment_method":
        assert "Sous-total" in text and "Virement" in text
