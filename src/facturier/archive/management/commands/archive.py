"""`facturier archive checkpoint|verify|export|proof|purge|counters|backfill|rotate-key [--org SLUG]`."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from facturier.accounts.models import Organisation
from facturier.errors import FacturierError


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = "The secure archive: seal checkpoints, verify, export, proofs, purge, counters."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        checkpoint = sub.add_parser("checkpoint", help="seal a checkpoint of each journal (daily)")
        checkpoint.add_argument("--org", help="organisation slug (default: every organisation)")
        verify = sub.add_parser("verify", help="check fingerprints, encryption, time-stamps, chain and checkpoints")
        verify.add_argument("--org", help="organisation slug (default: every organisation)")
        verify.add_argument("--lang", choices=["fr", "en"], default="en")
        export = sub.add_parser("export", help="the archive as a ZIP with proofs and the offline verifier")
        export.add_argument("--org", required=True)
        export.add_argument("--out", required=True, type=Path)
        export.add_argument("--from", dest="start", type=_date)
        export.add_argument("--to", dest="end", type=_date)
        proof = sub.add_parser("proof", help="the proof bundle (JSON) of one document's archived Factur-X")
        proof.add_argument("--org", required=True)
        proof.add_argument("--number", required=True, help="document number, e.g. FA-2026-00001")
        proof.add_argument("--out", type=Path, help="file to write (default: standard output)")
        purge = sub.add_parser("purge", help="crypto-shred files past retention (daily; legal holds are kept)")
        purge.add_argument("--org")
        counters = sub.add_parser("counters", help="documents archived, in total and this subscription period")
        counters.add_argument("--org", required=True)
        backfill = sub.add_parser("backfill", help="archive the issued documents and chain the audit events "
                                                   "not archived yet (from before the archive)")
        backfill.add_argument("--org", required=True)
        rotate = sub.add_parser("rotate-key", help="new data key for an organisation (re-wraps content keys)")
        rotate.add_argument("--org", required=True)

    def _organisations(self, slug: str | None):
        if slug is None:
            return list(Organisation.objects.order_by("slug"))
        try:
            return [Organisation.objects.get(slug=slug)]
        except Organisation.DoesNotExist:
            raise CommandError(f"No organisation with the slug {slug!r}.") from None

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, "do_" + action.replace("-", "_"))(**options)
        except FacturierError as e:
            raise CommandError(e.message) from None

    def do_checkpoint(self, *, org=None, **_):
        from facturier.archive.services import checkpoint_seal

        for organisation in self._organisations(org):
            checkpoint = checkpoint_seal(organisation)
            if checkpoint is None:
                self.stdout.write(f"{organisation.slug}: nothing new to seal")
            else:
                self.stdout.write(f"{organisation.slug}: checkpoint #{checkpoint.number} seals entries "
                                  f"{checkpoint.first_seq}–{checkpoint.last_seq} (root {checkpoint.merkle_root[:16]}…)")

    def do_verify(self, *, org=None, lang="en", **_):
        from facturier.archive.verification import archive_verify

        failed = 0
        for organisation in self._organisations(org):
            started = time.perf_counter()
            report = archive_verify(organisation)
            seconds = time.perf_counter() - started
            if report.ok:
                self.stdout.write(f"{organisation.slug}: OK — {report.entries} journal entries, {report.artefacts} "
                                  f"archived files, {report.checkpoints} checkpoints ({seconds:.1f} s)")
                continue
            failed += 1
            self.stderr.write(f"{organisation.slug}: {len(report.problems)} problem(s) in {report.entries} entries")
            for problem in report.problems:
                text = problem.message.fr if lang == "fr" else problem.message.en
                where = f"seq {problem.seq}" if problem.seq is not None else "journal"
                self.stderr.write(f"  [{problem.code}] {where}: {text}")
        if failed:
            raise CommandError(f"archive verification failed for {failed} organisation(s)")

    def do_export(self, *, org, out: Path, start=None, end=None, **_):
        from facturier.archive.export import archive_export

        organisation = self._organisations(org)[0]
        started = time.perf_counter()
        result = archive_export(organisation=organisation, out=out, start=start, end=end)
        self.stdout.write(f"{result.files} file(s) exported to {result.path} ({result.purged} purged) in "
                          f"{time.perf_counter() - started:.1f} s")

    def do_proof(self, *, org, number: str, out=None, **_):
        from facturier.archive.export import document_proof
        from facturier.invoicing.models import Document

        organisation = self._organisations(org)[0]
        document = Document.objects.filter(organisation=organisation, number=number).first()
        if document is None:
            raise CommandError(f"{organisation.slug} has no document numbered {number!r}.")
        bundle = document_proof(organisation=organisation, document_id=document.pk)
        if bundle is None:
            raise CommandError(f"{number} is not archived yet.")
        if out:
            Path(out).write_text(bundle.to_json(), encoding="utf-8")
            self.stdout.write(f"proof of {number} written to {out}")
        else:
            self.stdout.write(bundle.to_json())

    def do_purge(self, *, org=None, **_):
        from facturier.archive.services import archive_purge

        total = sum(archive_purge(organisation=o) for o in self._organisations(org))
        self.stdout.write(f"{total} file(s) purged (content keys destroyed, tombstones journalled)")

    def do_counters(self, *, org, **_):
        from facturier.archive.selectors import archive_counters

        c = archive_counters(organisation=self._organisations(org)[0])
        self.stdout.write(f"documents archived: {c.total} in total, {c.period} from {c.period_start} to "
                          f"{c.period_end}; {c.files} files, {c.bytes} bytes")

    def do_backfill(self, *, org, **_):
        from facturier.archive.services import archive_document, journal_backfill_audit
        from facturier.invoicing.models import Document, State

        organisation = self._organisations(org)[0]
        events = journal_backfill_audit(organisation)
        ids = (Document.objects.filter(organisation=organisation).exclude(state=State.DRAFT)
               .order_by("issue_date", "number_value").values_list("pk", flat=True))
        with translation.override("en"):
            for pk in ids:
                archive_document(pk)
        self.stdout.write(f"{len(ids)} issued document(s) archived or already archived; {events} audit event(s) "
                          "chained")

    def do_rotate_key(self, *, org, **_):
        from facturier.archive.keys import data_key_rotate

        key = data_key_rotate(self._organisations(org)[0])
        self.stdout.write(f"{org}: data key version {key.version} in use; content keys re-wrapped")
