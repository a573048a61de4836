"""Every file a connector emits passes the official referee (French CIUS rules for the French formats)."""

from __future__ import annotations

import pytest

from facturier.delivery.connectors.files import make_file

pytestmark = pytest.mark.django_db


def test_connector_files_pass_the_referee(issued, tmp_path, referee):
    files = {}
    for file_format in ("facturx", "cii", "cii_fr", "ubl", "ubl_fr"):
        made = make_file(issued, file_format, "{number}-{format}.{ext}")
        path = tmp_path / made.name
        path.write_bytes(made.data)
        files[str(path)] = file_format
    plain = referee([p for p, f in files.items() if not f.endswith("_fr")])
    french = referee([p for p, f in files.items() if f.endswith("_fr") or f == "facturx"], "--fr")
    failures = {p: referee.fatal_findings(v) for p, v in {**plain, **french}.items() if not v["passed"]}
    assert failures == {}
