"""`facturier delivery {test|flush|bounces|postal} --org SLUG`: the e-mail channel from the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from facturier.accounts.models import Organisation
from facturier.errors import FacturierError


class Command(BaseCommand):
    help = "E-mail delivery: test the mail server, send the outbox, read bounces, print the postal batch."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("showcase", help="the whole e-mail flow on an organisation, against a local mail "
                                                "catcher: consent campaign, a batch, a bounce corrected, one by post")
        show.add_argument("--org", required=True, help="organisation slug (e.g. demo)")
        show.add_argument("--invoices", type=int, default=50, help="how many invoices to issue and send")
        show.add_argument("--out", type=Path, required=True, help="folder for the caught messages and PDFs")
        for name, text in (("test", "connect and authenticate to the organisation's mail server"),
                           ("flush", "send the messages that are due"),
                           ("bounces", "read the bounce mailbox"),
                           ("postal", "move expired bounces to post and write the day's postal batch")):
            p = sub.add_parser(name, help=text)
            p.add_argument("--org", required=True, help="organisation slug")
            if name == "postal":
                p.add_argument("--date", type=dt.date.fromisoformat, default=None)
                p.add_argument("--out", type=Path, default=None, help="where to write the PDF")

    def handle(self, *args, action: str, org: str, **options):
        try:
            organisation = Organisation.objects.get(slug=org)
        except Organisation.DoesNotExist:
            raise CommandError(f"No organisation with the slug {org!r}.") from None
        try:
            getattr(self, f"_{action}")(organisation, **options)
        except FacturierError as e:
            raise CommandError(e.message) from None

    def _showcase(self, organisation, invoices: int, out: Path, **options):
        from facturier.delivery.showcase import showcase

        for line in showcase(organisation=organisation, invoices=invoices, out=out):
            self.stdout.write(line)

    def _test(self, organisation, **options):
        from facturier.delivery import smtp
        from facturier.delivery.services import settings_of, smtp_endpoint

        try:
            smtp.close(smtp.connect(smtp_endpoint(settings_of(organisation))))
        except smtp.MailError as e:
            raise CommandError(e.message) from None
        self.stdout.write("OK")

    def _flush(self, organisation, **options):
        from facturier.delivery.outbox import outbox_flush

        report = outbox_flush(organisation_id=organisation.pk)
        self.stdout.write(f"sent {report.sent}, rescheduled {report.rescheduled}, failed {report.failed}")
        for error in dict.fromkeys(report.errors):
            self.stderr.write(error)

    def _bounces(self, organisation, **options):
        from facturier.delivery.bounces import bounces_fetch

        result = bounces_fetch(organisation_id=organisation.pk)
        self.stdout.write(f"read {result.read}, bounced {len(result.bounced)}, receipts {len(result.receipts)}, "
                          f"unmatched {result.unmatched}")
        for error in result.errors:
            self.stderr.write(error)

    def _postal(self, organisation, date=None, out=None, **options):
        from django.utils import timezone

        from facturier.delivery.postal import postal_batch_pdf, postal_fallback

        day = date or timezone.localdate()
        moved = postal_fallback(organisation_id=organisation.pk, today=day)
        pdf = postal_batch_pdf(organisation=organisation, day=day)
        if pdf is None:
            self.stdout.write(f"no postal batch for {day.isoformat()}")
            return
        target = out or Path(f"postal-{organisation.slug}-{day.isoformat()}.pdf")
        target.write_bytes(pdf)
        self.stdout.write(f"{len(moved)} moved to post; batch written to {target}")
