"""The one gate of imports: invoices made elsewhere → read, validated, matched, kept as issued documents.

`import_files` is the only way in (upload, API, e-mail). Every rule guarding an import lives
here: the member's right, the size caps, the ZIP caps, the official rules, the seller must be
the organisation, the number must be new in the "imported" series, the same file is never
imported twice, and the duplicate policy. One file is one transaction: a refused file leaves
nothing but its line in the report. The file as received is archived with its fingerprint;
nothing is regenerated.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import LegalProfile, Membership, Organisation, Right
from facturier.accounts.services import require_right, require_writable
from facturier.archive.services import Artefact, Prepared, artefacts_discard, artefacts_prepare, artefacts_record
from facturier.audit.services import audit_record
from facturier.engine.validation import Severity
from facturier.engine.xml import Limits
from facturier.errors import FacturierError
from facturier.identifiers import validate_siren, validate_siret
from facturier.imports import reading
from facturier.imports.models import ImportBatch, ImportItem, ImportSource, Outcome
from facturier.imports.signals import document_imported
from facturier.imports.zips import ZipLimits, ZipRefused, is_zip, open_zip
from facturier.invoicing.models import IMPORTED_SERIES_CODE, AllowanceCharge, Document, Line, Series, State
from facturier.parties.models import Address, AddressKind, Customer

log = logging.getLogger(__name__)

__all__ = ["ImportSource", "ImportTooLarge", "IncomingFile", "import_files"]

def max_file_bytes() -> int:
    return settings.FACTURIER_IMPORT_MAX_FILE_BYTES


def max_upload_bytes() -> int:
    return settings.FACTURIER_IMPORT_MAX_UPLOAD_BYTES



class ImportTooLarge(FacturierError):
    code = "import_too_large"


class ImportRefused(FacturierError):
    code = "import_refused"


@dataclass(frozen=True, slots=True)
class IncomingFile:
    """A file as it came in: its name and its bytes (a ZIP is one file that the service opens)."""

    name: str
    data: bytes


@dataclass(slots=True)
class _Verdict:
    outcome: str
    messages: list[dict]
    document: Document | None = None
    customer: Customer | None = None
    customer_created: bool = False


def _message(rule: str, fr: str, en: str, severity: str = Severity.FATAL.value) -> dict:
    return {"rule": rule, "severity": severity, "fr": fr, "en": en}


def _finding_message(f) -> dict:
    text = f.message
    return {"rule": f.rule, "severity": f.severity.value, "fr": text.fr, "en": text.en,
            **({"where": f.xpath or f.path} if (f.xpath or f.path) else {})}


ZIP_REFUSALS = {
    "traversal": ("IMPORT-ZIP-PATH", "Chemin interdit dans l'archive ZIP (sortie du dossier) : fichier ignoré.",
                  "Forbidden path in the ZIP (leaves its folder): file skipped."),
    "nested": ("IMPORT-ZIP-NESTED", "Une archive ZIP dans une archive ZIP n'est pas acceptée.",
               "A ZIP inside a ZIP is not accepted."),
    "too_large": ("IMPORT-TOO-LARGE", "Ce fichier de l'archive dépasse la taille maximale d'un fichier.",
                  "This file of the ZIP exceeds the largest size accepted for one file."),
    "ratio": ("IMPORT-ZIP-RATIO", "Taux de compression anormal (bombe ZIP) : fichier refusé.",
              "Abnormal compression ratio (ZIP bomb): file refused."),
    "encrypted": ("IMPORT-ZIP-ENCRYPTED", "Fichier chiffré dans l'archive ZIP : impossible à lire.",
                  "Encrypted file in the ZIP: it cannot be read."),
    "bad": ("IMPORT-ZIP-BAD", "Fichier illisible dans l'archive ZIP.", "Unreadable file in the ZIP."),
    "entries": ("IMPORT-ZIP-ENTRIES", "L'archive ZIP contient trop de fichiers.", "The ZIP holds too many files."),
    "total": ("IMPORT-ZIP-TOTAL", "L'archive ZIP décompressée dépasse la taille totale acceptée (bombe ZIP ?).",
              "The ZIP, uncompressed, exceeds the total size accepted (ZIP bomb?)."),
}


def _expand(files: list[IncomingFile]) -> list[tuple[str, bytes | None, dict | None]]:
    """(name, bytes, refusal) of every file to judge: a ZIP's entries in place of the ZIP."""
    out: list[tuple[str, bytes | None, dict | None]] = []
    for f in files:
        if not is_zip(f.data):
            out.append((f.name, f.data, None))
            continue
        try:
            entries = open_zip(f.data, ZipLimits(max_entry_bytes=max_file_bytes(), max_total_bytes=max_upload_bytes()))
        except ZipRefused as e:
            rule, fr, en = ZIP_REFUSALS[e.reason]
            out.append((f.name, None, _message(rule, fr, en)))
            continue
        for entry in entries:
            name = f"{f.name}/{entry.name}"
            if entry.refusal:
                rule, fr, en = ZIP_REFUSALS[entry.refusal]
                out.append((name, None, _message(rule, fr, en)))
            else:
                out.append((name, entry.data, None))
    return out


