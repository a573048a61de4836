"""What a transfer sends: the document in the receiver's format, converted by the engine without
altering its data and judged by the official rules before it leaves, under a safe file name."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from facturier.errors import FacturierError
from facturier.invoicing.models import Document
from facturier.parties.models import FileFormat


class FileRefused(FacturierError):
    """The file cannot be made valid for this receiver: it is not sent, and the transfer says why."""

    code = "file_refused"


class BadPattern(FacturierError):
    code = "bad_file_name_pattern"


@dataclass(frozen=True, slots=True)
class Target:
    syntax: str  # "pdf", "cii" or "ubl"
    profile: str | None = None
    french: bool = False
    ext: str = "xml"
    mime: str = "application/xml"


TARGETS = {
    FileFormat.FACTURX: Target("pdf", ext="pdf", mime="application/pdf"),
    FileFormat.CII: Target("cii", "en16931"),
    FileFormat.CII_FR: Target("cii", "en16931", french=True),
    FileFormat.UBL: Target("ubl", "en16931"),
    FileFormat.UBL_PEPPOL: Target("ubl", "peppol"),
    FileFormat.UBL_FR: Target("ubl", "fr", french=True),
    FileFormat.XRECHNUNG_UBL: Target("ubl", "xrechnung"),
    FileFormat.XRECHNUNG_CII: Target("cii", "xrechnung"),
}

PLACEHOLDERS = ("number", "date", "year", "customer_code", "kind", "format", "ext", "id")


@dataclass(frozen=True, slots=True)
class Made:
    name: str
    data: bytes
    mime: str


def make_file(document: Document, file_format: str, pattern: str) -> Made:
    """The file of `document` in `file_format`, named by `pattern`; raises FileRefused with the reasons
    when the engine refuses the adaptation or the output fails the official rules."""
    target = TARGETS[FileFormat(file_format)]
    if target.syntax == "pdf":
        from facturier.documents.services import facturx_of

        data = facturx_of(document).data
    else:
        data = _adapted(document, target)
    return Made(file_name(pattern, document, file_format), data, target.mime)


def _adapted(document: Document, target: Target) -> bytes:
    """The document's own CII (`document_xml`), converted by the engine (never from the database directly), so
    the adaptation carries exactly the issued data: a conversion that would drop or change data, or an
    output that fails the rules, is refused (`ConversionRefused`) and nothing is sent."""
    from facturier.documents.services import document_xml
    from facturier.engine.convert import conversion
    from facturier.engine.errors import EngineError
    from facturier.engine.validation import validate

    language = get_language() or "fr"
    source = document_xml(document, "cii")  # an imported document's: the XML received
    try:
        done = conversion(source, to=target.syntax, profile=target.profile, validate_output=False)
        if done.warnings:  # data the target would not carry: it would not be the same invoice any more
            raise FileRefused(_("The file cannot be made in this format without losing data: %(reason)s"),
                              reason=" ".join(w.in_language(language) for w in done.warnings))
        report = validate(done.xml, french=target.french)
    except EngineError as e:
        raise FileRefused(_("The file cannot be made in this format: %(reason)s"),
                          reason=e.message.in_language(language))
    if not report.passed:
        reasons = [f"{f.rule}: {f.message.in_language(language)}" for f in report.fatal]
        reasons += [n.reason.in_language(language) for n in report.not_run]
        raise FileRefused(_("The file fails the official rules of this format, so it is not sent: %(reason)s"),
                          reason=" — ".join(reasons))
    return done.xml


def check_pattern(pattern: str) -> None:
    """Only the known placeholders, and something that names a file."""
    try:
        names = [field for _text, field, _spec, _conv in string.Formatter().parse(pattern) if field is not None]
    except ValueError:
        raise BadPattern(_("The file name pattern has an unbalanced brace."))
    unknown = [n for n in names if n not in PLACEHOLDERS]
    if unknown:
        raise BadPattern(_("Unknown placeholder %(names)s; use %(known)s."),
                         names=", ".join("{" + n + "}" for n in unknown),
                         known=", ".join("{" + n + "}" for n in PLACEHOLDERS))
    if not pattern.strip():
        raise BadPattern(_("The file name pattern is empty."))


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str) -> str:
    """A plain file name: letters, digits, dot, dash, underscore; never a path, never hidden, never empty."""
    parts = [p for p in re.split(r"[/\\]+", name) if p.strip(". ")]  # no "." or ".." segment survives
    name = _UNSAFE.sub("_", "_".join(parts))
    name = re.sub(r"\.{2,}", ".", name).strip("._") or "document"
    return name[:200]


def file_name(pattern: str, document: Document, file_format: str) -> str:
    from facturier.documents.services import KIND_LABELS

    target = TARGETS[FileFormat(file_format)]
    values = {
        "number": document.number or f"draft-{document.pk}", "id": document.pk,
        "date": document.issue_date.isoformat() if document.issue_date else "",
        "year": document.issue_date.year if document.issue_date else "",
        "customer_code": document.customer.code, "kind": KIND_LABELS.get(document.kind, document.kind),
        "format": file_format, "ext": target.ext,
    }
    try:
        return safe_name(pattern.format_map(values))
    except (KeyError, ValueError, IndexError, AttributeError):
        return safe_name(f"{values['number']}.{target.ext}")
