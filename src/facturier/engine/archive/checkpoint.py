"""Sealed checkpoints: a Merkle root over a period of the journal, signed and time-stamped.

At least daily, the application seals the entries recorded since the previous checkpoint:

    checkpoint = make_checkpoint(entries_since_last, signer=operator_key, timestamp=tsa,
                                 journal=org_id, previous=last_checkpoint)
    # store it, then append its own entry (kind "checkpoint") to the journal:
    chain.append(**checkpoint.journal_entry_fields(organisation=org_id))

The Merkle tree is RFC 6962's (SHA-256, 0x00 leaf and 0x01 node prefixes) over the entry
hashes; each checkpoint names the digest of the previous one, the operator signs the
canonical body (Ed25519 or ECDSA P-256), and the TSA stamps the SHA-256 of that signature.
Because the checkpoint's own entry falls in the next period, checkpoints and journal are
sealed into each other.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from facturier.engine.archive import verify_standalone as fmt
from facturier.engine.archive.envelope import DataKey, check_artefact
from facturier.engine.archive.journal import (
    GENESIS,
    Anchor,
    ChainVerifier,
    JournalEntry,
    Kind,
    Problem,
    ProblemCode,
)
from facturier.engine.errors import EngineError, Message

Timestamp = Callable[[bytes], bytes]
"""Returns a DER TimeStampToken over a SHA-256 digest (the application's TSA client)."""
VerifyToken = Callable[[bytes, bytes], dt.datetime]
"""Checks a token against a SHA-256 digest and returns its time; raises on any failure."""

leaf_hash = fmt.leaf_hash
node_hash = fmt.node_hash
EMPTY_ROOT = fmt.EMPTY_ROOT


class CheckpointError(EngineError):
    """A checkpoint cannot be made from these entries."""


# --- Merkle trees -----------------------------------------------------------------------------


class MerkleBuilder:
    """Streams leaves into an RFC 6962 root with O(log n) memory."""

    __slots__ = ("_stack", "size")

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []
        self.size = 0

    def add(self, entry_hash: bytes) -> None:
        h, width = leaf_hash(entry_hash), 1
        stack = self._stack
        while stack and stack[-1][0] == width:
            h = node_hash(stack.pop()[1], h)
            width *= 2
        stack.append((width, h))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        r = self._stack[-1][1]
        for _, h in reversed(self._stack[:-1]):
            r = node_hash(h, r)
        return r


def merkle_root(entry_hashes: Iterable[bytes]) -> bytes:
    builder = MerkleBuilder()
    for h in entry_hashes:
        builder.add(h)
    return builder.root()


class MerkleTree:
    """A whole period's tree, kept level by level, to give every entry its inclusion path in O(log n).

    RFC 6962's tree is the bottom-up tree in which a lone last node moves up unchanged, so
    its levels can be built in one pass (64 bytes of memory per leaf in all).
    """

    def __init__(self, entry_hashes: Iterable[bytes]):
        level = b"".join(leaf_hash(h) for h in entry_hashes)
        self.size = len(level) // 32
        self._levels = [level]
        while len(level) > 32:
            n = len(level) // 32
            upper = bytearray()
            for i in range(0, n - 1, 2):
                upper += node_hash(level[32 * i : 32 * i + 32], level[32 * i + 32 : 32 * i + 64])
            if n % 2:
                upper += level[-32:]
            level = bytes(upper)
            self._levels.append(level)

    def root(self) -> bytes:
        return self._levels[-1] if self.size else EMPTY_ROOT

    def path(self, index: int) -> list[bytes]:
        """RFC 6962 audit path of leaf `index`, deepest sibling first."""
        if not 0 <= index < self.size:
            raise IndexError("leaf index outside the tree")
        path, i = [], index
        for level in self._levels[:-1]:
            sibling = i ^ 1
            if sibling < len(level) // 32:
                path.append(level[32 * sibling : 32 * sibling + 32])
            i >>= 1
        return path


def inclusion_path(entry_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """RFC 6962 audit path of leaf `index` among the period's entry hashes (raw 32 bytes each)."""
    return MerkleTree(entry_hashes).path(index)


def verify_inclusion(entry_hash: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> bool:
    return fmt.root_from_inclusion(index, size, leaf_hash(entry_hash), list(path)) == root


# --- The operator's key -----------------------------------------------------------------------


class OperatorKey:
    """The operator's signing key (Ed25519 or ECDSA P-256), loaded once and reused."""

    def __init__(self, private_key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
        if isinstance(private_key, ed25519.Ed25519PrivateKey):
            self.algorithm = "Ed25519"
        elif isinstance(private_key, ec.EllipticCurvePrivateKey) and isinstance(private_key.curve, ec.SECP256R1):
            self.algorithm = "ECDSA-P256-SHA256"
        else:
            raise CheckpointError(Message("La clé d'opérateur doit être Ed25519 ou ECDSA P-256.",
                                          "The operator key must be Ed25519 or ECDSA P-256."))
        self._key = private_key
        self.public_key = private_key.public_key()
        self.key_id = fmt.key_id(self.public_key)

    @classmethod
    def generate(cls) -> OperatorKey:
        return cls(ed25519.Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, pem: bytes, password: bytes | None = None) -> OperatorKey:
        return cls(serialization.load_pem_private_key(pem, password))

    def public_pem(self) -> str:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def sign(self, data: bytes) -> bytes:
        if self.algorithm == "Ed25519":
            return self._key.sign(data)
        return self._key.sign(data, ec.ECDSA(hashes.SHA256()))


# --- Checkpoints ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The seal of one period of a journal."""

    journal: str
    """Which journal (an organisation's identifier, or the operator's)."""
    number: int
    """1 for the first checkpoint of the journal, then +1."""
    first_seq: int
    last_seq: int
    size: int
    head_hash: str
    """entry_hash of `last_seq`: what the journal must still reach (truncation check)."""
    merkle_root: str
    period_start: dt.datetime
    """recorded_at of the first sealed entry."""
    period_end: dt.datetime
    """recorded_at of the last sealed entry."""
    sealed_at: dt.datetime
    previous: str
    """`digest` of the previous checkpoint (zeros for the first)."""
    algorithm: str
    key_id: str
    signature: str
    """Base64 of the operator's signature over `body()`."""
    timestamp_token: str
    """Base64 DER TimeStampToken over SHA-256(signature)."""

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        for name in ("period_start", "period_end", "sealed_at"):
            data[name] = fmt.format_time(data[name])
        data["format"] = fmt.CHECKPOINT_FORMAT
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Checkpoint:
        values = {f.name: data[f.name] for f in dataclasses.fields(cls)}
        for name in ("period_start", "period_end", "sealed_at"):
            values[name] = fmt.parse_time(values[name])
        return cls(**values)

    def body(self) -> bytes:
        return fmt.checkpoint_body(self.to_dict())

    @property
    def digest(self) -> str:
        return fmt.checkpoint_digest(self.to_dict())

    @property
    def head(self) -> Anchor:
        return Anchor(self.last_seq, self.head_hash)

    def journal_entry_fields(self, *, organisation: str) -> dict:
        """Keyword arguments for `Chain.append` recording this checkpoint in the journal."""
        return {"kind": Kind.CHECKPOINT, "organisation": organisation, "subject": f"checkpoint:{self.number}",
                "payload_digest": self.digest, "ref": self.last_seq}

    def with_token(self, token: bytes) -> Checkpoint:
        """The same checkpoint with a renewed time-stamp (the digest does not change)."""
        return dataclasses.replace(self, timestamp_token=base64.b64encode(token).decode())


def make_checkpoint(
    entries: Iterable[JournalEntry], *, signer: OperatorKey, timestamp: Timestamp, journal: str = "",
    previous: Checkpoint | None = None, sealed_at: dt.datetime | None = None,
) -> Checkpoint:
    """Seals the entries of one period (streamed, consecutive, right after `previous`)."""
    builder, first, last = MerkleBuilder(), None, None
    expected = previous.last_seq + 1 if previous else None
    for entry in entries:
        if expected is not None and entry.seq != expected:
            raise CheckpointError(Message(
                f"Le point de contrôle attend l'entrée n° {expected}, reçu le n° {entry.seq}.",
                f"The checkpoint expects entry seq {expected}, got seq {entry.seq}."))
        first = first or entry
        last = entry
        expected = entry.seq + 1
        builder.add(bytes.fromhex(entry.entry_hash))
    if last is None:
        raise CheckpointError(Message("Aucune entrée à sceller depuis le dernier point de contrôle.",
                                      "No entry to seal since the last checkpoint."))
    now = (sealed_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    draft = Checkpoint(
        journal=journal, number=previous.number + 1 if previous else 1, first_seq=first.seq, last_seq=last.seq,
        size=builder.size, head_hash=last.entry_hash, merkle_root=builder.root().hex(),
        period_start=first.recorded_at, period_end=last.recorded_at, sealed_at=max(now, last.recorded_at),
        previous=previous.digest if previous else fmt.GENESIS_HASH, algorithm=signer.algorithm,
        key_id=signer.key_id, signature="", timestamp_token="",
    )
    signature = signer.sign(draft.body())
    token = timestamp(hashlib.sha256(signature).digest())
    return dataclasses.replace(draft, signature=base64.b64encode(signature).decode(),
                               timestamp_token=base64.b64encode(token).decode())


def _cp_problem(checkpoint: Checkpoint, fr: str, en: str) -> Problem:
    return Problem(ProblemCode.CHECKPOINT, checkpoint.last_seq, Message(
        f"Point de contrôle n° {checkpoint.number} (entrées {checkpoint.first_seq} à {checkpoint.last_seq}) : {fr}",
        f"Checkpoint #{checkpoint.number} (seq {checkpoint.first_seq} to {checkpoint.last_seq}): {en}"))


def verify_checkpoint(
    checkpoint: Checkpoint, *, public_keys: Iterable, verify_token: VerifyToken,
    previous: Checkpoint | None = None, entries: Iterable[JournalEntry] | None = None,
) -> list[Problem]:
    """Signature (by one of the operator's keys), time-stamp, link to `previous`, and the root over `entries`."""
    problems = []
    keys = {fmt.key_id(k): k for k in public_keys}
    signature = base64.b64decode(checkpoint.signature)
    if checkpoint.key_id not in keys:
        problems.append(_cp_problem(checkpoint, "signé par une clé inconnue.", "signed by an unknown key."))
    elif not fmt.verify_operator_signature(keys[checkpoint.key_id], checkpoint.algorithm, checkpoint.body(), signature):
        problems.append(_cp_problem(checkpoint, "signature invalide : le point de contrôle a été modifié.",
                                    "invalid signature: the checkpoint was altered."))
    try:
        stamped = verify_token(base64.b64decode(checkpoint.timestamp_token), hashlib.sha256(signature).digest())
    except Exception as error:  # noqa: BLE001 - the injected verifier's failures are findings, whatever they are
        problems.append(Problem(ProblemCode.TIMESTAMP, checkpoint.last_seq, Message(
            f"Horodatage du point de contrôle n° {checkpoint.number} invalide ({error}).",
            f"The time-stamp of checkpoint #{checkpoint.number} is invalid ({error}).")))
    else:
        if stamped + fmt.CLOCK_TOLERANCE < checkpoint.period_end:
            problems.append(_cp_problem(checkpoint, "horodaté avant la fin de sa période.",
                                        "time-stamped before the end of its period."))
    expected_number = previous.number + 1 if previous else 1
    expected_previous = previous.digest if previous else fmt.GENESIS_HASH
    expected_first = previous.last_seq + 1 if previous else 1
    if (checkpoint.number, checkpoint.previous, checkpoint.first_seq) != (
            expected_number, expected_previous, expected_first):
        problems.append(_cp_problem(
            checkpoint, f"ne suit pas le point de contrôle n° {expected_number - 1} (supprimé ou remplacé ?).",
            f"does not follow checkpoint #{expected_number - 1} (deleted or replaced?)."))
    if checkpoint.size != checkpoint.last_seq - checkpoint.first_seq + 1:
        problems.append(_cp_problem(checkpoint, "taille incohérente.", "inconsistent size."))
    if entries is not None:
        builder = MerkleBuilder()
        for entry in entries:
            builder.add(bytes.fromhex(entry.entry_hash))
        if builder.root().hex() != checkpoint.merkle_root:
            problems.append(_cp_problem(checkpoint, "la racine de Merkle ne correspond plus aux entrées scellées.",
                                        "the Merkle root no longer matches the sealed entries."))
    return problems


def verify_journal(
    entries: Iterable[JournalEntry], checkpoints: Iterable[Checkpoint], *, public_keys: Iterable,
    verify_token: VerifyToken, start: Anchor = GENESIS, head: Anchor | None = None,
) -> Iterator[Problem]:
    """The whole journal in one streaming pass: chain rules, every checkpoint, truncation.

    `head` is the journal's head as the application recorded it apart from the entries (the
    row it locks to append): with it, entries dropped after the last checkpoint are found too.

    `checkpoints` are all the journal's checkpoints in order (held in memory: one per day is
    a few thousand over ten years). Each one's Merkle root is recomputed from the entries as
    they stream by; the last one's head is what the journal must reach; each must be recorded
    in the journal by a "checkpoint" entry.
    """
    checkpoints = list(checkpoints)
    public_keys = list(public_keys)
    previous = None
    for checkpoint in checkpoints:
        if checkpoint.first_seq > start.seq:
            yield from verify_checkpoint(checkpoint, public_keys=public_keys, verify_token=verify_token,
                                         previous=previous)
        previous = checkpoint
    pending = [c for c in checkpoints if c.first_seq > start.seq]
    recorded = {c.digest: c for c in pending}
    if checkpoints and (head is None or checkpoints[-1].last_seq > head.seq):
        head = checkpoints[-1].head
    state = {"builder": MerkleBuilder(), "current": 0}

    def seal_checks(entry: JournalEntry) -> list[Problem]:
        found = []
        if entry.kind == Kind.CHECKPOINT:
            recorded.pop(entry.payload_digest, None)
        current = state["current"]
        while current < len(pending) and entry.seq > pending[current].last_seq:
            found.append(_cp_problem(pending[current], "entrées manquantes dans la période.",
                                     "entries of the period are missing."))
            current += 1
            state["builder"] = MerkleBuilder()
        if current < len(pending) and pending[current].first_seq <= entry.seq:
            builder = state["builder"]
            builder.add(bytes.fromhex(entry.entry_hash))
            if entry.seq == pending[current].last_seq:
                if builder.root().hex() != pending[current].merkle_root or builder.size != pending[current].size:
                    found.append(_cp_problem(
                        pending[current],
                        "la racine de Merkle ne correspond plus : une entrée scellée a été modifiée, supprimée "
                        "ou réordonnée.",
                        "the Merkle root no longer matches: a sealed entry was altered, deleted or reordered."))
                current += 1
                state["builder"] = MerkleBuilder()
        state["current"] = current
        return found

    chain = ChainVerifier(start=start, head=head, on_entry=seal_checks)
    for entry in entries:
        yield from chain.feed(entry)
    yield from chain.finish()
    if checkpoints:
        for checkpoint in recorded.values():
            if checkpoint is not checkpoints[-1]:  # the latest one is recorded after it was sealed, maybe not yet
                yield _cp_problem(checkpoint, "absent du journal (son entrée a disparu).",
                                  "missing from the journal (its entry is gone).")


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """What the application keeps next to one journal entry, for `verify_archive`."""

    entry: JournalEntry
    metadata: Mapping | None = None
    """The metadata whose digest the entry records (None when the entry has none to check)."""
    reference: str = ""
    """The artefact's reference (its encryption AAD), usually the entry's subject."""
    key_version: int = 1
    wrapped_key: bytes | None = None
    """None once purged (crypto-shredded)."""
    blob: Callable[[], bytes] | None = None
    """Loads the stored blob (lazily: one blob in memory at a time)."""
    timestamp_token: bytes | None = None


def verify_archive(
    records: Iterable[StoredRecord], checkpoints: Iterable[Checkpoint], *,
    data_key: Callable[[str, int], DataKey],
    public_keys: Iterable, verify_token: VerifyToken, start: Anchor = GENESIS, head: Anchor | None = None,
) -> Iterator[Problem]:
    """`archive verify` in one streaming pass: the journal and checkpoints, then each stored artefact.

    `data_key(organisation, version)` returns that organisation's unwrapped data key of that
    version (cache it: it is called once per artefact). An artefact whose key is gone must
    have a tombstone; every other problem is named by seq. Blobs are loaded one at a time.
    """
    side: list[Problem] = []
    shredded: dict[int, None] = {}

    def entries() -> Iterator[JournalEntry]:
        for record in records:
            entry = record.entry
            if entry.kind == Kind.TOMBSTONE and entry.ref is not None:
                shredded.pop(entry.ref, None)
            if record.metadata is not None:
                is_artefact = entry.kind == Kind.ARTEFACT
                if is_artefact and not record.wrapped_key:
                    shredded[entry.seq] = None
                try:
                    key = (data_key(entry.organisation, record.key_version)
                           if is_artefact and record.wrapped_key else None)
                except EngineError:
                    key = None
                    side.append(Problem(ProblemCode.BLOB, entry.seq, Message(
                        f"La clé de l'organisation (version {record.key_version}) de l'entrée n° {entry.seq} est "
                        "illisible.",
                        f"The organisation key (version {record.key_version}) of entry seq {entry.seq} is "
                        "unreadable.")))
                side.extend(check_artefact(
                    seq=entry.seq, payload=entry.payload_digest, metadata=record.metadata, data_key=key,
                    wrapped_key=record.wrapped_key, blob=record.blob() if key and record.blob else None,
                    reference=record.reference or entry.subject, timestamp_token=record.timestamp_token,
                    verify_token=verify_token if is_artefact else None))
            yield entry

    for problem in verify_journal(entries(), checkpoints, public_keys=public_keys, verify_token=verify_token,
                                  start=start, head=head):
        yield from side
        side.clear()
        yield problem
    yield from side
    for seq in shredded:
        yield Problem(ProblemCode.TOMBSTONE, seq, Message(
            f"La clé de l'entrée n° {seq} a disparu sans pierre tombale : destruction non journalisée.",
            f"The key of entry seq {seq} is gone without a tombstone: an unrecorded destruction."))
