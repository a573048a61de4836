"""A termination export of 10,000 archived files, verified offline by its verify.py in a clean virtual environment.

The files are small (1 KB) so that the suite stays reasonable; every one of them goes through the
real ingest (encryption, built-in TSA time stamp, journal) and the real export and verification.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from facturier.archive.full_export import full_export

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
FILES = 10_000


def test_a_termination_export_of_10000_files_verifies_offline(org, tmp_path):
    from facturier.archive.models import ArtefactKind
    from facturier.archive.services import Artefact, archive_artefacts

    for start in range(0, FILES, 1000):
        archive_artefacts(org, [
            Artefact(kind=ArtefactKind.XML, filename=f"F-{i:05d}.xml", data=b"<i>%d</i>" % i + os.urandom(1000),
                     reference=f"t10k:{i}/xml", number=f"F-{i:05d}") for i in range(start, start + 1000)])
    result = full_export(organisation=org, out=tmp_path / "export.zip")
    assert result.files == FILES
    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    run = subprocess.run([str(venv / "bin" / "python"), "-I", "-c",
                          "import zipfile,sys; exec(zipfile.ZipFile(sys.argv[1]).read('verify.py'))",
                          str(result.path), "--lang", "en"],
                         capture_output=True, text=True, check=False, timeout=600, env={"PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert f"{FILES} archived file(s)" in run.stdout
