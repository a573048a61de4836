"""Proof bundles: everything a third party needs to check one archived document, offline.

A bundle holds the document's fingerprint and time-stamp token, its journal entry and
metadata, the Merkle inclusion path from the entry to a sealed checkpoint, the checkpoint
with its signature and token, the operator's public key and the TSA certificates. It is
plain JSON (`to_json`), checked by `verify_bundle` here and by the same code in
`verify_standalone.py`, which exports ship as `verify.py`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from facturier.engine.archive import verify_standalone as fmt
from facturier.engine.archive.checkpoint import Checkpoint, MerkleTree
from facturier.engine.archive.journal import JournalEntry, Kind
from facturier.engine.errors import EngineError, Message

Verdict = fmt.Verdict


class ProofError(EngineError):
    """A proof bundle cannot be built from these pieces."""


@dataclass(frozen=True, slots=True)
class ProofBundle:
    """The proof that one file is an archived document, as of a sealed checkpoint."""

    fingerprint: str
    timestamp_token: str
    """Base64 DER TimeStampToken over the file's SHA-256."""
    entry: JournalEntry
    metadata: Mapping
    leaf_index: int
    path: tuple[str, ...]
    checkpoint: Checkpoint
    operator_public_key: str
    tsa_certificates: tuple[str, ...] = ()
    name: str = ""
    """The file's name in the export, for people."""
    extra: Mapping = field(default_factory=dict)
    """Free information carried along, not verified."""

    def to_dict(self) -> dict:
        return {
            "format": fmt.BUNDLE_FORMAT,
            "document": {"name": self.name, "fingerprint": self.fingerprint, "timestamp_token": self.timestamp_token},
            "entry": self.entry.to_dict(),
            "metadata": dict(self.metadata),
            "inclusion": {"leaf_index": self.leaf_index, "tree_size": self.checkpoint.size, "path": list(self.path)},
            "checkpoint": self.checkpoint.to_dict(),
            "operator_public_key": self.operator_public_key,
            "tsa_certificates": list(self.tsa_certificates),
            "extra": dict(self.extra),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping) -> ProofBundle:
        if data.get("format") != fmt.BUNDLE_FORMAT:
            raise ProofError(Message("Ce fichier n'est pas une preuve Facturier reconnue.",
                                     "This file is not a known Facturier proof bundle."))
        return cls(
            fingerprint=data["document"]["fingerprint"], timestamp_token=data["document"]["timestamp_token"],
            name=data["document"].get("name", ""), entry=JournalEntry.from_dict(data["entry"]),
            metadata=data["metadata"], leaf_index=data["inclusion"]["leaf_index"],
            path=tuple(data["inclusion"]["path"]), checkpoint=Checkpoint.from_dict(data["checkpoint"]),
            operator_public_key=data["operator_public_key"], tsa_certificates=tuple(data.get("tsa_certificates", ())),
            extra=data.get("extra", {}),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> ProofBundle:
        return cls.from_dict(json.loads(text))


def make_bundle(
    *, entry: JournalEntry, metadata: Mapping, timestamp_token: bytes, checkpoint: Checkpoint,
    period: MerkleTree | Sequence[JournalEntry], operator_public_key: str,
    tsa_certificates: Sequence[x509.Certificate | str] = (), name: str = "", extra: Mapping | None = None,
) -> ProofBundle:
    """The bundle for `entry`, sealed by `checkpoint` whose period is `period`.

    `period` is the checkpoint's tree (`MerkleTree` over the period's entry hashes, built once
    when exporting many documents of the same period) or the period's entries.
    """
    if entry.kind != Kind.ARTEFACT:
        raise ProofError(Message("Seule une archive de document a une preuve.", "Only archived artefacts have proofs."))
    if not checkpoint.first_seq <= entry.seq <= checkpoint.last_seq:
        raise ProofError(Message(
            f"L'entrée n° {entry.seq} n'est pas scellée par le point de contrôle n° {checkpoint.number}.",
            f"Entry seq {entry.seq} is not sealed by checkpoint #{checkpoint.number}."))
    tree = period if isinstance(period, MerkleTree) else MerkleTree(bytes.fromhex(e.entry_hash) for e in period)
    if tree.size != checkpoint.size or tree.root().hex() != checkpoint.merkle_root:
        raise ProofError(Message(
            f"Les entrées fournies ne sont pas celles du point de contrôle n° {checkpoint.number}.",
            f"The entries given are not those of checkpoint #{checkpoint.number}."))
    index = entry.seq - checkpoint.first_seq
    certificates = tuple(
        c if isinstance(c, str) else c.public_bytes(serialization.Encoding.PEM).decode() for c in tsa_certificates)
    return ProofBundle(
        fingerprint=str(metadata["fingerprint"]), timestamp_token=base64.b64encode(timestamp_token).decode(),
        entry=entry, metadata=dict(metadata), leaf_index=index, path=tuple(p.hex() for p in tree.path(index)),
        checkpoint=checkpoint, operator_public_key=operator_public_key, tsa_certificates=certificates, name=name,
        extra=dict(extra or {}),
    )


def verify_bundle(
    bundle: ProofBundle | Mapping, data: bytes, *, operator_keys: Sequence = (),
    tsa_roots: Sequence[x509.Certificate] = (),
) -> Verdict:
    """Every check of the offline verifier (`verify_standalone`): `verdict.ok`, `verdict.failures`."""
    as_dict = bundle.to_dict() if isinstance(bundle, ProofBundle) else dict(bundle)
    return fmt.verify_bundle(as_dict, data, operator_keys=list(operator_keys), tsa_roots=list(tsa_roots))


def standalone_script() -> bytes:
    """The offline verifier's source, to ship verbatim as `verify.py` in exports."""
    return Path(fmt.__file__).read_bytes()
