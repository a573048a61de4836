"""The full archive export of a terminating organisation, verifiable offline in one command.

A ZIP written incrementally to a file (ZIP64, one archived file in memory at a time):

    documents/…           every archived file, decrypted, byte for byte
    proofs/…              one proof bundle per file (journal entry, Merkle path, checkpoint, time stamp)
    manifest.csv          one row per archived file (purged ones included), with its SHA-256
    journal.jsonl         every journal entry, in seq order (the hash chain)
    checkpoints.jsonl     every sealed checkpoint (operator signature, RFC 3161 time stamp)
    operator-public-key.pem  the key that signs the checkpoints
    tsa-chain.pem         the time-stamp authorities' certificates found in the tokens
    export.json           what the export holds and the SHA-256 of each file above
    verify.py             the offline verifier (standard library only: `python3 verify.py`)
    README.txt
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from facturier.archive.export import MANIFEST_COLUMNS, _Periods, _safe, proof_bundle
from facturier.archive.keys import operator_key
from facturier.archive.models import Checkpoint
from facturier.archive.selectors import archive_entries, archived_content, journal_entries
from facturier.engine.archive.verify_export import EXPORT_FORMAT

README = """Facturier — export complet de l'archive / full archive export
=============================================================

Organisation : {name} ({slug})
Exporté le / exported on : {now}
Fichiers / files : {files} ({purged} purgés / purged)

Vérifier tout l'export en une commande (Python 3.8+, bibliothèque standard seule, aucun paquet à installer) :
Verify the whole export in one command (Python 3.8+, standard library only, nothing to install):

    python3 verify.py              (dans le dossier décompressé / in the unpacked folder)
    python3 verify.py export.zip   (sans décompresser / without unpacking)

Code de sortie 0 : chaque fichier est le document archivé, intact, horodaté et scellé dans le journal ;
aucun fichier ne manque ni n'a été ajouté. 1 : au moins un contrôle a échoué (le résumé dit lequel).
Exit status 0: every file is the archived document, untouched, time-stamped and sealed in the journal;
no file is missing or added. 1: at least one check failed (the summary says which).

documents/        les fichiers archivés, déchiffrés, octet pour octet / the archived files, byte for byte
proofs/           une preuve par fichier / one proof bundle per file
manifest.csv      numéro, date, client, montants, SHA-256 / number, date, customer, amounts, SHA-256
journal.jsonl     le journal chaîné / the hash-chained journal
checkpoints.jsonl les points de contrôle signés et horodatés / the signed, time-stamped checkpoints
operator-public-key.pem  clé publique de l'opérateur / operator public key (id {key_id})
tsa-chain.pem     certificats de l'autorité d'horodatage / time-stamp authority certificates
export.json       inventaire et empreintes / inventory and fingerprints

