"""Two imports of the same files at the same moment (two members uploading the same ZIP): each invoice is
imported once, the other upload reports duplicates — the series lock and the unique constraints hold."""

from __future__ import annotations

import threading

import pytest
from import_helpers import CII_EXAMPLES, as_seller

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_files_uploaded_twice_at_once_are_imported_once(org):
    from django.db import connection

    from facturier.imports.services import IncomingFile, import_files
    from facturier.invoicing.models import IMPORTED_SERIES_CODE, Document

    files = [IncomingFile(f"{i}.xml", as_seller(CII_EXAMPLES[1].read_bytes(), number=f"CC-{i}")) for i in range(6)]
    start, batches, errors = threading.Barrier(2), [], []

    def upload():
        try:
            start.wait()
            batches.append(import_files(organisation=org, files=files, source="upload", by=org.owner))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(b.imported_count for b in batches) == 6 and sum(b.duplicate_count for b in batches) == 6
    numbers = list(Document.objects.filter(organisation=org, series__code=IMPORTED_SERIES_CODE)
                   .values_list("number", flat=True))
    assert sorted(numbers) == [f"CC-{i}" for i in range(6)]
