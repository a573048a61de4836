"""`facturier einvoice`: validate, convert, extract and inspect e-invoices (XML or Factur-X PDF);
`validate` also judges CDAR life-cycle messages.

Every subcommand only translates between the command line and the engine; it needs no
database. Exit status: 0 on success (for `validate`, only when every file is valid; for
`convert`, only when the output passes the official rules), 1 when a file is invalid,
cannot be read or cannot be converted, 2 on a usage error.

Every file is read within the limits of `facturier.engine.xml.Limits` (options
--max-bytes, --max-lines, --max-text): its size is taken from the file system before a
byte is read.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from facturier.engine.errors import ConversionRefused, EngineError
from facturier.engine.xml import Limits, read_bounded

PDF_MAGIC = b"%PDF-"
SHOWN_CHARS = 80
"""Longest text `inspect` prints of one field: a summary, never megabytes."""


def _language() -> str:
    return (translation.get_language() or "fr")[:2]


def _read(path: str, limits: Limits) -> bytes:
    try:
        return read_bounded(path, max_bytes=limits.max_bytes)
    except OSError as e:
        raise CommandError(f"{path}: {e.strerror}") from None


def xml_of(data: bytes, limits: Limits | None = None) -> tuple[bytes, str | None]:
    """The invoice XML of a file: itself, or the attachment of a Factur-X / ZUGFeRD PDF."""
    if data.lstrip()[:5] == PDF_MAGIC:
        from facturier.engine.facturx.unpack import unpack_facturx

        attachment = unpack_facturx(data, max_bytes=(limits or Limits()).max_bytes)
        return attachment.xml, attachment.filename
    return data, None


def _is_cdar(data: bytes) -> bool:
    """Whether the XML's root element is a CDAR life-cycle message (read up to the root only)."""
    from lxml import etree

    from facturier.engine.cdar.parse import ROOT_TAG

    events = etree.iterparse(io.BytesIO(data), events=("start",), resolve_entities=False, no_network=True,
                             load_dtd=False)
    try:
        _event, root = next(events)
    except (etree.XMLSyntaxError, StopIteration):
        return False  # the invoice validator says why it cannot be read
    return root.tag == ROOT_TAG


def judge(data: bytes, *, french: bool, limits: Limits):
    """The verdict on one file: its XML by the official rules and, for a PDF, its Factur-X container;
    a CDAR life-cycle message by the CDAR D22B XSD (when the specifications folder is there) and BR-FR-CDV."""
    from facturier.engine.validation import validate

    if data.lstrip()[:5] != PDF_MAGIC:
        if _is_cdar(data):
            from django.conf import settings

            from facturier.engine import cdar

            return cdar.validate(data, xsd_dir=cdar.xsd_dir_in(settings.SPECS_DIR))
        return validate(data, french=french, limits=limits)
    from facturier.engine.facturx.container import check_container

    container = check_container(data, max_bytes=limits.max_bytes)
    try:
        xml, _name = xml_of(data, limits)
    except EngineError:
        if container.passed:
            raise
        return container  # its findings say why the XML cannot be read (encrypted, no invoice attached…)
    return container.merge(validate(xml, french=french, limits=limits))


def read_model(xml: bytes, limits: Limits | None = None):
    from facturier.engine.cii.read import read_cii
    from facturier.engine.ubl.read import read_ubl
    from facturier.engine.xml import detect, parse_xml

    root = parse_xml(xml, limits=limits or Limits())
    kind = detect(root)
    return (read_cii(root) if kind.syntax == "cii" else read_ubl(root)), kind


def _limits(options: dict) -> Limits:
    return Limits(max_bytes=options["max_bytes"], max_lines=options["max_lines"],
                  max_text_chars=options["max_text"])


def _short(value: object, width: int = SHOWN_CHARS) -> str:
    text = " ".join(str(value).split()) if value is not None else "—"
    return text if len(text) <= width else f"{text[: width - 1]}…"


