"""`facturier accounting`: transfer a period and write a FEC that passes the checker."""

import pytest
from django.core.management import CommandError, call_command

from facturier.accounting import fec_check
from facturier.accounting.services import settings_save

pytestmark = pytest.mark.django_db


def test_command_transfers_and_exports(owner, issued, tmp_path, capsys):
    with pytest.raises(CommandError, match="Set up the accounting"):
        call_command("accounting", "transfer", "--org", "acme", "--from", "2026-01-01", "--to", "2026-12-31")
    settings_save(by=owner, values={})
    call_command("accounting", "transfer", "--org", "acme", "--from", "2026-01-01", "--to", "2026-12-31")
    assert "1 documents" in capsys.readouterr().out
    call_command("accounting", "export", "--org", "acme", "--from", "2026-01-01", "--to", "2026-12-31",
                 "-o", str(tmp_path))
    path = tmp_path / "884123456FEC20261231.txt"
    assert fec_check.check(path.read_text().splitlines()) == []
