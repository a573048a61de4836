"""The archive on an S3-compatible bucket (`facturier.archive.storage.ArchiveS3Storage`), in a module of
its own so that boto3 is imported only when the archive is configured for S3."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

from django.utils.deconstruct import deconstructible
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


@deconstructible
class ArchiveS3Storage(S3Storage):
    """S3-compatible storage; sets a COMPLIANCE Object Lock retention when the bucket supports it.

    `object_lock`: "auto" (ask the bucket once), "on" (require it: fail loudly otherwise) or "off".
    """

    def __init__(self, *, object_lock: str = "auto", **kwargs):
        kwargs.setdefault("file_overwrite", False)
        super().__init__(**kwargs)
        self.object_lock_mode = object_lock
        self._lock_enabled: bool | None = None

    @property
    def client(self):
        return self.connection.meta.client

    @property
    def object_lock(self) -> bool:
        if self._lock_enabled is None:
            if self.object_lock_mode == "off":
                self._lock_enabled = False
            else:
                from botocore.exceptions import ClientError

                try:
                    config = self.client.get_object_lock_configuration(Bucket=self.bucket_name)
                    enabled = config.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"
                except ClientError:
                    enabled = False
                if self.object_lock_mode == "on" and not enabled:
                    from django.core.exceptions import ImproperlyConfigured

                    raise ImproperlyConfigured(
                        f"FACTURIER_ARCHIVE_S3_OBJECT_LOCK=on but the bucket {self.bucket_name!r} has no Object Lock.")
                self._lock_enabled = enabled
        return self._lock_enabled

    def put(self, name: str, data: bytes, *, retain_until: dt.date) -> str:
        key = self._normalize_name(clean_name(name))
        params = {"Bucket": self.bucket_name, "Key": key, "Body": data,
                  "ContentType": "application/octet-stream",
                  "ContentMD5": base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()}
        if self.object_lock:
            params["ObjectLockMode"] = "COMPLIANCE"
            params["ObjectLockRetainUntilDate"] = dt.datetime.combine(retain_until, dt.time(), tzinfo=dt.UTC)
        self.client.put_object(**params)
        return name

    def get(self, name: str) -> bytes:
        key = self._normalize_name(clean_name(name))
        return self.client.get_object(Bucket=self.bucket_name, Key=key)["Body"].read()

    def discard(self, name: str) -> bool:
        """Best effort: a locked object stays until its retention ends (its key is already destroyed)."""
        from botocore.exceptions import ClientError

        try:
            self.delete(name)
        except ClientError:
            return False
        return True
