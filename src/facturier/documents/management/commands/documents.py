"""`facturier documents export --org SLUG [--from DATE --to DATE] [--signed] --out DIR`."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from facturier.accounts.models import Organisation
from facturier.documents.batch import batch_create, batch_run, issued_between
from facturier.errors import FacturierError


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = "Export issued documents as Factur-X PDFs (one file per document) into a folder."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write one Factur-X PDF per issued document")
        export.add_argument("--org", required=True, help="organisation slug")
        export.add_argument("--from", dest="start", type=_date)
        export.add_argument("--to", dest="end", type=_date)
        export.add_argument("--signed", action="store_true", help="seal each file (PAdES)")
        export.add_argument("--out", required=True, type=Path)

    def handle(self, *args, action: str, org: str, start, end, signed: bool, out: Path, **options):
        try:
            organisation = Organisation.objects.get(slug=org)
        except Organisation.DoesNotExist:
            raise CommandError(f"No organisation with the slug {org!r}.") from None
        started = time.perf_counter()
        try:
            job = batch_create(
                by=None, organisation=organisation, document_ids=issued_between(organisation, start, end), signed=signed
            )
            job = batch_run(job.pk, out=out)
        except FacturierError as e:
            raise CommandError(e.message) from None
        for error in job.errors:
            self.stderr.write(f"{error['document']}: {error['error']}")
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"{job.done} Factur-X file(s){' sealed' if signed else ''} written to {out} "
            f"({job.failed} failed) in {seconds:.1f} s; ZIP: {job.zip_path}"
        )
        if job.failed:
            raise CommandError(f"{job.failed} document(s) could not be produced.")
