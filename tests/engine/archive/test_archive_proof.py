"""Proof bundles, verified in-process and by the standalone script run alone in a clean directory."""

from __future__ import annotations

import ast
import base64
import copy
import dataclasses
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from archive_factories import T0, archive_documents
from asn1crypto import cms as asn1_cms
from cryptography.hazmat.primitives import serialization

from facturier.engine.archive import (
    Kind,
    MerkleTree,
    OperatorKey,
    ProofBundle,
    ProofError,
    make_bundle,
    make_checkpoint,
    payload_digest,
    standalone_script,
    verify_bundle,
)
from facturier.engine.archive.checkpoint import Checkpoint
from facturier.engine.archive.verify_standalone import TokenError, verify_timestamp_token

DOCUMENTS = [b"%PDF-1.7\n" + os.urandom(5000) + bytes([i]) + b"\n%%EOF\n" for i in range(7)]


@pytest.fixture
def proof(data_key, tsa, operator):
    """A bundle for the fourth of seven archived invoices, sealed with audit events around them."""
    chain, rows = archive_documents(data_key, DOCUMENTS, tsa=tsa)
    chain.append(kind=Kind.AUDIT, organisation="org-42", subject="audit:1", payload_digest=payload_digest({}),
                 recorded_at=T0 + dt.timedelta(hours=3))
    period = [r.entry for r in rows] + [chain.last]
    checkpoint = make_checkpoint(period, signer=operator, timestamp=tsa.timestamp, journal="org-42")
    row = rows[3]
    bundle = make_bundle(entry=row.entry, metadata=row.metadata, timestamp_token=row.token, checkpoint=checkpoint,
                         period=period, operator_public_key=operator.public_pem(), tsa_certificates=[tsa.root],
                         name="FA-2026-00004.pdf")
    return bundle, DOCUMENTS[3]


def test_a_bundle_time_stamped_by_an_rsa_tsa_verifies_offline(data_key, rsa_tsa, operator, tmp_path):
    """pyHanko's responder (RSA, ESS v1, issuer-and-serial): another implementation than ours."""
    _, rows = archive_documents(data_key, DOCUMENTS[:2], tsa=rsa_tsa)
    entries = [r.entry for r in rows]
    checkpoint = make_checkpoint(entries, signer=operator, timestamp=rsa_tsa.timestamp)
    bundle = make_bundle(entry=entries[1], metadata=rows[1].metadata, timestamp_token=rows[1].token,
                         checkpoint=checkpoint, period=entries, operator_public_key=operator.public_pem())
    (tmp_path / "root.pem").write_bytes(rsa_tsa.root.public_bytes(serialization.Encoding.PEM))
    result = run_standalone(tmp_path, bundle.to_dict(), DOCUMENTS[1], "--tsa-root", str(tmp_path / "root.pem"))
    assert result.returncode == 0, result.stdout
    assert "Facturier Test RSA TSA" in result.stdout


def test_a_proof_bundle_verifies_and_round_trips_through_json(proof, tsa, operator):
    bundle, document = proof
    again = ProofBundle.from_json(bundle.to_json())
    assert again == bundle
    verdict = verify_bundle(again, document, operator_keys=[operator.public_key], tsa_roots=[tsa.root])
    assert verdict.ok, verdict.render()
    assert verdict.archived_at is not None
    assert not verify_bundle(bundle, DOCUMENTS[2]).ok


def test_every_document_of_a_period_gets_a_bundle_from_one_tree(data_key, tsa, operator):
    _, rows = archive_documents(data_key, DOCUMENTS, tsa=tsa)
    entries = [r.entry for r in rows]
    checkpoint = make_checkpoint(entries, signer=operator, timestamp=tsa.timestamp)
    tree = MerkleTree(bytes.fromhex(e.entry_hash) for e in entries)
    for row, document in zip(rows, DOCUMENTS, strict=True):
        bundle = make_bundle(entry=row.entry, metadata=row.metadata, timestamp_token=row.token,
                             checkpoint=checkpoint, period=tree, operator_public_key=operator.public_pem())
        assert verify_bundle(bundle, document).ok


