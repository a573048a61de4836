"""`facturier accounting`: transfer a period to accounting, export it (FEC or CSV), cancel or close a transfer.

    facturier accounting transfer --org acme --from 2026-01-01 --to 2026-12-31 [--as owner@acme.test]
    facturier accounting export --org acme --from 2026-01-01 --to 2026-12-31 [--format fec|sage|ebp|journal] [-o DIR]
    facturier accounting cancel --org acme --transfer 12

The command acts as the member given by --as (by default the organisation's first active owner),
through the same services as the screens and the API. A FEC that fails our checker is not written:
the command prints the problems and exits with status 1.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from facturier.accounting.exports import export
from facturier.accounting.services import transfer_cancel, transfer_close, transfer_run
from facturier.accounts.models import Membership, Role
from facturier.errors import FacturierError


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text}") from None


class Command(BaseCommand):
    help = "Transfer to accounting, export the FEC or a CSV, cancel or close a transfer."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("transfer", "export", "cancel", "close"):
            p = sub.add_parser(name)
            p.add_argument("--org", required=True, help="the organisation's slug")
            p.add_argument("--as", dest="member", help="e-mail of the member who acts (default: an owner)")
            if name in ("transfer", "export"):
                p.add_argument("--from", dest="start", required=True, type=_date)
                p.add_argument("--to", dest="end", required=True, type=_date)
            if name == "export":
                p.add_argument("--format", default="fec", choices=["fec", "sage", "ebp", "journal"])
                p.add_argument("-o", "--output", default=".", help="directory of the file")
            if name in ("cancel", "close"):
                p.add_argument("--transfer", type=int, required=True)

    def handle(self, *args, action, org, member=None, **options):
        members = Membership.objects.filter(organisation__slug=org, is_active=True).select_related("organisation")
        by = (members.filter(user__email=member) if member else members.filter(role=Role.OWNER)).order_by("pk").first()
        if by is None:
            raise CommandError(f"no active member {'“' + member + '” ' if member else 'owner '}in “{org}”")
        try:
            if action == "transfer":
                t = transfer_run(by=by, start=options["start"], end=options["end"],
                                 progress=lambda phase, done, total: self.stderr.write(f"\r{phase}: {done}/{total}",
                                                                                      ending=""))
                self.stderr.write("")
                self.stdout.write(f"transfer {t.pk}: {t.documents_count} documents, {t.payments_count} payments, "
                                  f"{t.entries_count} entries, debit = credit = {t.total_debit}")
            elif action == "export":
                out = export(by.organisation, start=options["start"], end=options["end"], fmt=options["format"])
                if out.problems:
                    for problem in out.problems:
                        self.stderr.write(problem)
                    raise CommandError("the FEC fails the checker: not written")
                path = Path(options["output"]) / out.name
                with path.open("wb") as f:
                    for chunk in out.chunks():
                        f.write(chunk)
                self.stdout.write(str(path))
            elif action == "cancel":
                self.stdout.write(f"transfer {transfer_cancel(by=by, transfer_id=options['transfer']).pk} cancelled")
            else:
                self.stdout.write(f"transfer {transfer_close(by=by, transfer_id=options['transfer']).pk} closed")
        except FacturierError as e:
            raise CommandError(e.message) from None
