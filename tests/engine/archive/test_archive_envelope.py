"""Envelope encryption: round trips, tampering, key rotation, crypto-shredding."""

from __future__ import annotations

import base64
import os

import pytest
from archive_factories import archive_documents

from facturier.engine.archive import (
    BadMasterKey,
    ContentShredded,
    DataKey,
    IntegrityError,
    ProblemCode,
    check_artefact,
    decrypt_blob,
    encrypt_blob,
    open_artefact,
    parse_master_key,
    rewrap,
    rewrap_content_key,
    seal_artefact,
    unwrap_key,
    wrap_key,
)
from facturier.engine.archive.envelope import encrypt_blob as _encrypt

PDF = b"%PDF-1.7\n" + os.urandom(100_000) + b"\n%%EOF\n"


def test_blob_round_trips_and_hides_its_content():
    key = os.urandom(32)
    blob = encrypt_blob(key, PDF, aad=b"org-42/invoice:1")
    assert PDF[:64] not in blob
    assert len(blob) == len(PDF) + 4 + 12 + 16
    assert decrypt_blob(key, blob, aad=b"org-42/invoice:1") == PDF


def test_two_encryptions_of_the_same_file_differ():
    key = os.urandom(32)
    assert encrypt_blob(key, PDF, aad=b"a") != encrypt_blob(key, PDF, aad=b"a")


@pytest.mark.parametrize("position", [0, 3, 4, 15, 16, 5000, -17, -1], ids=lambda p: f"byte{p}")
def test_flipping_any_byte_of_a_blob_is_detected(position):
    key = os.urandom(32)
    blob = bytearray(encrypt_blob(key, PDF, aad=b"a"))
    blob[position] ^= 0x01
    with pytest.raises(IntegrityError) as caught:
        decrypt_blob(key, bytes(blob), aad=b"a")
    assert "intégrité" in caught.value.message.fr and "integrity" in caught.value.message.en


def test_a_truncated_blob_is_detected():
    key = os.urandom(32)
    blob = encrypt_blob(key, PDF, aad=b"a")
    for cut in (blob[:-1], blob[:20], b""):
        with pytest.raises(IntegrityError):
            decrypt_blob(key, cut, aad=b"a")


def test_a_blob_moved_to_another_entry_does_not_decrypt():
    key = os.urandom(32)
    blob = encrypt_blob(key, PDF, aad=b"org-42/invoice:1")
    with pytest.raises(IntegrityError):
        decrypt_blob(key, blob, aad=b"org-42/invoice:2")


def test_a_key_wrapped_by_another_master_or_for_another_owner_is_rejected(master_key):
    data_key = DataKey.generate("org-42")
    wrapped = data_key.wrap(master_key)
    assert DataKey.unwrap(master_key, wrapped, organisation="org-42", version=1) == data_key
    with pytest.raises(IntegrityError):
        DataKey.unwrap(os.urandom(32), wrapped, organisation="org-42", version=1)
    with pytest.raises(IntegrityError):
        DataKey.unwrap(master_key, wrapped, organisation="org-43", version=1)
    with pytest.raises(IntegrityError):
        DataKey.unwrap(master_key, wrapped, organisation="org-42", version=2)


def test_master_key_rotation_keeps_every_blob_readable_without_reencrypting(master_key):
    data_key = DataKey.generate("org-42")
    wrapped = data_key.wrap(master_key)
    sealed = [seal_artefact(data_key, PDF + bytes([i]), reference=f"invoice:{i}") for i in range(5)]
    blobs_before = [s.blob for s in sealed]

    new_master = os.urandom(32)
    rewrapped = rewrap(master_key, new_master, wrapped, aad=data_key.aad)

    reopened = DataKey.unwrap(new_master, rewrapped, organisation="org-42", version=1)
    for i, s in enumerate(sealed):
        assert open_artefact(reopened, s.wrapped_key, blobs_before[i], reference=f"invoice:{i}") == PDF + bytes([i])
    with pytest.raises(IntegrityError):
        unwrap_key(master_key, rewrapped, aad=data_key.aad)


def test_organisation_key_rotation_rewraps_content_keys_and_keeps_blobs(data_key):
    sealed = seal_artefact(data_key, PDF, reference="invoice:1")
    next_key = DataKey.generate("org-42", version=2)
    moved = rewrap_content_key(data_key, next_key, sealed.wrapped_key, reference="invoice:1")
    assert open_artefact(next_key, moved, sealed.blob, reference="invoice:1") == PDF
    with pytest.raises(IntegrityError):
        open_artefact(data_key, moved, sealed.blob, reference="invoice:1")


