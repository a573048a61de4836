"""The archive on S3-compatible storage (moto's server on loopback), with Object Lock in compliance mode."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.test import override_settings

from facturier.archive.models import ArchiveEntry, ArtefactKind
from facturier.archive.selectors import archived_content
from facturier.archive.storage import archive_storage
from facturier.archive.verification import archive_verify

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "testing")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _bucket(endpoint: str, name: str, *, locked: bool):
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=locked)
    return client


def _storages(endpoint: str, bucket: str, object_lock: str = "auto") -> dict:
    from django.conf import settings

    return {**settings.STORAGES, "archive": {"BACKEND": "facturier.archive.storage.ArchiveS3Storage", "OPTIONS": {
        "bucket_name": bucket, "endpoint_url": endpoint, "region_name": "us-east-1", "access_key": "testing",
        "secret_key": "testing", "object_lock": object_lock}}}


def test_blobs_go_to_s3_under_a_compliance_object_lock_until_their_retention(s3_endpoint, owner, draft,
                                                                              django_capture_on_commit_callbacks, org):
    from facturier.invoicing.services import document_issue

    client = _bucket(s3_endpoint, "archive-locked", locked=True)
    with override_settings(STORAGES=_storages(s3_endpoint, "archive-locked")):
        assert archive_storage().object_lock
        with django_capture_on_commit_callbacks(execute=True):
            document = document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))
        entry = ArchiveEntry.objects.get(document=document, kind=ArtefactKind.FACTURX_PDF)
        stored = client.get_object(Bucket="archive-locked", Key=entry.storage_key)
        assert stored["ObjectLockMode"] == "COMPLIANCE"
        assert stored["ObjectLockRetainUntilDate"].date() == entry.retention_until
        head = client.head_object(Bucket="archive-locked", Key=entry.storage_key)
        assert head["ObjectLockMode"] == "COMPLIANCE"
        assert archived_content(entry).startswith(b"%PDF")
        assert archive_verify(org).ok
        with pytest.raises(Exception, match="AccessDenied|locked|retention|Object Lock"):
            client.delete_object(Bucket="archive-locked", Key=entry.storage_key,
                                 VersionId=stored["VersionId"])


def test_a_bucket_without_object_lock_still_stores(s3_endpoint, archived, org, issue_another):
    client = _bucket(s3_endpoint, "archive-plain", locked=False)
    with override_settings(STORAGES=_storages(s3_endpoint, "archive-plain")):
        assert not archive_storage().object_lock
        document = issue_another()
        entry = ArchiveEntry.objects.get(document=document, kind=ArtefactKind.XML)
        stored = client.get_object(Bucket="archive-plain", Key=entry.storage_key)
        assert "ObjectLockMode" not in stored
        assert archived_content(entry).startswith(b"<?xml")


def test_object_lock_required_but_missing_fails_loudly(s3_endpoint):
    from django.core.exceptions import ImproperlyConfigured

    _bucket(s3_endpoint, "archive-required", locked=False)
    with override_settings(STORAGES=_storages(s3_endpoint, "archive-required", "on")), \
            pytest.raises(ImproperlyConfigured):
        archive_storage().object_lock  # noqa: B018
