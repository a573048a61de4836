"""Proof bundles and the export: the exported files are the archived ones, and verify offline."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command

from facturier.archive.export import archive_export, document_proof
from facturier.archive.models import ArchiveEntry, ArtefactKind, Checkpoint
from facturier.archive.selectors import archived_content
from facturier.engine.archive import verify_bundle

pytestmark = pytest.mark.django_db


def clean_python() -> list[str]:
    """An interpreter without the project: Debian's python3 (with python3-cryptography) when present."""
    system = shutil.which("python3", path="/usr/bin")
    if system and subprocess.run([system, "-c", "import cryptography"], capture_output=True,
                                 check=False).returncode == 0:
        return [system, "-I"]
    return [sys.executable, "-I"]


def test_a_document_proof_verifies_against_the_archived_file(archived, org):
    bundle = document_proof(organisation=org, document_id=archived.pk)
    entry = ArchiveEntry.objects.get(document=archived, kind=ArtefactKind.FACTURX_PDF)
    data = archived_content(entry)
    verdict = verify_bundle(bundle, data)
    assert verdict.ok, verdict.failures
    assert not verify_bundle(bundle, data + b"\n").ok
    assert Checkpoint.objects.filter(organisation=org).count() == 1  # sealed on demand, once
    assert document_proof(organisation=org, document_id=archived.pk).checkpoint.number == 1


def test_the_export_holds_the_archived_files_byte_for_byte_with_a_manifest(archived, issue_another, org, tmp_path):
    issue_another()
    out = tmp_path / "export.zip"
    err = io.StringIO()
    call_command("archive", "export", "--org", org.slug, "--out", str(out), stdout=err)
    assert "4 file(s) exported" in err.getvalue()
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        assert {"README.txt", "verify.py", "manifest.csv", "operator-public-key.pem"} <= names
        rows = list(csv.DictReader(io.StringIO(z.read("manifest.csv").decode("utf-8-sig"))))
        assert len(rows) == 4
        for row in rows:
            entry = ArchiveEntry.objects.get(organisation=org, journal_seq=int(row["journal_seq"]))
            data = z.read(row["file"])
            assert data == archived_content(entry)
            assert hashlib.sha256(data).hexdigest() == row["sha256"] == entry.fingerprint
            assert row["number"] == entry.document_number and row["customer_code"] == "C001"
            assert row["total_including_vat"] == str(entry.document.tax_inclusive)
            assert json.loads(z.read(row["proof"]))["document"]["fingerprint"] == entry.fingerprint


def test_the_exported_zip_verifies_offline_with_its_own_verify_py(archived, org, tmp_path):
    out = tmp_path / "export.zip"
    archive_export(organisation=org, out=out)
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(out) as z:
        z.extractall(folder)
    number = archived.number
    pdf = Path("documents", number, f"{number}.pdf")
    proof = Path("proofs", number, f"{number}.pdf.proof.json")
    command = [*clean_python(), "verify.py", str(proof), str(pdf), "--operator-key", "operator-public-key.pem",
               "--lang", "en"]
    clean = {"PATH": "/usr/bin:/bin"}
    run = subprocess.run(command, check=False, cwd=folder, capture_output=True, text=True, env=clean, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "VERDICT: the file is the archived document, untouched" in run.stdout
    tampered = folder / "tampered.pdf"
    tampered.write_bytes((folder / pdf).read_bytes() + b"%")
    run = subprocess.run([*command[:4], str(tampered), *command[5:]], check=False, cwd=folder, capture_output=True,
                         text=True, env=clean, timeout=120)
    assert run.returncode == 1 and "NOT VERIFIED" in run.stdout


def test_an_export_by_date_range_keeps_only_those_documents(archived, org, tmp_path):
    out = tmp_path / "empty.zip"
    result = archive_export(organisation=org, out=out, start=archived.issue_date.replace(year=2030))
    assert result.files == 0
    with zipfile.ZipFile(out) as z:
        assert len(z.read("manifest.csv").decode("utf-8-sig").splitlines()) == 1
