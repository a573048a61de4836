"""Archive primitives: envelope encryption, the hash-chained journal, checkpoints, proofs.

Framework-free: the `archive` app stores what these functions return and feeds them back.
Ingest of one file::

    sealed = seal_artefact(data_key, pdf_bytes, reference=ref)        # fingerprint + encrypt
    token = timestamp(bytes.fromhex(sealed.fingerprint))               # the app's TSA client
    metadata = {"fingerprint": sealed.fingerprint, "size": sealed.size, ...}
    entry = chain.append(kind="artefact", organisation=org, subject=ref,
                         payload_digest=payload_digest(metadata))     # under the journal's lock

Verification streams (`verify_journal`, `check_artefact`); proofs travel as JSON
(`make_bundle`, `ProofBundle.to_json`) and verify offline with `standalone_script()`.
"""

from facturier.engine.archive.checkpoint import (
    Checkpoint,
    CheckpointError,
    MerkleBuilder,
    MerkleTree,
    OperatorKey,
    StoredRecord,
    inclusion_path,
    make_checkpoint,
    merkle_root,
    verify_archive,
    verify_checkpoint,
    verify_inclusion,
    verify_journal,
)
from facturier.engine.archive.envelope import (
    BadMasterKey,
    ContentShredded,
    DataKey,
    IntegrityError,
    SealedArtefact,
    artefact_aad,
    check_artefact,
    decrypt_blob,
    encrypt_blob,
    key_aad,
    open_artefact,
    parse_master_key,
    rewrap,
    rewrap_content_key,
    seal_artefact,
    unwrap_key,
    wrap_key,
)
from facturier.engine.archive.journal import (
    GENESIS,
    Anchor,
    Chain,
    ChainVerifier,
    JournalEntry,
    JournalError,
    Kind,
    Problem,
    ProblemCode,
    canonical,
    next_entry,
    payload_digest,
    verify_chain,
)
from facturier.engine.archive.proof import ProofBundle, ProofError, make_bundle, standalone_script, verify_bundle

__all__ = [
    "GENESIS",
    "Anchor",
    "BadMasterKey",
    "Chain",
    "ChainVerifier",
    "Checkpoint",
    "CheckpointError",
    "ContentShredded",
    "DataKey",
    "IntegrityError",
    "JournalEntry",
    "JournalError",
    "Kind",
    "MerkleBuilder",
    "MerkleTree",
    "OperatorKey",
    "Problem",
    "ProblemCode",
    "ProofBundle",
    "ProofError",
    "SealedArtefact",
    "StoredRecord",
    "artefact_aad",
    "canonical",
    "check_artefact",
    "decrypt_blob",
    "encrypt_blob",
    "inclusion_path",
    "key_aad",
    "make_bundle",
    "make_checkpoint",
    "merkle_root",
    "next_entry",
    "open_artefact",
    "parse_master_key",
    "payload_digest",
    "rewrap",
    "rewrap_content_key",
    "seal_artefact",
    "standalone_script",
    "unwrap_key",
    "verify_archive",
    "verify_bundle",
    "verify_chain",
    "verify_checkpoint",
    "verify_inclusion",
    "verify_journal",
    "wrap_key",
]
