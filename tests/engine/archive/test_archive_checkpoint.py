"""Checkpoints: RFC 6962 Merkle trees, signatures, time-stamps, and the whole-journal verification."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

import pytest
from archive_factories import T0, audit_journal, make_tsa
from cryptography.hazmat.primitives.asymmetric import ec

from facturier.engine.archive import (
    Chain,
    CheckpointError,
    MerkleTree,
    OperatorKey,
    ProblemCode,
    inclusion_path,
    make_checkpoint,
    merkle_root,
    verify_checkpoint,
    verify_inclusion,
    verify_journal,
)
from facturier.engine.archive.checkpoint import leaf_hash, node_hash


def reference_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH, written recursively as in the RFC."""
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


def test_the_merkle_root_is_rfc_6962s():
    leaves = [hashlib.sha256(bytes([i])).digest() for i in range(40)]
    for n in range(1, 41):
        assert merkle_root(leaves[:n]) == reference_root(leaves[:n]) == MerkleTree(leaves[:n]).root()
    assert merkle_root([]) == hashlib.sha256(b"").digest()


def test_every_leaf_has_an_inclusion_path_and_a_wrong_one_fails():
    leaves = [hashlib.sha256(bytes([i])).digest() for i in range(21)]
    for n in (1, 2, 3, 7, 8, 13, 21):
        tree = MerkleTree(leaves[:n])
        for i in range(n):
            path = tree.path(i)
            assert verify_inclusion(leaves[i], i, n, path, tree.root())
            assert not verify_inclusion(leaves[(i + 1) % n], i, n, path, tree.root()) or n == 1
            if path:
                forged = [bytes(32)] + path[1:]
                assert not verify_inclusion(leaves[i], i, n, forged, tree.root())
    assert inclusion_path(leaves[:5], 4) == MerkleTree(leaves[:5]).path(4)


@pytest.fixture
def sealed(operator, tsa):
    """Three daily periods, each checkpoint recorded in the journal of the next period."""
    chain = Chain()
    entries, checkpoints, previous = [], [], None
    for day in range(3):
        start = previous.last_seq if previous else 0  # the previous checkpoint's entry opens the period
        for i in range(50):
            entries.append(
                chain.append(
                    kind="audit",
                    organisation="org-42",
                    subject=f"audit:{day}-{i}",
                    payload_digest="ab" * 32,
                    recorded_at=T0 + dt.timedelta(days=day, seconds=i),
                )
            )
        checkpoint = make_checkpoint(
            entries[start:], signer=operator, timestamp=tsa.timestamp, journal="org-42", previous=previous
        )
        entries.append(chain.append(**checkpoint.journal_entry_fields(organisation="org-42")))
        checkpoints.append(checkpoint)
        previous = checkpoint
    return entries, checkpoints


def journal_codes(entries, checkpoints, operator, tsa):
    return [
        (p.code, p.seq)
        for p in verify_journal(entries, checkpoints, public_keys=[operator.public_key], verify_token=tsa.verify)
    ]


def test_a_checkpoint_seals_its_period(sealed, operator, tsa):
    entries, checkpoints = sealed
    first = checkpoints[0]
    assert (first.number, first.first_seq, first.last_seq, first.size) == (1, 1, 50, 50)
    assert checkpoints[1].first_seq == 51 and checkpoints[1].previous == first.digest
    assert (
        verify_checkpoint(first, public_keys=[operator.public_key], verify_token=tsa.verify, entries=entries[:50]) == []
    )


def test_a_sealed_journal_verifies(sealed, operator, tsa):
    entries, checkpoints = sealed
    assert journal_codes(entries, checkpoints, operator, tsa) == []


def test_a_checkpoint_signed_with_ecdsa_p256_verifies(tsa):
    signer = OperatorKey(ec.generate_private_key(ec.SECP256R1()))
    checkpoint = make_checkpoint(audit_journal(10), signer=signer, timestamp=tsa.timestamp)
    assert checkpoint.algorithm == "ECDSA-P256-SHA256"
    assert verify_checkpoint(checkpoint, public_keys=[signer.public_key], verify_token=tsa.verify) == []


