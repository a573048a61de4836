"""`verify_archive`, as `facturier archive verify` will run it: every tampering named by seq."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os

import pytest
from archive_factories import T0, archive_documents

from facturier.engine.archive import (
    Anchor,
    Chain,
    ContentShredded,
    Kind,
    ProblemCode,
    StoredRecord,
    make_checkpoint,
    open_artefact,
    payload_digest,
    verify_archive,
)

DOCUMENTS = [b"%PDF-1.7\n" + os.urandom(2000) + bytes([i]) for i in range(6)]


@pytest.fixture
def archive(data_key, tsa, operator):
    """Six archived invoices and a few audit events, sealed by a checkpoint, then two more invoices."""
    chain, rows = archive_documents(data_key, DOCUMENTS[:4], tsa=tsa)
    for i in range(3):
        metadata = {"event": "invoice.sent", "invoice": i + 1}
        entry = chain.append(
            kind=Kind.AUDIT,
            organisation="org-42",
            subject=f"audit:{i}",
            payload_digest=payload_digest(metadata),
            recorded_at=T0 + dt.timedelta(hours=1),
        )
        rows.append(
            dataclasses.replace(rows[0], entry=entry, metadata=metadata, wrapped_key=None, blob=None, token=None)
        )
    checkpoint = make_checkpoint([r.entry for r in rows], signer=operator, timestamp=tsa.timestamp, journal="org-42")
    _, more = archive_documents(
        data_key, DOCUMENTS[4:], tsa=tsa, chain=chain, start=T0 + dt.timedelta(hours=2), first_number=5
    )
    return rows + more, [checkpoint]


def verify(rows, checkpoints, data_key, operator, tsa, head=None):
    records = (
        StoredRecord(
            entry=r.entry,
            metadata=r.metadata,
            wrapped_key=r.wrapped_key,
            blob=(lambda blob=r.blob: blob) if r.blob is not None else None,
            timestamp_token=r.token,
        )
        for r in rows
    )
    problems = list(
        verify_archive(
            records,
            checkpoints,
            data_key=lambda organisation, version: data_key,
            public_keys=[operator.public_key],
            verify_token=tsa.verify,
            head=head,
        )
    )
    return [(p.code, p.seq) for p in problems]


def test_an_intact_archive_verifies(archive, data_key, operator, tsa):
    rows, checkpoints = archive
    assert verify(rows, checkpoints, data_key, operator, tsa) == []


def test_a_flipped_byte_in_a_blob_is_named(archive, data_key, operator, tsa):
    rows, checkpoints = archive
    blob = bytearray(rows[2].blob)
    blob[-5] ^= 0x01
    rows[2].blob = bytes(blob)
    assert verify(rows, checkpoints, data_key, operator, tsa) == [(ProblemCode.BLOB, 3)]


def test_an_altered_metadata_field_is_named(archive, data_key, operator, tsa):
    rows, checkpoints = archive
    rows[1].metadata = dict(rows[1].metadata, recipient="customer:99")
    assert verify(rows, checkpoints, data_key, operator, tsa) == [(ProblemCode.METADATA, 2)]


def test_a_deleted_entry_is_named(archive, data_key, operator, tsa):
    rows, checkpoints = archive
    del rows[7]  # after the checkpoint: only the gap shows
    assert verify(rows, checkpoints, data_key, operator, tsa) == [(ProblemCode.GAP, 8)]
    del rows[1]  # inside the sealed period: the gap, and the seal no longer matches
    assert verify(rows, checkpoints, data_key, operator, tsa) == [
        (ProblemCode.GAP, 2),
        (ProblemCode.CHECKPOINT, 7),
        (ProblemCode.GAP, 8),
    ]


def test_two_reordered_entries_are_named(archive, data_key, operator, tsa):
    rows, checkpoints = archive
    rows[7], rows[8] = rows[8], rows[7]  # swap their seq numbers: each sits where the other was recorded
    rows[7].entry, rows[8].entry = (
        dataclasses.replace(rows[7].entry, seq=8),
        dataclasses.replace(rows[8].entry, seq=9),
    )
    assert verify(rows, checkpoints, data_key, operator, tsa) == [
        (ProblemCode.REORDERED, 8),
        (ProblemCode.REORDERED, 9),
    ]


def test_a_blob_replaced_by_another_valid_blob_is_named(archive, data_key, operator, tsa):
    rows, checkpoints = archive
    rows[0].blob = rows[3].blob
    assert verify(rows, checkpoints, data_key, operator, tsa) == [(ProblemCode.BLOB, 1)]


def test_a_truncated_journal_is_named(archive, data_key, operator, tsa):
    rows, checkpoints = archive
    assert verify(rows[:5], checkpoints, data_key, operator, tsa) == [(ProblemCode.TRUNCATED, 6)]


def test_entries_dropped_after_the_last_checkpoint_are_named_against_the_recorded_head(
    archive, data_key, operator, tsa
):
    """The app keeps the journal's head (seq, hash) in its own row: the tail after the last seal is covered too."""
    rows, checkpoints = archive
    head = Anchor(rows[-1].entry.seq, rows[-1].entry.entry_hash)
    assert verify(rows, checkpoints, data_key, operator, tsa, head=head) == []
    assert verify(rows[:-1], checkpoints, data_key, operator, tsa, head=head) == [(ProblemCode.TRUNCATED, 9)]


def test_a_swapped_time_stamp_token_is_named(archive, data_key, operator, tsa):
    rows, checkpoints = archive
    rows[0].token = rows[1].token
    assert verify(rows, checkpoints, data_key, operator, tsa) == [(ProblemCode.TIMESTAMP, 1)]


def test_crypto_shredding_one_entry_keeps_the_archive_verifiable(archive, data_key, operator, tsa):
    rows, checkpoints = archive
    target = rows[1]
    chain = Chain(rows[-1].entry)
    tombstone = chain.append(
        kind=Kind.TOMBSTONE,
        organisation="org-42",
        subject=target.entry.subject,
        ref=target.entry.seq,
        payload_digest=payload_digest(
            {"purged": target.entry.seq, "reason": "retention", "retention_until": "2036-01-05"}
        ),
    )
    target.wrapped_key = None
    rows.append(dataclasses.replace(target, entry=tombstone, metadata=None))

    assert verify(rows, checkpoints, data_key, operator, tsa) == []
    for row in rows:
        if row.entry.kind != Kind.ARTEFACT:
            continue
        if row is target:
            with pytest.raises(ContentShredded):
                open_artefact(data_key, row.wrapped_key, row.blob, reference=row.entry.subject)
        else:
            assert open_artefact(data_key, row.wrapped_key, row.blob, reference=row.entry.subject) in DOCUMENTS


def test_a_key_destroyed_without_a_tombstone_is_named(archive, data_key, operator, tsa):
    rows, checkpoints = archive
    rows[2].wrapped_key = None
    assert verify(rows, checkpoints, data_key, operator, tsa) == [(ProblemCode.TOMBSTONE, 3)]