def test_a_bundle_needs_the_checkpoints_own_period(proof, data_key, tsa, operator):
    bundle, _ = proof
    with pytest.raises(ProofError):
        make_bundle(entry=bundle.entry, metadata=bundle.metadata, timestamp_token=b"", checkpoint=bundle.checkpoint,
                    period=[bundle.entry], operator_public_key=operator.public_pem())


# --- The standalone script, alone in a clean directory -----------------------------------------


def run_standalone(tmp_path: Path, bundle: dict, document: bytes, *args: str) -> subprocess.CompletedProcess:
    """`python -I verify.py bundle.json file.pdf` in a directory holding only those files, empty environment."""
    workdir = tmp_path / "offline"
    workdir.mkdir(exist_ok=True)
    (workdir / "verify.py").write_bytes(standalone_script())
    (workdir / "bundle.json").write_text(json.dumps(bundle), encoding="utf-8")
    (workdir / "file.pdf").write_bytes(document)
    return subprocess.run([sys.executable, "-I", "verify.py", "bundle.json", "file.pdf", "--lang", "en", *args],
                          cwd=workdir,
                          env={}, capture_output=True, text=True, timeout=60, check=False)


def test_the_standalone_script_verifies_a_bundle_offline(proof, tmp_path, tsa, operator):
    bundle, document = proof
    result = run_standalone(tmp_path, bundle.to_dict(), document)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VERDICT: the file is the archived document, untouched (time-stamped 20" in result.stdout
    assert "FAIL" not in result.stdout
    assert operator.key_id in result.stdout  # unpinned: the key id is printed to compare

    (tmp_path / "operator.pem").write_text(operator.public_pem())
    (tmp_path / "root.pem").write_bytes(tsa.root.public_bytes(serialization.Encoding.PEM))
    pinned = run_standalone(tmp_path, bundle.to_dict(), document, "--operator-key", str(tmp_path / "operator.pem"),
                            "--tsa-root", str(tmp_path / "root.pem"))
    assert pinned.returncode == 0, pinned.stdout
    assert "PASS  the operator key is the pinned one" in pinned.stdout


def _flip_base64(text: str, at: int) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[at] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def _tamper_metadata(b):
    b["metadata"]["recipient"] = "customer:99"


def _tamper_entry(b):
    b["entry"]["subject"] = "invoice:9/facturx-pdf"


def _tamper_entry_seq(b):
    b["entry"]["seq"] += 1


def _tamper_path(b):
    b["inclusion"]["path"][1] = "00" * 32


def _tamper_root(b):
    b["checkpoint"]["merkle_root"] = "11" * 32


def _tamper_sealed_at(b):
    b["checkpoint"]["sealed_at"] = "2020-01-01T00:00:00.000000Z"


def _tamper_signature(b):
    b["checkpoint"]["signature"] = _flip_base64(b["checkpoint"]["signature"], 5)


def _tamper_document_token_tail(b):
    b["document"]["timestamp_token"] = _flip_base64(b["document"]["timestamp_token"], -40)


def _tamper_checkpoint_token(b):
    b["checkpoint"]["timestamp_token"] = b["document"]["timestamp_token"]


def _tamper_fingerprint(b):
    b["document"]["fingerprint"] = "ab" * 32


TAMPERINGS = {
    "metadata-field": (_tamper_metadata, "commits to this metadata"),
    "entry-field": (_tamper_entry, "hash recomputes"),
    "entry-seq": (_tamper_entry_seq, "hash recomputes"),
    "merkle-path": (_tamper_path, "Merkle path"),
    "checkpoint-root": (_tamper_root, "signature (Ed25519) is valid"),
    "checkpoint-time": (_tamper_sealed_at, "signature (Ed25519) is valid"),
    "checkpoint-signature": (_tamper_signature, "signature (Ed25519) is valid"),
    "document-token-bytes": (_tamper_document_token_tail, "document time-stamp"),
    "checkpoint-token-swapped": (_tamper_checkpoint_token, "checkpoint #1 time-stamp"),
    "fingerprint": (_tamper_fingerprint, "file SHA-256"),
}


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_the_standalone_script_fails_after_any_tampering_with_the_bundle(proof, tmp_path, name):
    bundle, document = proof
    tamper, failed_check = TAMPERINGS[name]
    data = copy.deepcopy(bundle.to_dict())
    tamper(data)
    result = run_standalone(tmp_path, data, document)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "VERDICT: NOT VERIFIED" in result.stdout
    failures = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert any(failed_check in line for line in failures), result.stdout


@pytest.mark.parametrize("position", [0, 9, 2500, -1], ids=lambda p: f"byte{p}")
def test_the_standalone_script_fails_on_a_modified_file(proof, tmp_path, position):
    bundle, document = proof
    changed = bytearray(document)
    changed[position] ^= 0x20
    result = run_standalone(tmp_path, bundle.to_dict(), bytes(changed))
    assert result.returncode == 1
    assert "FAIL  file SHA-256" in result.stdout


def test_a_bundle_forged_with_another_operator_key_fails_once_the_key_is_pinned(proof, tmp_path, tsa, operator):
    bundle, document = proof
    forger = OperatorKey.generate()
    checkpoint = Checkpoint.from_dict(bundle.checkpoint.to_dict())
    draft = dataclasses.replace(checkpoint, key_id=forger.key_id)
    signature = forger.sign(draft.body())
    forged = dataclasses.replace(draft, signature=base64.b64encode(signature).decode(),
                                 timestamp_token=base64.b64encode(
                                     tsa.timestamp(hashlib.sha256(signature).digest())).decode())
    data = dataclasses.replace(bundle, checkpoint=forged, operator_public_key=forger.public_pem()).to_dict()

    unpinned = run_standalone(tmp_path, data, document)
    assert unpinned.returncode == 0  # self-consistent: the printed key id is what tells it apart
    assert forger.key_id in unpinned.stdout and operator.key_id not in unpinned.stdout
    (tmp_path / "operator.pem").write_text(operator.public_pem())
    pinned = run_standalone(tmp_path, data, document, "--operator-key", str(tmp_path / "operator.pem"))
    assert pinned.returncode == 1
    assert "FAIL  the operator key is the pinned one" in pinned.stdout


def test_a_time_stamp_from_another_authority_fails_once_the_tsa_root_is_pinned(proof, tmp_path, tsa):
    from archive_factories import make_tsa

    bundle, document = proof
    rogue = make_tsa("Rogue TSA")
    data = bundle.to_dict()
    data["document"]["timestamp_token"] = base64.b64encode(rogue.timestamp(hashlib.sha256(document).digest())).decode()
    (tmp_path / "root.pem").write_bytes(tsa.root.public_bytes(serialization.Encoding.PEM))
    assert run_standalone(tmp_path, data, document).returncode == 0
    pinned = run_standalone(tmp_path, data, document, "--tsa-root", str(tmp_path / "root.pem"))
    assert pinned.returncode == 1
    assert "FAIL  document time-stamp: the TSA chains to the trusted root" in pinned.stdout


def test_the_standalone_script_reports_an_incomplete_bundle_and_unreadable_inputs(proof, tmp_path):
    bundle, document = proof
    data = bundle.to_dict()
    del data["checkpoint"]
    result = run_standalone(tmp_path, data, document)
    assert result.returncode == 1 and "the bundle is malformed or incomplete" in result.stdout
    missing = subprocess.run([sys.executable, "-I", "verify.py", "nope.json", "file.pdf"], cwd=tmp_path / "offline",
                             env={}, capture_output=True, text=True, check=False)
    assert missing.returncode == 2 and "cannot read the inputs" in missing.stderr


def test_the_standalone_verdict_is_in_french_by_default(proof, tmp_path):
    bundle, document = proof
    workdir = tmp_path / "fr"
    workdir.mkdir()
    (workdir / "verify.py").write_bytes(standalone_script())
    (workdir / "preuve.json").write_text(bundle.to_json(), encoding="utf-8")
    (workdir / "facture.pdf").write_bytes(document[:-1])
    result = subprocess.run([sys.executable, "-I", "verify.py", "preuve.json", "facture.pdf"], cwd=workdir, env={},
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "ÉCHEC l'empreinte SHA-256 du fichier" in result.stdout
    assert "VERDICT : NON VÉRIFIÉ" in result.stdout


def test_the_standalone_script_needs_only_the_standard_library_and_cryptography():
    tree = ast.parse(standalone_script())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module.split(".")[0])
    stdlib = set(sys.stdlib_module_names)
    assert imported - stdlib == {"cryptography"}


@pytest.mark.parametrize("tsa_fixture", ["tsa", "rsa_tsa"])
def test_the_token_reader_agrees_with_asn1crypto(tsa_fixture, request):
    tsa = request.getfixturevalue(tsa_fixture)
    digest = hashlib.sha256(b"invoice").digest()
    token = tsa.timestamp(digest)
    info = verify_timestamp_token(token, digest, trusted_roots=[tsa.root])
    tst_info = asn1_cms.ContentInfo.load(token)["content"]["encap_content_info"]["content"].parsed
    assert info.gen_time == tst_info["gen_time"].native
    assert tst_info["message_imprint"]["hashed_message"].native == digest
    assert info.anchored and info.tsa_subject == tsa.certificate.subject.rfc4514_string()
    with pytest.raises(TokenError, match="message imprint"):
        verify_timestamp_token(token, hashlib.sha256(b"other").digest())


@pytest.mark.parametrize("tsa_fixture", ["tsa", "rsa_tsa"])
def test_no_flipped_bit_in_a_token_yields_another_proof_or_a_crash(tsa_fixture, request):
    """Every byte of the token flipped in turn: a TokenError, or the very same proof.

    Flips that pass sit in bytes nothing relies on: the embedded root certificate (the pinned
    root is used instead), the unsigned version numbers and the SignedData digest list.
    """
    tsa = request.getfixturevalue(tsa_fixture)
    digest = hashlib.sha256(b"invoice").digest()
    token = tsa.timestamp(digest)
    genuine = verify_timestamp_token(token, digest, trusted_roots=[tsa.root])
    root = tsa.root.public_bytes(serialization.Encoding.DER)
    root_span = range(token.find(root), token.find(root) + len(root))
    elsewhere = []
    for position in range(len(token)):
        changed = bytearray(token)
        changed[position] ^= 0x04
        try:
            info = verify_timestamp_token(bytes(changed), digest, trusted_roots=[tsa.root])
        except TokenError:
            continue
        assert info == genuine
        if position not in root_span:
            elsewhere.append(position)
    assert len(elsewhere) < 24


SYSTEM_PYTHON = Path("/usr/bin/python3")


def _system_python_has_cryptography() -> bool:
    if not SYSTEM_PYTHON.exists():
        return False
    probe = subprocess.run([str(SYSTEM_PYTHON), "-I", "-c", "import cryptography"], env={}, capture_output=True,
                           check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not _system_python_has_cryptography(), reason="no system python3 with cryptography here")
def test_the_standalone_script_runs_on_the_distributions_python_without_the_project(proof, tmp_path, tsa):
    """A machine without Facturier: Debian's python3 and its packaged (older) cryptography."""
    bundle, document = proof
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    (workdir / "verify.py").write_bytes(standalone_script())
    (workdir / "bundle.json").write_text(bundle.to_json(), encoding="utf-8")
    (workdir / "file.pdf").write_bytes(document)
    (workdir / "root.pem").write_bytes(tsa.root.public_bytes(serialization.Encoding.PEM))
    command = [str(SYSTEM_PYTHON), "-I", "verify.py", "bundle.json", "file.pdf", "--tsa-root", "root.pem",
               "--lang", "en"]
    result = subprocess.run(command, cwd=workdir, env={}, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    (workdir / "file.pdf").write_bytes(document + b" ")
    assert subprocess.run(command, cwd=workdir, env={}, capture_output=True, check=False).returncode == 1
