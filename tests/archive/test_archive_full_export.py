"""The full export of an organisation's archive, checked by its own verify.py in a clean virtual environment."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

from facturier.archive.full_export import file_sha256, full_export
from facturier.engine.archive import MerkleTree
from facturier.engine.archive.verify_export import merkle_root

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def clean_venv(tmp_path_factory):
    """A `python3 -m venv` of the machine's interpreter, without the project or any package."""
    folder = tmp_path_factory.mktemp("clean-venv")
    base = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    python = folder / "bin" / "python"
    probe = subprocess.run([str(python), "-I", "-c", "import cryptography"], capture_output=True, check=False)
    assert probe.returncode != 0, "the clean venv must not see the project's packages"
    return python


def run_verify(python, *args, cwd):
    return subprocess.run([str(python), "-I", "verify.py", *args], cwd=cwd, capture_output=True, text=True,
                          check=False, env={"PATH": "/usr/bin:/bin"}, timeout=600)


def unpack(path, folder):
    with zipfile.ZipFile(path) as z:
        z.extractall(folder)
    return folder


@pytest.fixture
def exported(archived, issue_another, org, tmp_path):
    issue_another()
    issue_another()
    result = full_export(organisation=org, out=tmp_path / "export.zip")
    return result


def test_the_merkle_root_of_the_verifier_is_the_engines():
    for n in range(1, 40):
        leaves = [bytes([i]) * 32 for i in range(n)]
        from facturier.engine.archive.verify_export import _leaf

        assert merkle_root([_leaf(h) for h in leaves]) == MerkleTree(leaves).root()


def test_a_full_export_verifies_in_a_clean_venv_unpacked_and_zipped(exported, clean_venv, tmp_path):
    assert exported.files == 6 and exported.sha256 == file_sha256(exported.path)
    folder = unpack(exported.path, tmp_path / "unpacked")
    run = run_verify(clean_venv, "--lang", "en", cwd=folder)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "VERDICT: the export is complete and untouched" in run.stdout
    assert "6 archived file(s)" in run.stdout
    run = run_verify(clean_venv, str(exported.path), cwd=folder)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "l'export est complet et intact" in run.stdout


def _first_document(folder):
    return next(p for p in sorted((folder / "documents").rglob("*")) if p.is_file())


def test_one_changed_byte_fails(exported, clean_venv, tmp_path):
    folder = unpack(exported.path, tmp_path / "u")
    target = _first_document(folder)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 1
    target.write_bytes(bytes(data))
    run = run_verify(clean_venv, "--lang", "en", cwd=folder)
    assert run.returncode == 1
    assert f"{target.relative_to(folder)}: its SHA-256" in run.stdout and "file changed" in run.stdout


def test_a_removed_file_fails(exported, clean_venv, tmp_path):
    folder = unpack(exported.path, tmp_path / "u")
    target = _first_document(folder)
    target.unlink()
    run = run_verify(clean_venv, "--lang", "en", cwd=folder)
    assert run.returncode == 1
    assert f"missing file: {target.relative_to(folder)}" in run.stdout


def test_an_added_file_fails(exported, clean_venv, tmp_path):
    folder = unpack(exported.path, tmp_path / "u")
    (folder / "documents" / "extra.pdf").write_bytes(b"%PDF-1.7")
    run = run_verify(clean_venv, "--lang", "en", cwd=folder)
    assert run.returncode == 1 and "file not in the manifest: documents/extra.pdf" in run.stdout


def test_a_changed_manifest_line_fails(exported, clean_venv, tmp_path):
    folder = unpack(exported.path, tmp_path / "u")
    manifest = folder / "manifest.csv"
    lines = manifest.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    lines[1] = lines[1].replace("2026", "2025", 1)
    manifest.write_text("".join(lines), encoding="utf-8-sig")
    run = run_verify(clean_venv, "--lang", "en", cwd=folder)
    assert run.returncode == 1 and "manifest.csv was changed" in run.stdout


def test_a_forged_checkpoint_signature_fails(exported, clean_venv, tmp_path):
    import base64

    folder = unpack(exported.path, tmp_path / "u")
    path = folder / "checkpoints.jsonl"
    checkpoints = [json.loads(line) for line in path.read_text().splitlines()]
    signature = bytearray(base64.b64decode(checkpoints[-1]["signature"]))
    signature[5] ^= 0x40
    checkpoints[-1]["signature"] = base64.b64encode(bytes(signature)).decode()
    path.write_text("".join(json.dumps(c, sort_keys=True) + "\n" for c in checkpoints))
    run = run_verify(clean_venv, "--lang", "en", cwd=folder)
    assert run.returncode == 1
    assert f"checkpoint #{checkpoints[-1]['number']}: signature (Ed25519) is invalid" in run.stdout


def test_a_file_removed_with_its_manifest_line_and_a_rewritten_inventory_still_fails(exported, clean_venv, tmp_path):
    import csv
    import hashlib
    import io

    folder = unpack(exported.path, tmp_path / "u")
    manifest = folder / "manifest.csv"
    rows = list(csv.reader(io.StringIO(manifest.read_text(encoding="utf-8-sig"))))
    removed = rows.pop(1)
    (folder / removed[9]).unlink()
    (folder / removed[17]).unlink()
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    manifest.write_text(out.getvalue(), encoding="utf-8-sig")
    inventory = json.loads((folder / "export.json").read_text())
    inventory["manifest_rows"] -= 1
    inventory["manifest_sha256"] = hashlib.sha256(manifest.read_bytes()).hexdigest()
    (folder / "export.json").write_text(json.dumps(inventory))
    run = run_verify(clean_venv, "--lang", "en", cwd=folder)
    assert run.returncode == 1
    assert f"journal entry seq {removed[16]} records an archived file" in run.stdout