def test_an_altered_checkpoint_fails_its_signature(sealed, operator, tsa):
    _, checkpoints = sealed
    forged = dataclasses.replace(checkpoints[0], merkle_root="00" * 32)
    problems = verify_checkpoint(forged, public_keys=[operator.public_key], verify_token=tsa.verify)
    assert [(p.code, p.seq) for p in problems] == [(ProblemCode.CHECKPOINT, 50)]
    assert "invalid signature" in problems[0].message.en


def test_a_checkpoint_signed_by_another_key_is_named(sealed, tsa):
    _, checkpoints = sealed
    problems = verify_checkpoint(
        checkpoints[0], public_keys=[OperatorKey.generate().public_key], verify_token=tsa.verify
    )
    assert ["unknown key" in p.message.en for p in problems] == [True]


def test_a_checkpoint_with_a_foreign_time_stamp_is_named(sealed, operator, tsa):
    _, checkpoints = sealed
    restamped = checkpoints[0].with_token(tsa.timestamp(hashlib.sha256(b"something else").digest()))
    problems = verify_checkpoint(restamped, public_keys=[operator.public_key], verify_token=tsa.verify)
    assert [(p.code, p.seq) for p in problems] == [(ProblemCode.TIMESTAMP, 50)]
    other_tsa = make_tsa("Rogue TSA")
    restamped = checkpoints[0].with_token(other_tsa.timestamp(hashlib.sha256(b"x").digest()))
    assert verify_checkpoint(restamped, public_keys=[operator.public_key], verify_token=tsa.verify)


def test_a_renewed_time_stamp_keeps_the_checkpoint_digest(sealed, operator, tsa):
    _, checkpoints = sealed
    import base64

    renewed = checkpoints[0].with_token(
        tsa.timestamp(hashlib.sha256(base64.b64decode(checkpoints[0].signature)).digest())
    )
    assert renewed.digest == checkpoints[0].digest
    assert verify_checkpoint(renewed, public_keys=[operator.public_key], verify_token=tsa.verify) == []


def test_a_deleted_checkpoint_is_named(sealed, operator, tsa):
    entries, checkpoints = sealed
    problems = journal_codes(entries, [checkpoints[0], checkpoints[2]], operator, tsa)
    assert (ProblemCode.CHECKPOINT, checkpoints[2].last_seq) in problems


def test_a_journal_truncated_after_its_last_checkpoint_is_named(sealed, operator, tsa):
    entries, checkpoints = sealed
    last = checkpoints[-1].last_seq
    assert journal_codes(entries[: last - 5], checkpoints, operator, tsa) == [(ProblemCode.TRUNCATED, last - 4)]


def test_a_journal_rewritten_after_sealing_fails_the_checkpoint_root(sealed, operator, tsa):
    """Someone rewrites entry 20 and re-chains everything after it: links hold, the seal does not."""
    entries, checkpoints = sealed
    chain = Chain(entries[18])
    rewritten = entries[:19] + [
        chain.append(
            kind=e.kind,
            organisation=e.organisation,
            subject=e.subject + ("!" if e.seq == 20 else ""),
            payload_digest=e.payload_digest,
            recorded_at=e.recorded_at,
            ref=e.ref,
        )
        for e in entries[19:]
    ]
    problems = journal_codes(rewritten, checkpoints, operator, tsa)
    assert (ProblemCode.CHECKPOINT, 50) in problems
    assert (ProblemCode.ALTERED, checkpoints[-1].last_seq) in problems


def test_a_deleted_checkpoint_entry_is_named(sealed, operator, tsa):
    entries, checkpoints = sealed
    position = checkpoints[0].last_seq  # the checkpoint's own entry follows its period
    assert entries[position].kind == "checkpoint"
    problems = journal_codes(entries[:position] + entries[position + 1 :], checkpoints, operator, tsa)
    assert (ProblemCode.GAP, position + 1) in problems
    assert (ProblemCode.CHECKPOINT, checkpoints[0].last_seq) in problems


def test_a_checkpoint_needs_consecutive_entries_after_the_previous_one(operator, tsa):
    entries = audit_journal(20)
    first = make_checkpoint(entries[:10], signer=operator, timestamp=tsa.timestamp)
    with pytest.raises(CheckpointError):
        make_checkpoint(entries[11:], signer=operator, timestamp=tsa.timestamp, previous=first)
    with pytest.raises(CheckpointError) as caught:
        make_checkpoint([], signer=operator, timestamp=tsa.timestamp)
    assert "Aucune entrée" in caught.value.message.fr