Comparez l'identifiant de clé de l'opérateur et l'empreinte de l'autorité d'horodatage avec ceux qu'il publie
(ou épinglez-les : --operator-key CLE.pem --tsa-root RACINE.pem).
Compare the operator key id and the TSA fingerprint with the ones your operator publishes
(or pin them: --operator-key KEY.pem --tsa-root ROOT.pem).
"""


@dataclass(frozen=True, slots=True)
class FullExport:
    path: Path
    files: int
    purged: int
    bytes: int
    sha256: str


class _Hashing:
    """Writes to a ZIP member and hashes what it writes."""

    def __init__(self, handle):
        self.handle, self.hash = handle, hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.hash.update(data)
        self.handle.write(data)


def _certificates(token: bytes, found: dict[str, bytes]) -> None:
    from asn1crypto import cms

    signed = cms.ContentInfo.load(token)["content"]
    for choice in signed["certificates"] or []:
        der = choice.chosen.dump()
        found.setdefault(hashlib.sha256(der).hexdigest(), der)


def _pem(der: bytes) -> str:
    import textwrap

    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64)) + \
        "\n-----END CERTIFICATE-----\n"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def full_export(*, organisation, out: Path) -> FullExport:
    """Seal the journal, then write the whole archive of `organisation` to `out` (atomically renamed)."""
    import zipfile

    from facturier.archive.services import checkpoint_seal
    from facturier.engine.archive.verify_export import __file__ as verifier_file

    checkpoint_seal(organisation)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    periods = _Periods(organisation)
    operator = operator_key()
    certificates: dict[str, bytes] = {}
    files = purged = total = rows = 0
    seen: set[str] = set()
    digests: dict[str, str] = {}
    tmp = out.with_name(f".{out.name}.part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        manifest_text = io.StringIO()
        with tempfile.TemporaryFile() as spool:
            manifest = _Hashing(spool)
            manifest.write("\ufeff".encode())
            writer = csv.writer(manifest_text)
            writer.writerow(MANIFEST_COLUMNS)
            entries = archive_entries(organisation=organisation).select_related("document", "customer")
            for entry in entries.iterator(chunk_size=500):
                folder = _safe(entry.document_number or entry.reference)
                name = _safe(entry.filename)
                file_path = f"documents/{folder}/{name}"
                if file_path in seen:
                    file_path = f"documents/{folder}/{entry.journal_seq}-{name}"
                seen.add(file_path)
                proof_path = "proofs/" + file_path.removeprefix("documents/") + ".proof.json"
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
                    bundle = proof_bundle(entry, periods=periods, name=name)
                    archive.writestr(proof_path, bundle.to_json())
                    token = bytes(entry.timestamp_token)
                    if token and len(certificates) < 20:
                        _certificates(token, certificates)
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
                    entry.timestamped_at.isoformat(), entry.archived_at.isoformat(),
                    entry.retention_until.isoformat(), entry.journal_seq, proof_path, status,
                ])
                rows += 1
                manifest.write(manifest_text.getvalue().encode())
                manifest_text.seek(0)
                manifest_text.truncate()
            manifest.write(manifest_text.getvalue().encode())
            spool.seek(0)
            with archive.open("manifest.csv", "w", force_zip64=True) as raw:
                shutil.copyfileobj(spool, raw, 1 << 16)
        manifest_sha256 = manifest.hash.hexdigest()

        with archive.open("journal.jsonl", "w", force_zip64=True) as raw:
            journal = _Hashing(raw)
            for record in journal_entries(organisation):
                journal.write(json.dumps(record.to_dict(), ensure_ascii=False, sort_keys=True).encode() + b"\n")
        digests["journal.jsonl"] = journal.hash.hexdigest()

        with archive.open("checkpoints.jsonl", "w", force_zip64=True) as raw:
            sealed = _Hashing(raw)
            for checkpoint in Checkpoint.objects.filter(organisation=organisation).order_by("number").iterator():
                _certificates(base64.b64decode(checkpoint.timestamp_token), certificates)
                sealed.write(json.dumps(checkpoint.sealed().to_dict(), sort_keys=True).encode() + b"\n")
        digests["checkpoints.jsonl"] = sealed.hash.hexdigest()

        for name, content in (("operator-public-key.pem", operator.public_pem().encode()),
                              ("tsa-chain.pem", "".join(_pem(der) for der in certificates.values()).encode())):
            archive.writestr(name, content)
            digests[name] = hashlib.sha256(content).hexdigest()

        now = timezone.now().isoformat(timespec="seconds")
        archive.writestr("export.json", json.dumps({
            "format": EXPORT_FORMAT, "organisation": organisation.name, "slug": organisation.slug,
            "exported_at": now, "manifest_rows": rows, "manifest_sha256": manifest_sha256, "files_archived": files,
            "files_purged": purged, "files": digests}, indent=2, sort_keys=True))
        archive.writestr("verify.py", Path(verifier_file).read_bytes())
        from facturier.engine.archive.verify_standalone import key_id

        archive.writestr("README.txt", README.format(name=organisation.name, slug=organisation.slug, now=now,
                                                     files=files, purged=purged, key_id=key_id(operator.public_key)))
    tmp.replace(out)
    return FullExport(path=out, files=files, purged=purged, bytes=total, sha256=file_sha256(out))