def test_shredding_one_content_key_makes_exactly_that_file_unreadable(data_key):
    _, rows = archive_documents(data_key, [PDF + bytes([i]) for i in range(4)])
    rows[2].wrapped_key = None  # the purge destroys 64 bytes in the row, the blob may stay in WORM storage

    for i, row in enumerate(rows):
        reference = row.entry.subject
        if i == 2:
            with pytest.raises(ContentShredded) as caught:
                open_artefact(data_key, row.wrapped_key, row.blob, reference=reference)
            assert "purgé" in caught.value.message.fr
        else:
            assert open_artefact(data_key, row.wrapped_key, row.blob, reference=reference) == PDF + bytes([i])


def test_a_shredded_file_cannot_be_read_even_with_the_data_key_and_the_blob(data_key):
    sealed = seal_artefact(data_key, PDF, reference="invoice:1")
    other = seal_artefact(data_key, PDF, reference="invoice:1")  # another content key, same place
    with pytest.raises(IntegrityError):
        open_artefact(data_key, other.wrapped_key, sealed.blob, reference="invoice:1")


def test_master_key_is_read_from_base64_or_hex_and_rejected_clearly_otherwise():
    raw = os.urandom(32)
    assert parse_master_key(base64.b64encode(raw).decode()) == raw
    assert parse_master_key(raw.hex() + "\n") == raw
    for bad in ("", "c2hvcnQ=", raw.hex()[:-2], "z" * 64):
        with pytest.raises(BadMasterKey) as caught:
            parse_master_key(bad)
        assert "32 octets" in caught.value.message.fr


def test_wrapping_rejects_keys_that_are_not_aes_256():
    with pytest.raises(ValueError):
        wrap_key(os.urandom(16), os.urandom(32), aad=b"")


def test_an_intact_artefact_has_no_problem(data_key, tsa):
    _, rows = archive_documents(data_key, [PDF], tsa=tsa)
    row = rows[0]
    assert (
        check_artefact(
            seq=1,
            payload=row.entry.payload_digest,
            metadata=row.metadata,
            data_key=data_key,
            wrapped_key=row.wrapped_key,
            blob=row.blob,
            reference=row.entry.subject,
            timestamp_token=row.token,
            verify_token=tsa.verify,
        )
        == []
    )


def _problems(row, data_key, tsa=None, **changes):
    values = dict(
        seq=row.entry.seq,
        payload=row.entry.payload_digest,
        metadata=row.metadata,
        data_key=data_key,
        wrapped_key=row.wrapped_key,
        blob=row.blob,
        reference=row.entry.subject,
        timestamp_token=row.token,
        verify_token=tsa.verify if tsa else None,
    )
    values.update(changes)
    return [(p.code, p.seq) for p in check_artefact(**values)]


def test_a_flipped_byte_in_a_stored_blob_is_named(data_key):
    _, rows = archive_documents(data_key, [PDF, PDF + b"2"])
    blob = bytearray(rows[1].blob)
    blob[1000] ^= 0x80
    assert _problems(rows[1], data_key, blob=bytes(blob)) == [(ProblemCode.BLOB, 2)]


def test_an_altered_metadata_field_is_named(data_key):
    _, rows = archive_documents(data_key, [PDF])
    metadata = dict(rows[0].metadata, total_with_vat="12.00")
    assert _problems(rows[0], data_key, metadata=metadata) == [(ProblemCode.METADATA, 1)]


def test_a_blob_replaced_by_another_entrys_valid_blob_is_named(data_key):
    _, rows = archive_documents(data_key, [PDF, PDF + b"other"])
    assert _problems(rows[0], data_key, blob=rows[1].blob) == [(ProblemCode.BLOB, 1)]


def test_a_blob_replaced_by_a_validly_encrypted_forgery_is_named(data_key):
    """An insider holding the keys re-encrypts another PDF under the entry's own content key."""
    from facturier.engine.archive.envelope import artefact_aad

    _, rows = archive_documents(data_key, [PDF])
    aad = artefact_aad(data_key.organisation, rows[0].entry.subject)
    content_key = unwrap_key(data_key.secret, rows[0].wrapped_key, aad=aad)
    forged = _encrypt(content_key, b"%PDF-1.7 forged invoice", aad=aad)
    assert _problems(rows[0], data_key, blob=forged) == [(ProblemCode.FINGERPRINT, 1)]


def test_a_time_stamp_token_of_another_document_is_named(data_key, tsa):
    _, rows = archive_documents(data_key, [PDF, PDF + b"2"], tsa=tsa)
    assert _problems(rows[0], data_key, tsa, timestamp_token=rows[1].token) == [(ProblemCode.TIMESTAMP, 1)]
