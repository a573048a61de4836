"""Where encrypted blobs live: the data directory by default, S3-compatible storage at scale.

Both backends are Django storages (`STORAGES["archive"]`) with three extra verbs the archive
uses: `put` (write once, with a retention date), `get` and `discard`. Blobs are encrypted
before they get here; the storage never sees a key or a plaintext.

On S3, when the bucket has Object Lock enabled, every blob is written with a COMPLIANCE
retention until its `retention_until`: nobody, not even the account's root, can delete or
overwrite it earlier. Purge then only destroys the content key (crypto-shredding); the
locked ciphertext expires with its lock.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages
from django.utils.deconstruct import deconstructible

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


@deconstructible
class ArchiveFileStorage(FileSystemStorage):
    """Blobs under DATA_DIR/archive/<org-slug>/…, written once, read-only on disk."""

    def __init__(self, location: str | None = None, **kwargs):
        super().__init__(location=location or str(Path(settings.DATA_DIR) / "archive"),
                         file_permissions_mode=0o440, directory_permissions_mode=0o750, **kwargs)

    object_lock = False

    def put(self, name: str, data: bytes, *, retain_until: dt.date) -> str:
        """Write the blob under its final name, created exclusively, and flush it to disk before returning.

        No temporary file and rename: names end with the blob's SHA-256, so no two writers
        share one, and the caller commits the row naming the blob only after this returns —
        a file cut short by a crash is named by no committed row. The fsync is what makes
        "committed" imply "on disk"; it is most of the cost of an ingest on a slow disk.
        """
        path = self.path(name)
        try:
            fd = os.open(path, _CREATE, 0o440)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(path), mode=0o750, exist_ok=True)
            fd = os.open(path, _CREATE, 0o440)
        try:
            os.fchmod(fd, 0o440)  # whatever the umask
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            Path(path).unlink(missing_ok=True)
            raise
        os.close(fd)
        return name

    def get(self, name: str) -> bytes:
        return Path(self.path(name)).read_bytes()

    def discard(self, name: str) -> bool:
        try:
            Path(self.path(name)).unlink()
        except FileNotFoundError:
            return False
        return True


def __getattr__(name: str):
    # The S3 backend lives in `storage_s3` (boto3 and botocore, ≈ 12 MB resident, loaded only when the
    # archive is configured for S3); `STORAGES["archive"]` still names it here.
    if name == "ArchiveS3Storage":
        from facturier.archive.storage_s3 import ArchiveS3Storage

        return ArchiveS3Storage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def archive_storage():
    """The configured archive storage (`STORAGES["archive"]`), the data directory when none is set."""
    try:
        return storages["archive"]
    except Exception:  # noqa: BLE001 - InvalidStorageError when the alias is not configured
        return ArchiveFileStorage()


def put_blob(name: str, data: bytes, *, retain_until: dt.date) -> str:
    storage = archive_storage()
    if hasattr(storage, "put"):
        return storage.put(name, data, retain_until=retain_until)
    return storage.save(name, ContentFile(data))


def get_blob(name: str) -> bytes:
    storage = archive_storage()
    if hasattr(storage, "get"):
        return storage.get(name)
    with storage.open(name, "rb") as handle:
        return handle.read()


def discard_blob(name: str) -> bool:
    storage = archive_storage()
    if hasattr(storage, "discard"):
        return storage.discard(name)
    storage.delete(name)
    return True