def import_files(*, organisation: Organisation, files: list[IncomingFile], source: str,
                 by: Membership | None, sender: str = "") -> ImportBatch:
    """Import every file (ZIPs opened) into `organisation`; each file is imported, refused or a duplicate.

    `by` is the acting member (it needs the "issue" right: an imported document is an issued one),
    or None for the system (a message from an allowed sender). Returns the batch with its items."""
    if by is not None:
        if by.organisation_id != organisation.pk:
            raise ImportRefused(_("This member does not belong to %(org)s."), org=organisation.name)
        require_right(by, Right.ISSUE)
    else:
        require_writable(organisation)  # a terminated organisation imports nothing, even by e-mail
    if source not in ImportSource.values:
        raise ImportRefused(_("Unknown import source: %(source)s."), source=source)
    total = sum(len(f.data) for f in files)
    if total > max_upload_bytes():
        raise ImportTooLarge(_("These files weigh %(size)s MB together; an import takes %(max)s MB at most. "
                               "Send them in several parts."),
                             size=total // (1024 * 1024), max=max_upload_bytes() // (1024 * 1024))
    batch = ImportBatch.objects.create(organisation=organisation, source=source, sender=sender[:254],
                                       created_by=by.user if by else None)
    counts = {Outcome.IMPORTED: 0, Outcome.REFUSED: 0, Outcome.DUPLICATE: 0}
    seen: set[str] = set()
    looked_up = _BatchLookups(organisation)
    expanded = _expand(files)
    looked_up.imported_before([data for _name, data, _refusal in expanded if data is not None])
    for position, (name, data, refusal) in enumerate(expanded, start=1):
        item = _import_one(batch, position, name[:255], data, refusal, by=by, seen=seen, looked_up=looked_up)
        counts[item.outcome] += 1
    ImportBatch.objects.filter(pk=batch.pk).update(imported_count=counts[Outcome.IMPORTED],
                                                   refused_count=counts[Outcome.REFUSED],
                                                   duplicate_count=counts[Outcome.DUPLICATE])
    batch.imported_count, batch.refused_count, batch.duplicate_count = (
        counts[Outcome.IMPORTED], counts[Outcome.REFUSED], counts[Outcome.DUPLICATE])
    return batch


class _BatchLookups:
    """What every file of one batch asks the database the same answer to, asked once per batch: the
    organisation's legal profiles (who "we" are as a seller), its duplicate policy and its archive
    retention; and which of the batch's files were imported before (one query for the batch)."""

    def __init__(self, organisation: Organisation):
        self.organisation = organisation
        self._profiles: list[tuple[str, str]] | None = None
        self._policy: str | None = None
        self._years: int | None = None
        self.shas: set[str] = set()
        self.customers: dict[tuple, Customer] = {}
        self.imported: set[str] = set()

    def imported_before(self, files: list[bytes]) -> None:
        """Read once which of these files (by SHA-256) the organisation has already imported."""
        self.shas = {hashlib.sha256(data).hexdigest() for data in files}
        self.imported = set(ImportItem.objects.filter(
            organisation=self.organisation, sha256__in=self.shas, outcome=Outcome.IMPORTED).values_list(
            "sha256", flat=True)) if self.shas else set()

    def was_imported(self, sha256: str) -> bool:
        if sha256 in self.shas:
            return sha256 in self.imported
        return ImportItem.objects.filter(organisation=self.organisation, sha256=sha256,
                                         outcome=Outcome.IMPORTED).exists()

    def profiles(self) -> list[tuple[str, str]]:
        if self._profiles is None:
            self._profiles = list(LegalProfile.objects.filter(organisation=self.organisation)
                                  .values_list("siren", "vat_number"))
        return self._profiles

    def duplicate_policy(self) -> str:
        if self._policy is None:
            self._policy = _duplicate_policy(self.organisation)
        return self._policy

    def retention_years(self) -> int:
        if self._years is None:
            from facturier.archive.services import retention_years

            self._years = retention_years(self.organisation)
        return self._years


def _import_one(batch: ImportBatch, position: int, name: str, data: bytes | None, refusal: dict | None, *,
                by: Membership | None, seen: set[str], looked_up: _BatchLookups) -> ImportItem:
    organisation = batch.organisation
    item = ImportItem(batch=batch, organisation=organisation, position=position, name=name,
                      outcome=Outcome.REFUSED)
    if data is None:
        item.messages, item.rules = [refusal], [refusal["rule"]]
        item.save()
        return item
    item.sha256, item.size = hashlib.sha256(data).hexdigest(), len(data)
    if item.sha256 in seen or looked_up.was_imported(item.sha256):
        return _save(item, _Verdict(Outcome.DUPLICATE, [_message(
            "IMPORT-DUPLICATE-FILE", "Ce fichier a déjà été importé.", "This file was already imported.")]))
    seen.add(item.sha256)
    if len(data) > max_file_bytes():
        mb = max_file_bytes() // (1024 * 1024)
        return _save(item, _Verdict(Outcome.REFUSED, [_message(
            "IMPORT-TOO-LARGE", f"Le fichier dépasse {mb} Mo, la taille maximale d'un fichier importé.",
            f"The file exceeds {mb} MB, the largest size of an imported file.")]))
    read = reading.read_file(data, limits=Limits(max_bytes=max_file_bytes()))
    item.syntax, item.guideline = read.syntax, read.guideline
    if read.invoice is not None:
        item.number = (read.invoice.number or "")[:40]
    verdict = _judge(read, organisation, looked_up) or _known_number(organisation, read.invoice.number)
    if verdict is None:
        # The slow part of archiving (time-stamp, seal, store) before the transaction, which holds the
        # series lock (and, on SQLite, the database) for as short a time as possible.
        prepared = _archive_prepare(organisation, read, item.name, data, by=by, years=looked_up.retention_years())
        try:
            with transaction.atomic():
                verdict = _write(read, item, prepared, by=by, looked_up=looked_up)
                if verdict.outcome == Outcome.IMPORTED:
                    return _save(item, verdict, batch=batch)
        except IntegrityError:
            verdict = _Verdict(Outcome.DUPLICATE, [_message(
                "IMPORT-DUPLICATE-NUMBER", "Ce numéro vient d'être importé par ailleurs : doublon refusé.",
                "This number was imported meanwhile: duplicate refused.")])
        except BaseException:
            artefacts_discard(prepared)
            raise
        artefacts_discard(prepared)
    return _save(item, verdict)


def _known_number(organisation: Organisation, number: str) -> _Verdict | None:
    if Document.objects.filter(organisation=organisation, series__code=IMPORTED_SERIES_CODE,
                               number=number).exists():
        return _Verdict(Outcome.DUPLICATE, [_message(
            "IMPORT-DUPLICATE-NUMBER", f"Le document {number} a déjà été importé.",
            f"Document {number} was already imported.")])
    return None


def _save(item: ImportItem, verdict: _Verdict, *, batch: ImportBatch | None = None) -> ImportItem:
    item.outcome = verdict.outcome
    item.messages = verdict.messages
    item.rules = sorted({m["rule"] for m in verdict.messages if m["severity"] == Severity.FATAL.value}
                        | ({m["rule"] for m in verdict.messages} if verdict.outcome != Outcome.IMPORTED else set()))
    item.document, item.customer, item.customer_created = verdict.document, verdict.customer, verdict.customer_created
    if verdict.outcome != Outcome.IMPORTED:
        item.document = None
    item.save()
    if batch is not None and item.document_id:
        document_id, organisation_id, batch_id = item.document_id, item.organisation_id, batch.pk
        transaction.on_commit(lambda: document_imported.send(
            sender=ImportItem, document_id=document_id, organisation_id=organisation_id, batch_id=batch_id))
    return item


def _judge(read: reading.Reading, organisation: Organisation, looked_up: _BatchLookups) -> _Verdict | None:
    """Why the file is refused before anything is written (None: it may be imported)."""
    if read.error is not None:
        messages = [_message(read.error_rule, read.error.message.fr, read.error.message.en)]
        if read.error.detail:
            messages[0]["detail"] = str(read.error.detail)[:500]
        messages += [_finding_message(f) for f in read.report.findings]
        return _Verdict(Outcome.REFUSED, messages)
    invoice = read.invoice
    seller = invoice.seller
    siren, vat = reading.siren_of(seller), (seller.vat_id or "").upper().replace(" ", "")
    profiles = looked_up.profiles()
    ours = any((siren and siren == p_siren) or (not siren and vat and vat == (p_vat or "").upper().replace(" ", ""))
               for p_siren, p_vat in profiles)
    if not ours:
        who = seller.name + (f" (SIREN {siren})" if siren else f" ({vat})" if vat else "")
        return _Verdict(Outcome.REFUSED, [_message(
            "IMPORT-SELLER",
            f"Le vendeur de cette facture, {who}, n'est pas {organisation.name} : seules les factures émises "
            f"par l'organisation peuvent être importées.",
            f"The seller of this invoice, {who}, is not {organisation.name}: only invoices issued by the "
            f"organisation can be imported.")])
    fatal = read.report.fatal
    not_run = read.report.not_run
    if fatal or not_run:
        messages = [_finding_message(f) for f in read.report.findings]
        messages += [_message("RULES-NOT-RUN", f"{n.title} : {n.reason.fr}", f"{n.title}: {n.reason.en}")
                     for n in not_run]
        return _Verdict(Outcome.REFUSED, messages)
    if not invoice.number or len(invoice.number) > 40:
        return _Verdict(Outcome.REFUSED, [_message(
            "IMPORT-NUMBER", "Le numéro de la facture est vide ou dépasse 40 caractères.",
            "The invoice number is empty or longer than 40 characters.")])
    return None


def _imported_series(organisation: Organisation) -> Series:
    """The organisation's "imported" series, locked: its counter only orders documents, numbers are the producer's."""
    series = Series.objects.select_for_update().filter(organisation=organisation, code=IMPORTED_SERIES_CODE).first()
    if series is None:
        try:
            with transaction.atomic():
                Series.objects.create(organisation=organisation, code=IMPORTED_SERIES_CODE,
                                      name=str(_("Imported documents")), prefix="", padding=1)
        except IntegrityError:
            pass
        series = Series.objects.select_for_update().get(organisation=organisation, code=IMPORTED_SERIES_CODE)
    return series


def _duplicate_policy(organisation: Organisation) -> str:
    from facturier.delivery.models import DuplicatePolicy, MailSettings

    policy = MailSettings.objects.filter(organisation=organisation).values_list("duplicate_policy", flat=True).first()
    return policy or DuplicatePolicy.WARN


def _duplicates(organisation: Organisation, customer: Customer, number: str, payable, issue_date) -> list[dict]:
    """Why the document may duplicate one the organisation already has (as on sending): one query for both
    checks (the same number; another number with the same amount and date)."""
    rows = list(Document.objects.filter(organisation=organisation, customer=customer)
                .exclude(state=State.DRAFT).filter(Q(number=number) | Q(payable=payable, issue_date=issue_date))
                .values_list("number", "payable", "issue_date"))
    found = []
    if any(n == number for n, _p, _d in rows):
        found.append(_message("IMPORT-DUPLICATE-CUSTOMER-NUMBER",
                              f"Ce client a déjà un document numéroté {number}.",
                              f"This customer already has a document numbered {number}."))
    twin = next((n for n, p, d in rows if n != number and p == payable and d == issue_date), None)
    if twin:
        found.append(_message("IMPORT-DUPLICATE-AMOUNT-DATE",
                              f"{twin}, du même client, a le même montant et la même date.",
                              f"{twin}, of the same customer, has the same amount and date."))
    return found


def _write(read: reading.Reading, item: ImportItem, prepared: Prepared, *, by: Membership | None,
           looked_up: _BatchLookups) -> _Verdict:
    """Inside the file's transaction: the series lock, the duplicate checks, the customer, the document,
    the archive entries. A verdict other than "imported" leaves nothing written (rolled back when needed)."""
    from facturier.delivery.models import DuplicatePolicy

    organisation = item.organisation
    invoice = read.invoice
    series = _imported_series(organisation)  # one importer at a time per organisation, from here to commit
    if Document.objects.filter(series=series, number=invoice.number).exists():
        return _Verdict(Outcome.DUPLICATE, [_message(
            "IMPORT-DUPLICATE-NUMBER", f"Le document {invoice.number} a déjà été importé.",
            f"Document {invoice.number} was already imported.")])
    customer, created = _customer_for(organisation, invoice, by=by, looked_up=looked_up)
    warnings = []
    if not created:
        header = reading.header_of(invoice)
        duplicates = _duplicates(organisation, customer, invoice.number, header["payable"], invoice.issue_date)
        if duplicates and looked_up.duplicate_policy() == DuplicatePolicy.BLOCK:
            transaction.set_rollback(True)
            return _Verdict(Outcome.DUPLICATE, duplicates)
        warnings = [{**m, "severity": Severity.WARNING.value} for m in duplicates]
    document = _document(organisation, series, customer, read, by=by)
    for _artefact, entry in prepared.fresh:  # the archived files belong to the document just made
        entry.document, entry.customer_id, entry.document_date = document, customer.pk, document.issue_date
    artefacts_record(organisation, prepared)
    audit_record(actor=by, subject=document, action="document.import", organisation=organisation,
                 after={"number": document.number, "customer": customer.code, "payable": str(document.payable),
                        "file": item.name, "sha256": item.sha256})
    messages = warnings + [_finding_message(f) for f in read.report.warnings]
    if created:
        messages.append(_message("IMPORT-NEW-CUSTOMER",
                                 f"Nouveau client {customer.code} créé d'après la facture : à vérifier.",
                                 f"New customer {customer.code} created from the invoice: to review.",
                                 Severity.WARNING.value))
    return _Verdict(Outcome.IMPORTED, messages, document=document, customer=customer, customer_created=created)


def _customer_for(organisation: Organisation, invoice, *, by: Membership | None,
                  looked_up: _BatchLookups | None = None) -> tuple[Customer, bool]:
    """The customer the buyer is: by SIREN, SIRET, VAT id, electronic address, then code (then name, for a
    buyer with no identifier at all); else a new one, flagged for review. A buyer met earlier in the same
    batch (same identifiers, same name) is the customer found for it then, once that file committed."""
    buyer = invoice.buyer
    customers = Customer.objects.filter(organisation=organisation)
    siren, siret = _valid(validate_siren, reading.siren_of(buyer)), _valid(validate_siret, reading.siret_of(buyer))
    vat = (buyer.vat_id or "").upper().replace(" ", "")
    address = buyer.electronic_address.value.strip() if buyer.electronic_address else ""
    codes = [i.value.strip() for i in buyer.identifiers if i.value and not i.scheme]
    foreign = _foreign_identifier(buyer) if not siren else None
    key = (siren, siret, vat, foreign, address, tuple(codes), buyer.name.strip())
    if looked_up is not None:
        known = looked_up.customers.get(key)
        if known is not None:
            return known, False
        # Remembered once the file's transaction commits: a customer created by a file that is then
        # refused (rolled back) must not be handed to the next file.
        transaction.on_commit(lambda: looked_up.customers.setdefault(key, customer))
    customer = _customer_match(customers, buyer, siren=siren, siret=siret, vat=vat, foreign=foreign, address=address,
                               codes=codes)
    if customer is not None:
        return customer, False
    customer = _customer_create(organisation, invoice, siren=siren, siret=siret, vat=vat, foreign=foreign, by=by)
    return customer, True


def _customer_match(customers, buyer, *, siren: str, siret: str, vat: str, foreign, address: str,
                    codes: list[str]) -> Customer | None:
    for condition in (Q(siren=siren) if siren else None, Q(siret=siret) if siret else None,
                      Q(vat_number__iexact=vat) if vat else None,
                      Q(foreign_identifier=foreign[0]) if foreign else None,
                      Q(electronic_address=address) if address else None,
                      Q(code__in=codes) if codes else None,
                      # a buyer without any identifier (a consumer, a foreign company): its exact name
                      Q(name__iexact=buyer.name.strip()) if not (siren or siret or vat or address or codes) else None):
        if condition is None:
            continue
        found = customers.filter(condition).order_by("is_archived", "pk").first()
        if found is not None:
            return found
    return None


def _valid(check, value: str) -> str:
    from django.core.exceptions import ValidationError

    if not value:
        return ""
    try:
        check(value)
    except ValidationError:
        return ""
    return value


def _foreign_identifier(buyer) -> tuple[str, str] | None:
    """A buyer's registration outside France (BT-47, else BT-46 with its scheme): (value, scheme)."""
    for ident in (buyer.legal_registration, *buyer.identifiers):
        if ident is not None and ident.value and ident.scheme not in ("0002", "0009"):
            return ident.value.strip()[:50], (ident.scheme or "")[:4]
    return None


def _customer_create(organisation: Organisation, invoice, *, siren: str, siret: str, vat: str,
                     foreign: tuple[str, str] | None, by: Membership | None) -> Customer:
    from django.core.exceptions import ValidationError

    buyer = invoice.buyer
    taken = set(Customer.objects.filter(organisation=organisation, code__startswith="IMP").values_list("code",
                                                                                                       flat=True))
    n = len(taken) + 1
    while f"IMP{n:05d}" in taken:
        n += 1
    customer = Customer(organisation=organisation, code=f"IMP{n:05d}", name=reading._text(buyer.name, 200) or "—",
                        siren=siren, siret=siret if siret[:9] == siren else "", vat_number=vat[:20],
                        foreign_identifier=foreign[0] if foreign else "",
                        foreign_identifier_scheme=foreign[1] if foreign else "",
                        electronic_address=(buyer.electronic_address.value[:200] if buyer.electronic_address else ""),
                        electronic_address_scheme=(buyer.electronic_address.scheme or "")[:4]
                        if buyer.electronic_address else "",
                        notes=str(_("Created by an import: check this customer.")))
    try:
        customer.full_clean()
    except ValidationError as e:
        for name in e.message_dict:  # an identifier the validators refuse is left out, the name is kept
            if name in ("siren", "siret", "vat_number", "electronic_address", "electronic_address_scheme",
                        "foreign_identifier", "foreign_identifier_scheme"):
                setattr(customer, name, "")
        if "__all__" in e.message_dict:
            customer.siret = customer.vat_number = ""
        customer.full_clean()
    customer.save()
    place = reading._address_dict(buyer.address)
    Address.objects.create(customer=customer, kind=AddressKind.BILLING, effective_from=invoice.issue_date,
                           line1=place["line1"] or "—", line2=place["line2"], postcode=place["postcode"],
                           city=place["city"] or "—", country=place["country"] or "FR")
    audit_record(actor=by, subject=customer, action="customer.create", organisation=organisation,
                 after={"code": customer.code, "name": customer.name, "origin": "import"})
    return customer


def _document(organisation: Organisation, series: Series, customer: Customer, read: reading.Reading, *,
              by: Membership | None) -> Document:
    """The issued document, exactly as the producer wrote it: its number, its dates, its amounts.

    Written complete in one INSERT — number, legal snapshots, issue time — then its lines, then marked
    issued by an UPDATE of its state alone. The state comes last because the database refuses any line
    under a document that is no longer a draft (migration invoicing 0003): the row is a draft only
    inside this transaction, already holding its frozen content, and nobody else ever sees it."""
    invoice = read.invoice
    header = reading.header_of(invoice)
    user = by.user if by else None
    value = series.next_number
    Series.objects.filter(pk=series.pk).update(next_number=F("next_number") + 1)
    series.next_number = value + 1
    document = Document(organisation=organisation, series=series, customer=customer, state=State.DRAFT,
                        language=customer.language or organisation.default_language, created_by=user,
                        number_value=value, number=invoice.number, amount_due=header["amount_due"],
                        seller_snapshot=reading.seller_snapshot_of(invoice),
                        buyer_snapshot=reading.buyer_snapshot_of(invoice, customer),
                        issued_at=timezone.now(), issued_by=user,
                        **{k: v for k, v in header.items() if k not in ("number", "amount_due")})
    document.save(force_insert=True)
    Line.objects.bulk_create([Line(document=document, **row) for row in reading.lines_of(invoice)])
    rows = reading.allowances_charges_of(invoice)
    if rows:
        AllowanceCharge.objects.bulk_create([AllowanceCharge(document=document, **row) for row in rows])
    issued = Document.objects.filter(pk=document.pk, state=State.DRAFT).update(state=State.ISSUED)
    if issued != 1:  # cannot happen: the row was inserted above, in this transaction
        raise RuntimeError(f"imported document {document.pk} could not be marked issued")
    document.state = State.ISSUED
    return document


def _archive_prepare(organisation: Organisation, read: reading.Reading, name: str, data: bytes, *,
                     by: Membership | None, years: int | None = None) -> Prepared:
    """The file as received (and, for a PDF, the XML it carries), sealed and stored for the archive; recorded
    with the document in the file's transaction, discarded when the file is not imported."""
    from facturier.archive.models import ArtefactKind

    invoice = read.invoice
    reference = f"import:{hashlib.sha256(data).hexdigest()[:32]}"
    # Kept from the day it came in (date=None): an invoice issued years ago is not purged as soon as imported.
    # Its own date is set on the entries when they are recorded.
    common = {"owner_user_id": by.user_id if by else None, "number": invoice.number[:40], "date": None}
    filename = name.rsplit("/", 1)[-1][:200] or invoice.number
    artefacts = []
    if read.is_pdf:
        artefacts.append(Artefact(kind=ArtefactKind.FACTURX_PDF, filename=filename, data=data,
                                  reference=f"{reference}/facturx-pdf", **common))
        artefacts.append(Artefact(kind=ArtefactKind.XML, filename=f"{invoice.number}.xml"[:200], data=read.xml,
                                  reference=f"{reference}/xml", **common))
    else:
        artefacts.append(Artefact(kind=ArtefactKind.XML, filename=filename, data=data,
                                  reference=f"{reference}/xml", **common))
    return artefacts_prepare(organisation, artefacts, years=years)
