"""Proof bundles and the archive export (a ZIP streamed to disk with constant memory).

The export holds, for each archived file, the decrypted file, its proof bundle, and a row
of the manifest; plus the operator's public key, a README and `verify.py`, the offline
verifier (standard library and `cryptography` only). Files are read, decrypted and
written one at a time; the manifest is spooled to a temporary file and added last; one
checkpoint's Merkle tree (64 bytes per journal entry of its period) is kept at a time.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from facturier.archive.keys import operator_key
from facturier.archive.models import ArchiveEntry, Checkpoint
from facturier.archive.selectors import archive_entries, archived_content, journal_entries
from facturier.engine.archive import MerkleTree, ProofBundle, make_bundle, standalone_script
from facturier.engine.archive.verify_standalone import key_id

MANIFEST_COLUMNS = [
    "number", "date", "document_kind", "customer_code", "customer", "currency", "total_excluding_vat", "vat",
    "total_including_vat", "file", "file_kind", "size", "sha256", "timestamped_at", "archived_at",
    "retention_until", "journal_seq", "proof", "status",
]

README = """Facturier — export d'archive / archive export
===============================================

Organisation : {name} ({slug})
Exporté le / exported on : {now}
Fichiers / files : {files} ({purged} purgés / purged)

documents/   les fichiers archivés, déchiffrés, octet pour octet / the archived files, decrypted, byte for byte
proofs/      une preuve par fichier (JSON) / one proof bundle per file (JSON)
manifest.csv numéro, date, client, montants, empreinte SHA-256 de chaque fichier /
             number, date, customer, amounts and SHA-256 fingerprint of each file
operator-public-key.pem  la clé publique de l'opérateur (identifiant {key_id})
verify.py    le vérificateur hors ligne / the offline verifier

Vérifier un fichier / verify a file (Python 3.8+ and the `cryptography` package only):

    python3 verify.py proofs/FA-2026-00001/FA-2026-00001.pdf.proof.json documents/FA-2026-00001/FA-2026-00001.pdf \\
        --operator-key operator-public-key.pem --lang fr

Code de sortie 0 : le fichier est le document archivé, intact, horodaté, scellé dans le journal.
Exit status 0: the file is the archived document, untouched, time-stamped and sealed in the journal.
Comparez l'identifiant de clé de l'opérateur avec celui qu'il publie.
Compare the operator key id with the one your operator publishes.
"""


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    files: int
    purged: int
    bytes: int


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "file"


class _Periods:
    """The checkpoint sealing a seq and its Merkle tree, one period in memory at a time."""

    def __init__(self, organisation):
        self.organisation = organisation
        self.checkpoints = list(Checkpoint.objects.filter(organisation=organisation).order_by("number"))
        self.current: Checkpoint | None = None
        self.tree: MerkleTree | None = None

    def sealing(self, seq: int) -> tuple[Checkpoint, MerkleTree] | None:
        if self.current is None or not self.current.first_seq <= seq <= self.current.last_seq:
            found = next((c for c in self.checkpoints if c.first_seq <= seq <= c.last_seq), None)
            if found is None:
                return None
            self.current = found
            self.tree = MerkleTree(bytes.fromhex(e.entry_hash) for e in journal_entries(
                self.organisation, start=found.first_seq, end=found.last_seq))
        return self.current, self.tree


def proof_bundle(entry: ArchiveEntry, *, periods: _Periods | None = None, name: str = "") -> ProofBundle | None:
    """The offline proof of an archived file (None until a checkpoint seals its journal entry)."""
    periods = periods or _Periods(entry.organisation)
    found = periods.sealing(entry.journal_seq)
    if found is None:
        return None
    checkpoint, tree = found
    record = next(journal_entries(entry.organisation, start=entry.journal_seq, end=entry.journal_seq))
    return make_bundle(entry=record, metadata=entry.metadata(), timestamp_token=bytes(entry.timestamp_token),
                       checkpoint=checkpoint.sealed(), period=tree, operator_public_key=operator_key().public_pem(),
                       name=name or entry.filename,
                       extra={"document_number": entry.document_number, "kind": entry.kind})


def document_proof(*, organisation, document_id: int, seal: bool = True) -> ProofBundle | None:
    """The proof bundle of a document's archived Factur-X, sealing a checkpoint first if needed."""
    from facturier.archive.selectors import document_archive
    from facturier.archive.services import checkpoint_seal

    entry = document_archive(organisation=organisation, document_id=document_id)
    if entry is None:
        return None
    if seal and not Checkpoint.objects.filter(organisation=organisation, last_seq__gte=entry.journal_seq).exists():
        checkpoint_seal(organisation)
    return proof_bundle(entry)


def archive_export(*, organisation, out: Path, start: dt.date | None = None, end: dt.date | None = None,
                   seal: bool = True) -> ExportResult:
    """Write the organisation's archive (or the documents dated between `start` and `end`) to `out`."""
    from facturier.archive.services import checkpoint_seal

    if seal:
        checkpoint_seal(organisation)  # every file exported gets a proof
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    periods = _Periods(organisation)
    operator = operator_key()
    files = purged = total = 0
    tmp_zip = out.with_name(f".{out.name}.part")
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as manifest, \
            zipfile.ZipFile(tmp_zip, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        writer = csv.writer(manifest)
        writer.writerow(MANIFEST_COLUMNS)
        entries = archive_entries(organisation=organisation, start=start, end=end).select_related(
            "document", "customer")
        for entry in entries.iterator(chunk_size=200):
            folder = _safe(entry.document_number or entry.reference)
            file_path = f"documents/{folder}/{_safe(entry.filename)}"
            proof_path = f"proofs/{folder}/{_safe(entry.filename)}.proof.json"
            status = "archived"
            if entry.is_purged:
                status, file_path, proof_path = "purged", "", ""
                purged += 1
            else:
                data = archived_content(entry)
                with archive.open(file_path, "w", force_zip64=True) as handle:
                    handle.write(data)
                total += len(data)
                del data
                bundle = proof_bundle(entry, periods=periods, name=_safe(entry.filename))
                if bundle is None:
                    proof_path = ""
                else:
                    archive.writestr(proof_path, bundle.to_json())
                files += 1
            document, customer = entry.document, entry.customer
            writer.writerow([
                entry.document_number, entry.document_date.isoformat() if entry.document_date else "",
                document.kind if document else "", customer.code if customer else "",
                (document.buyer_snapshot or {}).get("name", "") if document and document.buyer_snapshot
                else (customer.name if customer else ""),
                document.currency if document else "", document.tax_exclusive if document else "",
                document.tax_total if document else "", document.tax_inclusive if document else "",
                file_path, entry.kind, entry.size, entry.fingerprint,
                entry.timestamped_at.isoformat(), entry.archived_at.isoformat(), entry.retention_until.isoformat(),
                entry.journal_seq, proof_path, status,
            ])
        manifest.flush()
        manifest.seek(0)
        with archive.open("manifest.csv", "w", force_zip64=True) as handle:
            text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
            shutil.copyfileobj(manifest, text, 1 << 16)
            text.flush()
            text.detach()
        archive.writestr("verify.py", standalone_script())
        archive.writestr("operator-public-key.pem", operator.public_pem())
        archive.writestr("README.txt", README.format(
            name=organisation.name, slug=organisation.slug, now=timezone.now().isoformat(timespec="seconds"),
            files=files, purged=purged, key_id=key_id(operator.public_key)))
    tmp_zip.replace(out)
    return ExportResult(path=out, files=files, purged=purged, bytes=total)
