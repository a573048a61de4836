"""`facturier einvoice`: validate, convert, extract and inspect e-invoices (XML or Factur-X PDF).

Every subcommand only translates between the command line and the engine; it needs no
database. Exit status: 0 on success (for `validate`, only when every file is valid), 1 when
a file is invalid or cannot be read, 2 on a usage error.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from facturier.engine.errors import EngineError

PDF_MAGIC = b"%PDF-"


def _language() -> str:
    return (translation.get_language() or "fr")[:2]


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise CommandError(f"{path}: {e.strerror}") from None


def xml_of(data: bytes) -> tuple[bytes, str | None]:
    """The invoice XML of a file: itself, or the attachment of a Factur-X / ZUGFeRD PDF."""
    if data.lstrip()[:5] == PDF_MAGIC:
        from facturier.engine.facturx.unpack import unpack_facturx

        attachment = unpack_facturx(data)
        return attachment.xml, attachment.filename
    return data, None


def judge(data: bytes, *, french: bool):
    """The verdict on one file: its XML by the official rules and, for a PDF, its Factur-X container."""
    from facturier.engine.validation import validate

    if data.lstrip()[:5] != PDF_MAGIC:
        return validate(data, french=french)
    from facturier.engine.facturx.container import check_container

    container = check_container(data)
    try:
        xml, _name = xml_of(data)
    except EngineError:
        if container.passed:
            raise
        return container  # its findings say why the XML cannot be read (encrypted, no invoice attached…)
    return container.merge(validate(xml, french=french))


def read_model(xml: bytes):
    from facturier.engine.cii.read import read_cii
    from facturier.engine.ubl.read import read_ubl
    from facturier.engine.xml import detect, parse_xml

    root = parse_xml(xml)
    kind = detect(root)
    return (read_cii(root) if kind.syntax == "cii" else read_ubl(root)), kind


class Command(BaseCommand):
    help = "Validate, convert, extract and inspect e-invoices (CII, UBL, Factur-X)."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, parser_class=type(parser).__mro__[0],
                                    metavar="{validate,convert,extract,inspect}")
        validate = sub.add_parser("validate", help="judge XML or Factur-X PDFs; exit 0 only when all are valid")
        validate.add_argument("files", nargs="+")
        validate.add_argument("--fr", action="store_true", help="also apply the French CIUS rules (BR-FR)")
        validate.add_argument("--json", action="store_true", help="print the findings as JSON")
        convert = sub.add_parser("convert", help="convert between CII and UBL")
        convert.add_argument("input")
        convert.add_argument("output")
        convert.add_argument("--to", choices=["cii", "ubl"], required=True)
        convert.add_argument("--profile", default=None,
                             help="CII: minimum, basicwl, basic, en16931, extended, extended-ctc-fr; "
                                  "UBL: en16931, peppol, fr")
        extract = sub.add_parser("extract", help="extract the XML of a Factur-X / ZUGFeRD PDF")
        extract.add_argument("pdf")
        extract.add_argument("output", nargs="?")
        inspect = sub.add_parser("inspect", help="a readable summary of an invoice")
        inspect.add_argument("file")

    def handle(self, *args, action: str, **options):
        try:
            return getattr(self, f"do_{action}")(**options)
        except EngineError as e:
            raise CommandError(e.message.in_language(_language()) + (f" ({e.detail})" if e.detail else "")) from None

    def do_validate(self, *, files: list[str], fr: bool, json: bool, **_):
        import json as jsonlib

        failed = 0
        results = []
        for path in files:
            try:
                report = judge(_read(path), french=fr)
            except EngineError as e:
                failed += 1
                results.append({"file": path, "valid": False, "error": e.message.in_language(_language())})
                if not json:
                    self.stderr.write(f"{path}: {e.message.in_language(_language())}")
                continue
            failed += not report.passed
            lang = _language()
            results.append({"file": path, "valid": report.passed, "checks": list(report.checks),
                            "not_run": [n.as_dict(lang) for n in report.not_run],
                            "findings": [f.as_dict(lang) for f in report.findings]})
            if not json:
                verdict = self.style.SUCCESS("valid") if report.passed else self.style.ERROR("INVALID")
                self.stdout.write(f"{path}: {verdict}")
                self.stdout.write(f"  rules run: {', '.join(report.checks)}")
                for n in report.not_run:
                    self.stdout.write(f"  could not run: {n.check} — {n.reason.in_language(lang)}")
                for f in report.findings:
                    self.stdout.write(f"  [{f.severity.value}] {f.rule} {f.xpath or f.path}: "
                                      f"{f.message.in_language(lang)}")
        if json:
            self.stdout.write(jsonlib.dumps(results, ensure_ascii=False, indent=2))
        if failed:
            sys.exit(1)

    def do_convert(self, *, input: str, output: str, to: str, profile: str | None, **_):
        from facturier.engine.convert import convert

        xml, _name = xml_of(_read(input))
        Path(output).write_bytes(convert(xml, to=to, profile=profile))
        self.stdout.write(f"{output}: {to.upper()} written")

    def do_extract(self, *, pdf: str, output: str | None, **_):
        from facturier.engine.facturx.unpack import unpack_facturx

        attachment = unpack_facturx(_read(pdf))
        if output:
            Path(output).write_bytes(attachment.xml)
            self.stdout.write(f"{output}: {attachment.filename} extracted ({len(attachment.xml)} bytes)")
        else:
            sys.stdout.buffer.write(attachment.xml)

    def do_inspect(self, *, file: str, **_):
        xml, attached = xml_of(_read(file))
        invoice, kind = read_model(xml)
        t = invoice.totals
        lines = [
            f"{'Factur-X attachment ' + attached if attached else kind.syntax.upper()} — {kind.guideline_id or ''}",
            f"Number {invoice.number}  type {invoice.type_code}  issued {invoice.issue_date}  "
            f"due {invoice.due_date or '—'}  currency {invoice.currency}",
            f"Seller {invoice.seller.name}  VAT {invoice.seller.vat_id or '—'}",
            f"Buyer  {invoice.buyer.name}  VAT {invoice.buyer.vat_id or '—'}",
            f"{len(invoice.lines)} line(s)",
        ]
        for line in invoice.lines:
            lines.append(f"  {line.id:>4}  {line.item.name[:50]:<50} {line.quantity} {line.unit} "
                         f"× {line.price.net_price} = {line.net_amount}  {line.vat.category}"
                         f" {line.vat.rate if line.vat.rate is not None else ''}")
        for b in invoice.vat_breakdown:
            lines.append(f"VAT {b.category} {b.rate if b.rate is not None else ''}: "
                         f"{b.taxable_amount} → {b.tax_amount}")
        lines.append(f"Total excl. VAT {t.tax_exclusive}  VAT {t.tax_total}  incl. VAT {t.tax_inclusive}  "
                     f"payable {t.amount_due}")
        self.stdout.write("\n".join(lines))
