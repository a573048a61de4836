"""The append-only journal: every archived artefact and audit event, hash-chained.

Each entry commits to the previous one: ``entry_hash = SHA-256(prev_hash || canonical(entry))``
where the canonical form is sorted-key JSON in UTF-8 without floats (the reference
implementation is in `verify_standalone`, shipped in exports). The entry does not hold the
metadata itself, only its digest: the application stores the metadata next to the entry
and checks it with `payload_digest`.

`verify_chain` streams: it keeps about nine bytes per entry (kind and identity, for the
tombstone rules) and a bounded reorder window, so a million entries verify in constant,
small memory.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

from facturier.engine.archive import verify_standalone as fmt
from facturier.engine.errors import EngineError, Message

GENESIS_HASH = fmt.GENESIS_HASH


class Kind(enum.StrEnum):
    """What a journal entry records."""

    ARTEFACT = "artefact"
    """An archived file (PDF, XML, receipt); its metadata names the blob's fingerprint."""
    AUDIT = "audit"
    """An audit event (piste d'audit fiable)."""
    TOMBSTONE = "tombstone"
    """An artefact purged after retention: its key was destroyed; `ref` names it."""
    CHECKPOINT = "checkpoint"
    """A sealed checkpoint: `payload_digest` is the checkpoint's digest, `ref` its last seq."""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One link of the chain. Frozen: an entry, once recorded, never changes."""

    seq: int
    """Position in the journal, from 1, without gaps."""
    kind: str
    """One of `Kind`."""
    organisation: str
    """The owning organisation's stable identifier."""
    subject: str
    """What the entry is about, e.g. ``"invoice:1234/facturx-pdf"`` or ``"audit:987"``."""
    payload_digest: str
    """SHA-256 (hex) of the canonical metadata (`payload_digest`), which names the blob's fingerprint."""
    prev_hash: str
    """The previous entry's `entry_hash` (`GENESIS_HASH` for seq 1)."""
    entry_hash: str
    """SHA-256 (hex) of the previous hash and the canonical entry without this field."""
    recorded_at: dt.datetime
    """When it was appended (UTC, microseconds)."""
    ref: int | None = None
    """The seq this entry is about: the purged artefact of a tombstone, the last seq a checkpoint seals."""

    def body(self) -> bytes:
        return fmt.entry_body(
            seq=self.seq, kind=self.kind, organisation=self.organisation, subject=self.subject,
            payload_digest=self.payload_digest, prev_hash=self.prev_hash,
            recorded_at=fmt.format_time(self.recorded_at), ref=self.ref,
        )

    def compute_hash(self) -> str:
        try:
            prev = bytes.fromhex(self.prev_hash)
        except ValueError:
            return ""
        return hashlib.sha256(prev + self.body()).hexdigest()

    def to_dict(self) -> dict:
        """JSON-ready fields (as in proof bundles and exports)."""
        return {
            "seq": self.seq, "kind": self.kind, "organisation": self.organisation, "subject": self.subject,
            "payload_digest": self.payload_digest, "prev_hash": self.prev_hash, "entry_hash": self.entry_hash,
            "recorded_at": fmt.format_time(self.recorded_at), "ref": self.ref,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> JournalEntry:
        return cls(
            seq=data["seq"], kind=data["kind"], organisation=data["organisation"], subject=data["subject"],
            payload_digest=data["payload_digest"], prev_hash=data["prev_hash"], entry_hash=data["entry_hash"],
            recorded_at=fmt.parse_time(data["recorded_at"]), ref=data.get("ref"),
        )


@dataclass(frozen=True, slots=True)
class Anchor:
    """A known point of a journal: the seq and hash of an entry (seq 0 is the genesis)."""

    seq: int
    hash: str


GENESIS = Anchor(0, GENESIS_HASH)


def canonical(value: object) -> bytes:
    """Sorted-key JSON, UTF-8, no floats: the bytes that are hashed. Raises ValueError otherwise."""
    return fmt.canonical_json(value)


def payload_digest(metadata: Mapping) -> str:
    """SHA-256 (hex) of an entry's canonical metadata.

    Put in it everything the entry proves (the blob's ``"fingerprint"``, size, media type,
    owner, recipient, document number…) and nothing that may legitimately change later
    (the wrapped content key, which purge destroys; the storage location).
    """
    return fmt.sha256_hex(canonical(dict(metadata)))


class JournalError(EngineError):
    """A journal cannot be extended this way (wrong kind, non-UTC time…)."""


def next_entry(
    previous: JournalEntry | Anchor | None, *, kind: str, organisation: str, subject: str, payload_digest: str,
    recorded_at: dt.datetime | None = None, ref: int | None = None,
) -> JournalEntry:
    """The entry that follows `previous` (an entry, an anchor, or None for the first one)."""
    if kind not in Kind.__members__.values():
        raise JournalError(Message(f"Type d'entrée de journal inconnu : {kind}.",
                                   f"Unknown journal entry kind: {kind}."))
    if kind == Kind.TOMBSTONE and ref is None:
        raise JournalError(Message("Une pierre tombale doit désigner l'entrée purgée.",
                                   "A tombstone must name the purged entry."))
    now = recorded_at or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise JournalError(Message("L'heure d'une entrée doit porter un fuseau.",
                                   "An entry time must be timezone-aware."))
    now = now.astimezone(dt.UTC)
    if isinstance(previous, JournalEntry):
        anchor = Anchor(previous.seq, previous.entry_hash)
        now = max(now, previous.recorded_at)  # the journal's clock never goes backwards
    else:
        anchor = previous or GENESIS
    draft = JournalEntry(seq=anchor.seq + 1, kind=str(kind), organisation=organisation, subject=subject,
                         payload_digest=payload_digest, prev_hash=anchor.hash, entry_hash="", recorded_at=now, ref=ref)
    return replace(draft, entry_hash=draft.compute_hash())


class Chain:
    """Appends to a journal given its last entry (the application persists each entry it returns)."""

    def __init__(self, last: JournalEntry | Anchor | None = None):
        self.last = last

    def append(self, **fields) -> JournalEntry:
        """Keyword arguments of `next_entry`; returns the new last entry."""
        entry = next_entry(self.last, **fields)
        self.last = entry
        return entry


# --- Verification -----------------------------------------------------------------------------


class ProblemCode(enum.StrEnum):
    ALTERED = "altered"
    BROKEN_LINK = "broken-link"
    GAP = "gap"
    REORDERED = "reordered"
    DUPLICATE = "duplicate"
    TRUNCATED = "truncated"
    CLOCK = "clock"
    UNKNOWN_KIND = "unknown-kind"
    TOMBSTONE = "tombstone"
    CHECKPOINT = "checkpoint"
    METADATA = "metadata"
    BLOB = "blob"
    FINGERPRINT = "fingerprint"
    TIMESTAMP = "timestamp"
    MISSING = "missing"
    """An issued document whose archived files are not there."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the archive, named precisely, in both languages."""

    code: ProblemCode
    seq: int | None
    """The journal position concerned (None when it concerns no single entry)."""
    message: Message

    def __str__(self) -> str:
        return f"[{self.code}] {self.message.en}"


_KIND_CODES = {Kind.ARTEFACT: 1, Kind.AUDIT: 2, Kind.TOMBSTONE: 3, Kind.CHECKPOINT: 4}
_KIND_NAMES = {v: k for k, v in _KIND_CODES.items()}
_MISSING, _UNKNOWN, _TOMBSTONED = 0, 5, 0x80
_IDENTITY = 8
_PROBE = 16


def _identity(organisation: str, subject: str) -> bytes:
    return hashlib.blake2b(f"{organisation}\x00{subject}".encode(), digest_size=_IDENTITY).digest()


class ChainVerifier:
    """Streaming verifier: `feed` entries in stored order, then `finish`; each returns problems found.

    `start` is the anchor the first entry follows (the genesis by default, or a checkpoint's
    head when verifying from there); `head` is what the journal must reach (the latest sealed
    checkpoint's last seq and hash) — falling short of it is a truncation. `on_entry` sees
    each entry in seq order, after its own checks, and may add problems (checkpoint roots).
    """

    def __init__(
        self, *, start: Anchor = GENESIS, head: Anchor | None = None, window: int = 64,
        on_entry: Callable[[JournalEntry], list[Problem]] | None = None,
    ):
        self.start, self.head, self.window = start, head, window
        self._on_entry = on_entry
        self._base = start.seq + 1
        self._expected = self._base
        self._prev_hash = start.hash
        self._prev_time: dt.datetime | None = None
        self._excused = False  # the next link is already explained by a reported gap or reorder
        self._pending: dict[int, JournalEntry] = {}
        self._kinds = bytearray()
        self._identities = bytearray()
        self._head_seen = False
        self._probes = 10_000  # bounds the cost of a journal tampered everywhere
        self.count = 0
        """Entries checked in sequence."""

    @property
    def last(self) -> Anchor:
        """The last entry checked in sequence."""
        return Anchor(self._expected - 1, self._prev_hash)

    def feed(self, entry: JournalEntry) -> list[Problem]:
        problems: list[Problem] = []
        seq = entry.seq
        if seq == self._expected:
            self._check(entry, problems)
            if self._pending:
                arrived_late = seq
                while self._expected in self._pending:
                    early = self._pending.pop(self._expected)
                    problems.append(_reordered_stream(early.seq, arrived_late))
                    self._check(early, problems)
        elif seq > self._expected:
            if seq in self._pending:
                problems.append(_duplicate(seq))
            else:
                self._pending[seq] = entry
                if len(self._pending) > self.window:
                    self._skip_gap(problems)
        else:
            index = seq - self._base
            if 0 <= index < len(self._kinds) and self._kinds[index] != _MISSING:
                problems.append(_duplicate(seq))
            else:
                problems.append(Problem(ProblemCode.REORDERED, seq, Message(
                    f"L'entrée n° {seq} est rangée loin de sa place (après le n° {self._expected - 1}).",
                    f"Entry seq {seq} is stored far out of order (after seq {self._expected - 1}).")))
        return problems

    def finish(self) -> list[Problem]:
        problems: list[Problem] = []
        while self._pending:
            self._skip_gap(problems)
        if self.head is not None and not self._head_seen:
            last = self._expected - 1
            if last < self.head.seq:
                problems.append(Problem(ProblemCode.TRUNCATED, last + 1, Message(
                    f"Journal tronqué : il s'arrête au n° {last} alors que le dernier point de contrôle scelle "
                    f"jusqu'au n° {self.head.seq} (empreinte {self.head.hash[:16]}…) ; les entrées "
                    f"{last + 1} à {self.head.seq} ont disparu.",
                    f"Truncated journal: it ends at seq {last} but the latest checkpoint seals up to seq "
                    f"{self.head.seq} (hash {self.head.hash[:16]}…); entries {last + 1} to {self.head.seq} are gone.")))
        return problems

    # -- internals --

    def _skip_gap(self, problems: list[Problem]) -> None:
        resume = min(self._pending)
        first, last = self._expected, resume - 1
        problems.append(Problem(ProblemCode.GAP, first, Message(
            f"Entrées manquantes : n° {first} à {last} (supprimées)." if last > first
            else f"Entrée manquante : n° {first} (supprimée).",
            f"Missing entries: seq {first} to {last} (deleted)." if last > first
            else f"Missing entry: seq {first} (deleted).")))
        self._kinds.extend(bytes(resume - first))
        self._identities.extend(bytes(_IDENTITY * (resume - first)))
        self._expected = resume
        self._excused = True
        while self._expected in self._pending:
            self._check(self._pending.pop(self._expected), problems)

    def _check(self, e: JournalEntry, problems: list[Problem]) -> None:
        seq = e.seq
        content_ok = e.compute_hash() == e.entry_hash
        moved_from = None
        if not content_ok and e.prev_hash != self._prev_hash and self._probes > 0:
            # Content and link both wrong: maybe an entry recorded under another seq (a swap).
            self._probes -= 1
            moved_from = self._probe(e)
        if not content_ok:
            if moved_from is not None:
                problems.append(Problem(ProblemCode.REORDERED, seq, Message(
                    f"Entrées réordonnées : la position n° {seq} contient l'entrée enregistrée "
                    f"sous le n° {moved_from}.",
                    f"Reordered entries: position seq {seq} holds the entry recorded as seq {moved_from}.")))
            else:
                problems.append(Problem(ProblemCode.ALTERED, seq, Message(
                    f"Entrée n° {seq} modifiée : son contenu ne correspond plus à son empreinte.",
                    f"Altered entry at seq {seq}: its content no longer matches its hash.")))
        elif e.prev_hash != self._prev_hash and not self._excused:
            problems.append(Problem(ProblemCode.BROKEN_LINK, seq, Message(
                f"Chaînage rompu au n° {seq} : l'entrée n° {seq - 1} a été réécrite après coup "
                f"(ou l'entrée n° {seq} insérée).",
                f"Broken link at seq {seq}: entry seq {seq - 1} was rewritten after the fact "
                f"(or entry seq {seq} was forged).")))
        if content_ok:
            if self._prev_time is not None and e.recorded_at < self._prev_time and not self._excused:
                problems.append(Problem(ProblemCode.CLOCK, seq, Message(
                    f"L'entrée n° {seq} est datée avant la précédente.",
                    f"Entry seq {seq} is dated before the previous one.")))
            self._prev_time = e.recorded_at
        kind_code = _KIND_CODES.get(e.kind, _UNKNOWN)
        if content_ok and kind_code == _UNKNOWN:
            problems.append(Problem(ProblemCode.UNKNOWN_KIND, seq, Message(
                f"L'entrée n° {seq} est d'un type inconnu ({e.kind}).",
                f"Entry seq {seq} has unknown kind {e.kind!r}.")))
        identity = bytes(_IDENTITY)
        if content_ok and kind_code in (1, 3):
            identity = _identity(e.organisation, e.subject)
        if content_ok and kind_code == 3:
            self._check_tombstone(e, identity, problems)
        if content_ok and kind_code == 4 and (e.ref is None or e.ref >= seq):
            problems.append(Problem(ProblemCode.CHECKPOINT, seq, Message(
                f"Le point de contrôle enregistré au n° {seq} scelle des entrées qui le suivent.",
                f"The checkpoint recorded at seq {seq} claims to seal entries after itself.")))
        if self.head is not None and seq == self.head.seq:
            self._head_seen = True
            if e.entry_hash != self.head.hash:
                problems.append(Problem(ProblemCode.ALTERED, seq, Message(
                    f"L'entrée n° {seq} n'est pas celle que scelle le dernier point de contrôle.",
                    f"Entry seq {seq} is not the one the latest checkpoint sealed.")))
        self._kinds.append(kind_code)
        self._identities += identity
        self._prev_hash = e.entry_hash
        self._excused = moved_from is not None
        self._expected = seq + 1
        self.count += 1
        if self._on_entry is not None:
            problems.extend(self._on_entry(e))

    def _probe(self, e: JournalEntry) -> int | None:
        """The seq under which an entry whose hash fails was recorded, if it was moved nearby."""
        for distance in range(1, _PROBE + 1):
            for candidate in (e.seq + distance, e.seq - distance):
                if candidate > 0 and replace(e, seq=candidate).compute_hash() == e.entry_hash:
                    return candidate
        return None

    def _check_tombstone(self, e: JournalEntry, identity: bytes, problems: list[Problem]) -> None:
        seq, target = e.seq, e.ref

        def problem(fr: str, en: str) -> None:
            problems.append(Problem(ProblemCode.TOMBSTONE, seq, Message(fr, en)))

        if target is None or target >= seq:
            problem(f"La pierre tombale n° {seq} ne désigne aucune entrée antérieure.",
                    f"Tombstone seq {seq} names no earlier entry.")
            return
        index = target - self._base
        if index < 0:
            return  # before the verified range: nothing to compare with
        kind = self._kinds[index]
        if kind == _MISSING:
            problem(f"La pierre tombale n° {seq} désigne l'entrée n° {target}, absente du journal.",
                    f"Tombstone seq {seq} names entry seq {target}, which is missing.")
        elif kind & _TOMBSTONED:
            problem(f"L'entrée n° {target} est purgée deux fois (pierre tombale n° {seq}).",
                    f"Entry seq {target} is purged twice (tombstone seq {seq}).")
        elif kind != 1:
            name = _KIND_NAMES.get(kind, "unknown")
            problem(f"La pierre tombale n° {seq} désigne l'entrée n° {target} de type {name} : seules les "
                    f"archives se purgent.",
                    f"Tombstone seq {seq} names entry seq {target} of kind {name}: only artefacts can be purged.")
        elif self._identities[index * _IDENTITY : (index + 1) * _IDENTITY] != identity:
            problem(f"La pierre tombale n° {seq} ne porte pas l'organisation et le sujet de l'entrée n° {target}.",
                    f"Tombstone seq {seq} does not carry the organisation and subject of entry seq {target}.")
        else:
            self._kinds[index] = kind | _TOMBSTONED


def _duplicate(seq: int) -> Problem:
    return Problem(ProblemCode.DUPLICATE, seq, Message(
        f"Le n° {seq} apparaît deux fois dans le journal.", f"Seq {seq} appears twice in the journal."))


def _reordered_stream(early: int, late: int) -> Problem:
    return Problem(ProblemCode.REORDERED, early, Message(
        f"Entrées réordonnées : le n° {early} est rangé avant le n° {late}.",
        f"Reordered entries: seq {early} is stored before seq {late}."))


def verify_chain(
    entries: Iterable[JournalEntry], *, start: Anchor = GENESIS, head: Anchor | None = None,
) -> Iterator[Problem]:
    """Streams the problems of a journal (empty when it is intact); see `ChainVerifier`."""
    verifier = ChainVerifier(start=start, head=head)
    for entry in entries:
        yield from verifier.feed(entry)
    yield from verifier.finish()
