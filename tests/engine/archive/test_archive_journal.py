"""The hash-chained journal: appending, canonical form, and every tampering named precisely."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tracemalloc

import pytest
from archive_factories import T0, audit_journal

from facturier.engine.archive import (
    Anchor,
    Chain,
    JournalEntry,
    JournalError,
    Kind,
    ProblemCode,
    canonical,
    next_entry,
    payload_digest,
    verify_chain,
)
from facturier.engine.archive.journal import GENESIS_HASH


def codes(entries, **kwargs) -> list[tuple[str, int | None]]:
    return [(p.code, p.seq) for p in verify_chain(entries, **kwargs)]


def rehashed(entry: JournalEntry, **changes) -> JournalEntry:
    """An entry rewritten by someone who also recomputed its hash."""
    draft = dataclasses.replace(entry, **changes)
    return dataclasses.replace(draft, entry_hash=draft.compute_hash())


def test_an_intact_journal_of_ten_thousand_entries_verifies():
    assert codes(audit_journal(10_000)) == []


def test_the_first_entry_follows_the_genesis_and_each_entry_its_predecessor():
    first, second = audit_journal(2)
    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    assert (second.seq, second.prev_hash) == (2, first.entry_hash)
    assert len(first.entry_hash) == 64 and first.entry_hash == first.compute_hash()


def test_canonical_form_is_sorted_compact_utf8_and_refuses_floats():
    assert canonical({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
    with pytest.raises(ValueError, match="float"):
        canonical({"amount": 12.5})
    with pytest.raises(ValueError):
        canonical({1: "non-string key"})
    assert payload_digest({"b": 1, "a": 2}) == payload_digest({"a": 2, "b": 1})


def test_entries_round_trip_through_json_fields():
    entry = audit_journal(1)[0]
    assert JournalEntry.from_dict(entry.to_dict()) == entry


def test_the_journal_clock_never_goes_backwards():
    chain = Chain()
    first = chain.append(kind=Kind.AUDIT, organisation="o", subject="s", payload_digest="0" * 64, recorded_at=T0)
    second = chain.append(
        kind=Kind.AUDIT, organisation="o", subject="s", payload_digest="0" * 64, recorded_at=T0 - dt.timedelta(hours=1)
    )
    assert second.recorded_at == first.recorded_at


def test_appending_refuses_unknown_kinds_naive_times_and_tombstones_without_target():
    with pytest.raises(JournalError):
        next_entry(None, kind="note", organisation="o", subject="s", payload_digest="0" * 64)
    with pytest.raises(JournalError):
        next_entry(
            None,
            kind=Kind.AUDIT,
            organisation="o",
            subject="s",
            payload_digest="0" * 64,
            recorded_at=dt.datetime(2026, 1, 1),
        )
    with pytest.raises(JournalError) as caught:
        next_entry(None, kind=Kind.TOMBSTONE, organisation="o", subject="s", payload_digest="0" * 64)
    assert "pierre tombale" in caught.value.message.fr


def test_an_altered_entry_is_named_by_its_seq():
    entries = audit_journal(100)
    entries[41] = dataclasses.replace(entries[41], subject="audit:forged")
    assert codes(entries) == [(ProblemCode.ALTERED, 42)]


def test_an_altered_payload_digest_is_named_by_its_seq():
    entries = audit_journal(100)
    entries[9] = dataclasses.replace(entries[9], payload_digest=payload_digest({"event": "forged"}))
    assert codes(entries) == [(ProblemCode.ALTERED, 10)]


def test_a_rewritten_entry_with_a_recomputed_hash_breaks_the_next_link():
    entries = audit_journal(100)
    entries[41] = rehashed(entries[41], subject="audit:forged")
    problems = list(verify_chain(entries))
    assert [(p.code, p.seq) for p in problems] == [(ProblemCode.BROKEN_LINK, 43)]
    assert "seq 42 was rewritten" in problems[0].message.en and "n° 42" in problems[0].message.fr


def test_a_deleted_entry_is_named_as_a_gap_and_nothing_else():
    entries = audit_journal(100)
    del entries[49]
    problems = list(verify_chain(entries))
    assert [(p.code, p.seq) for p in problems] == [(ProblemCode.GAP, 50)]
    assert problems[0].message.en == "Missing entry: seq 50 (deleted)."


def test_several_deleted_entries_are_named_as_one_range():
    entries = audit_journal(100)
    del entries[10:20]
    problems = list(verify_chain(entries))
    assert [(p.code, p.seq) for p in problems] == [(ProblemCode.GAP, 11)]
    assert "seq 11 to 20" in problems[0].message.en


def test_two_entries_swapped_in_place_are_named_as_reordered():
    """The rows keep their positions but exchange contents (or their seq numbers were swapped)."""
    entries = audit_journal(100)
    a, b = entries[4], entries[5]
    entries[4] = dataclasses.replace(b, seq=5)
    entries[5] = dataclasses.replace(a, seq=6)
    problems = list(verify_chain(entries))
    assert [(p.code, p.seq) for p in problems] == [(ProblemCode.REORDERED, 5), (ProblemCode.REORDERED, 6)]
    assert "holds the entry recorded as seq 6" in problems[0].message.en


def test_two_entries_stored_in_the_wrong_order_are_named_as_reordered():
    entries = audit_journal(100)
    entries[4], entries[5] = entries[5], entries[4]
    problems = list(verify_chain(entries))
    assert [(p.code, p.seq) for p in problems] == [(ProblemCode.REORDERED, 6)]
    assert problems[0].message.en == "Reordered entries: seq 6 is stored before seq 5."


def test_a_duplicated_entry_is_named():
    entries = audit_journal(10)
    entries.insert(5, entries[4])
    assert codes(entries) == [(ProblemCode.DUPLICATE, 5)]


def test_a_truncated_journal_is_named_against_the_expected_head():
    entries = audit_journal(100)
    head = Anchor(100, entries[-1].entry_hash)
    assert codes(entries, head=head) == []
    problems = list(verify_chain(entries[:97], head=head))
    assert [(p.code, p.seq) for p in problems] == [(ProblemCode.TRUNCATED, 98)]
    assert "ends at seq 97" in problems[0].message.en and "seq 100" in problems[0].message.en


def test_a_journal_rewritten_from_the_head_does_not_reach_the_sealed_head():
    entries = audit_journal(10)
    head = Anchor(10, entries[-1].entry_hash)
    forged = Chain()
    rewritten = [
        forged.append(
            kind=e.kind,
            organisation=e.organisation,
            subject=e.subject + "!",
            payload_digest=e.payload_digest,
            recorded_at=e.recorded_at,
        )
        for e in entries
    ]
    assert codes(rewritten, head=head) == [(ProblemCode.ALTERED, 10)]


def test_verification_can_start_from_a_checkpointed_anchor():
    entries = audit_journal(100)
    anchor = Anchor(60, entries[59].entry_hash)
    assert codes(entries[60:], start=anchor) == []
    assert codes(entries[61:], start=anchor) == [(ProblemCode.GAP, 61)]


def test_a_journal_missing_its_first_entries_is_named():
    assert codes(audit_journal(20)[3:]) == [(ProblemCode.GAP, 1)]


def _artefacts_then(chain: Chain, n: int = 3) -> list[JournalEntry]:
    return [
        chain.append(
            kind=Kind.ARTEFACT,
            organisation="org-42",
            subject=f"invoice:{i}",
            payload_digest=payload_digest({"fingerprint": f"{i:064x}"}),
            recorded_at=T0,
        )
        for i in range(1, n + 1)
    ]


def _tombstone(chain: Chain, target: int, *, subject: str, organisation: str = "org-42") -> JournalEntry:
    return chain.append(
        kind=Kind.TOMBSTONE,
        organisation=organisation,
        subject=subject,
        ref=target,
        payload_digest=payload_digest({"purged": target, "reason": "retention"}),
        recorded_at=T0,
    )


def test_a_tombstone_keeps_the_journal_verifiable():
    chain = Chain()
    entries = _artefacts_then(chain)
    entries.append(_tombstone(chain, 2, subject="invoice:2"))
    assert codes(entries) == []


@pytest.mark.parametrize(
    ("target", "subject", "organisation", "expected"),
    [
        (5, "invoice:5", "org-42", "names no earlier entry"),
        (1, "invoice:2", "org-42", "does not carry the organisation and subject of entry seq 1"),
        (1, "invoice:1", "org-43", "does not carry the organisation and subject of entry seq 1"),
    ],
    ids=["forward", "other-subject", "other-organisation"],
)
def test_tombstone_rules_are_enforced(target, subject, organisation, expected):
    chain = Chain()
    entries = _artefacts_then(chain)
    entries.append(_tombstone(chain, target, subject=subject, organisation=organisation))
    problems = list(verify_chain(entries))
    assert [(p.code, p.seq) for p in problems] == [(ProblemCode.TOMBSTONE, 4)]
    assert expected in problems[0].message.en


def test_an_entry_cannot_be_purged_twice():
    chain = Chain()
    entries = _artefacts_then(chain)
    entries.append(_tombstone(chain, 2, subject="invoice:2"))
    entries.append(_tombstone(chain, 2, subject="invoice:2"))
    problems = list(verify_chain(entries))
    assert [(p.code, p.seq) for p in problems] == [(ProblemCode.TOMBSTONE, 5)]
    assert "purged twice" in problems[0].message.en


def test_only_artefacts_can_be_purged():
    chain = Chain()
    entries = _artefacts_then(chain)
    entries.append(
        chain.append(kind=Kind.AUDIT, organisation="org-42", subject="audit:1", payload_digest="0" * 64, recorded_at=T0)
    )
    entries.append(_tombstone(chain, 4, subject="audit:1"))
    problems = list(verify_chain(entries))
    assert [(p.code, p.seq) for p in problems] == [(ProblemCode.TOMBSTONE, 5)]
    assert "of kind audit" in problems[0].message.en


def test_a_tombstone_for_a_deleted_entry_is_named():
    chain = Chain()
    entries = _artefacts_then(chain)
    entries.append(_tombstone(chain, 2, subject="invoice:2"))
    del entries[1]
    assert codes(entries) == [(ProblemCode.GAP, 2), (ProblemCode.TOMBSTONE, 4)]


def test_problems_speak_french_and_english():
    entries = audit_journal(5)
    del entries[2]
    problem = next(verify_chain(entries))
    assert problem.message.fr == "Entrée manquante : n° 3 (supprimée)."
    assert str(problem) == "[gap] Missing entry: seq 3 (deleted)."


def test_verification_streams_in_small_memory():
    """10,000 entries made on the fly: the verifier keeps ~9 bytes per entry, not the entries."""

    def generated(n):
        chain = Chain()
        for i in range(1, n + 1):
            yield chain.append(
                kind=Kind.AUDIT, organisation="org-42", subject=f"audit:{i}", payload_digest="ab" * 32, recorded_at=T0
            )

    tracemalloc.start()
    try:
        problems = list(verify_chain(generated(10_000)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert problems == []
    assert peak < 2_000_000