class Command(BaseCommand):
    help = "Validate, convert, extract and inspect e-invoices (CII, UBL, Factur-X)."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, parser_class=type(parser).__mro__[0],
                                    metavar="{validate,convert,extract,inspect}")
        defaults = Limits()
        limits = type(parser)(add_help=False)
        limits.add_argument("--max-bytes", type=int, default=defaults.max_bytes,
                            help=f"largest file accepted, in bytes (default {defaults.max_bytes})")
        limits.add_argument("--max-lines", type=int, default=defaults.max_lines,
                            help=f"most invoice lines accepted (default {defaults.max_lines})")
        limits.add_argument("--max-text", type=int, default=defaults.max_text_chars,
                            help=f"longest text of one element, in characters (default {defaults.max_text_chars})")
        validate = sub.add_parser("validate", parents=[limits],
                                  help="judge XML or Factur-X PDFs; exit 0 only when all are valid")
        validate.add_argument("files", nargs="+")
        validate.add_argument("--fr", action="store_true", help="also apply the French CIUS rules (BR-FR)")
        validate.add_argument("--json", action="store_true", help="print the findings as JSON")
        convert = sub.add_parser("convert", parents=[limits],
                                 help="convert between CII and UBL; the output is judged by the official rules")
        convert.add_argument("input")
        convert.add_argument("output")
        convert.add_argument("--to", choices=["cii", "ubl"], required=True)
        convert.add_argument("--profile", default=None,
                             help="CII: minimum, basicwl, basic, en16931, extended, extended-ctc-fr, xrechnung; "
                                  "UBL: en16931, peppol, fr, extended-ctc-fr, xrechnung, xrechnung-extension "
                                  "(sub-lines as cac:SubInvoiceLine)")
        convert.add_argument("--force", action="store_true",
                             help="write the output even when it loses data or fails the official rules")
        extract = sub.add_parser("extract", parents=[limits], help="extract the XML of a Factur-X / ZUGFeRD PDF")
        extract.add_argument("pdf")
        extract.add_argument("output", nargs="?")
        inspect = sub.add_parser("inspect", parents=[limits], help="a readable summary of an invoice")
        inspect.add_argument("file")

    def handle(self, *args, action: str, **options):
        try:
            return getattr(self, f"do_{action}")(**options)
        except EngineError as e:
            raise CommandError(e.message.in_language(_language()) + (f" ({e.detail})" if e.detail else "")) from None

    def do_validate(self, *, files: list[str], fr: bool, json: bool, **options):
        import json as jsonlib

        limits = _limits(options)
        failed = 0
        results = []
        for path in files:
            try:
                report = judge(_read(path, limits), french=fr, limits=limits)
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

    def do_convert(self, *, input: str, output: str, to: str, profile: str | None, force: bool, **options):
        from facturier.engine.convert import conversion

        limits = _limits(options)
        xml, _name = xml_of(_read(input, limits), limits)
        try:
            result = conversion(xml, to=to, profile=profile, limits=limits, force=force)
        except ConversionRefused as e:
            hint = ("Option --force : écrire le document quand même (il sera invalide)." if _language() == "fr"
                    else "Option --force: write the document anyway (it will be invalid).")
            raise CommandError(f"{input}: {e.message.in_language(_language())}\n{hint}") from None
        Path(output).write_bytes(result.xml)
        lang = _language()
        for warning in result.warnings:
            self.stderr.write(f"{output}: {warning.in_language(lang)}")
        report = result.report
        assert report is not None
        if report.passed:
            verdict = self.style.SUCCESS("valid")
            self.stdout.write(f"{output}: {to.upper()} written, {verdict} ({', '.join(report.checks)})")
            return
        self.stdout.write(f"{output}: {to.upper()} written with --force, {self.style.ERROR('INVALID')} "
                          f"({', '.join(report.checks)})")
        for f in report.fatal:
            self.stdout.write(f"  [{f.severity.value}] {f.rule} {f.xpath or f.path}: {f.message.in_language(lang)}")
        sys.exit(1)

    def do_extract(self, *, pdf: str, output: str | None, **options):
        from facturier.engine.facturx.unpack import unpack_facturx

        limits = _limits(options)
        attachment = unpack_facturx(_read(pdf, limits), max_bytes=limits.max_bytes)
        if output:
            Path(output).write_bytes(attachment.xml)
            self.stdout.write(f"{output}: {attachment.filename} extracted ({len(attachment.xml)} bytes)")
        else:
            sys.stdout.buffer.write(attachment.xml)

    def do_inspect(self, *, file: str, **options):
        limits = _limits(options)
        xml, attached = xml_of(_read(file, limits), limits)
        invoice, kind = read_model(xml, limits)
        t = invoice.totals
        lines = [
            f"{'Factur-X attachment ' + _short(attached) if attached else kind.syntax.upper()} — "
            f"{_short(kind.guideline_id or '')}",
            f"Number {_short(invoice.number)}  type {invoice.type_code}  issued {invoice.issue_date}  "
            f"due {invoice.due_date or '—'}  currency {_short(invoice.currency, 8)}",
            f"Seller {_short(invoice.seller.name)}  VAT {_short(invoice.seller.vat_id, 20)}",
            f"Buyer  {_short(invoice.buyer.name)}  VAT {_short(invoice.buyer.vat_id, 20)}",
            f"{len(invoice.lines)} line(s)",
        ]
        for line in invoice.lines:
            lines.append(f"  {_short(line.id, 8):>4}  {_short(line.item.name, 50):<50} {line.quantity} "
                         f"{_short(line.unit, 8)} × {line.price.net_price} = {line.net_amount}  "
                         f"{_short(line.vat.category, 8)} {line.vat.rate if line.vat.rate is not None else ''}")
        for b in invoice.vat_breakdown:
            lines.append(f"VAT {b.category} {b.rate if b.rate is not None else ''}: "
                         f"{b.taxable_amount} → {b.tax_amount}")
        lines.append(f"Total excl. VAT {t.tax_exclusive}  VAT {t.tax_total}  incl. VAT {t.tax_inclusive}  "
                     f"payable {t.amount_due}")
        self.stdout.write("\n".join(lines))
