"""Turning sales documents into the files customers and auditors receive.

visual PDF (Typst) → Factur-X (CII attached by Typst, XMP added as an incremental update)
→ sealed (PAdES, incremental again). Each step reuses one per-process object (compiler,
signer, stamp font), so a worker produces hundreds of files a second.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import DocumentTemplate, FacturxProfile, Membership, Organisation, Right
from facturier.accounts.services import require_right
from facturier.audit.services import audit_record
from facturier.documents.models import Certificate
from facturier.engine.cii.profiles import Profile
from facturier.engine.cii.write import write_cii
from facturier.engine.facturx.pack import pack_facturx
from facturier.engine.pdf.certificates import SigningIdentity, load_pkcs12, make_self_signed
from facturier.engine.pdf.render import Attachment, RenderOptions, TemplateError, render_invoice
from facturier.engine.pdf.seal import Sealer
from facturier.errors import FacturierError
from facturier.invoicing.mapping import document_to_invoice
from facturier.invoicing.models import IMPORTED_SERIES_CODE, Document, Kind, State
from facturier.secrets import open_secret, seal_secret

PROFILES = {
    FacturxProfile.BASIC: Profile.BASIC,
    FacturxProfile.EN16931: Profile.EN16931,
    FacturxProfile.EXTENDED: Profile.EXTENDED,
    FacturxProfile.EXTENDED_CTC_FR: Profile.EXTENDED_CTC_FR,
}
KIND_LABELS = {Kind.INVOICE: "invoice", Kind.CREDIT_NOTE: "credit_note", Kind.DEPOSIT: "deposit",
               Kind.CORRECTIVE: "corrective", Kind.FINAL: "final"}


class NoCertificate(FacturierError):
    code = "no_certificate"


class NotPrintable(FacturierError):
    code = "not_printable"


class TemplateFailed(FacturierError):
    """The organisation's own template did not compile or exceeded its limits: the engine's words, in the
    language active when the message is read."""

    code = "template_failed"

    def __init__(self, error: TemplateError):
        class _Text:
            def __str__(self) -> str:
                return error.message.in_language(translation.get_language() or "fr")

        super().__init__(_Text())


def _render(invoice, options: RenderOptions) -> bytes:
    try:
        return render_invoice(invoice, options)
    except TemplateError as e:
        raise TemplateFailed(e) from e


# --- certificates -----------------------------------------------------------------------------


def _store_certificate(organisation: Organisation, pkcs12: bytes, password: str, identity: SigningIdentity, *,
                       label: str, by=None) -> Certificate:
    details = identity.details
    with transaction.atomic():
        Certificate.objects.filter(organisation=organisation, is_active=True).update(is_active=False)
        certificate = Certificate.objects.create(
            organisation=organisation, label=label, pkcs12=b"", password=b"", holder=details.holder,
            issuer=details.issuer, serial=str(details.serial), not_before=details.not_before,
            not_after=details.not_after, is_demo=details.is_demo, uploaded_by=getattr(by, "user", None))
        # Bound to the row: a sealed blob copied to another record does not open.
        certificate.pkcs12 = seal_secret(pkcs12, purpose=f"pkcs12:{certificate.pk}")
        certificate.password = seal_secret(password.encode(), purpose=f"pkcs12-password:{certificate.pk}")
        certificate.save(update_fields=["pkcs12", "password"])
        audit_record(actor=by, organisation=organisation, subject=certificate, action="certificate.install",
                     after={"holder": details.holder, "issuer": details.issuer,
                            "not_after": details.not_after.isoformat(), "demo": details.is_demo})
    return certificate


def certificate_upload(*, by: Membership, data: bytes, password: str, label: str = "") -> Certificate:
    """Install a PKCS#12 seal certificate (the previous one is kept, inactive)."""
    require_right(by, Right.MANAGE_SETTINGS)
    identity = load_pkcs12(data, password)  # a wrong password or a non-PKCS#12 file raises a typed error
    return _store_certificate(by.organisation, data, password, identity, label=label, by=by)


def certificate_demo_ensure(organisation: Organisation) -> Certificate:
    """A self-signed demo certificate, so a newcomer can seal; labelled DEMO wherever it shows."""
    current = Certificate.objects.filter(organisation=organisation, is_active=True).first()
    if current is not None:
        return current
    password = "demo"
    pkcs12 = make_self_signed(f"DEMO {organisation.name}", organisation.name, days=3 * 365, password=password)
    return _store_certificate(organisation, pkcs12, password, load_pkcs12(pkcs12, password),
                              label="Certificat de démonstration")


_identities: dict[tuple[int, int], SigningIdentity] = {}
_sealers: dict[tuple, Sealer] = {}
_cache_lock = threading.Lock()


def active_identity(organisation: Organisation) -> tuple[Certificate, SigningIdentity]:
    certificate = Certificate.objects.filter(organisation=organisation, is_active=True).first()
    if certificate is None:
        raise NoCertificate(_("%(org)s has no sealing certificate. Upload one (PKCS#12) in the settings, "
                              "or turn sealing off."), org=organisation.name)
    key = (organisation.pk, certificate.pk)
    with _cache_lock:
        if key not in _identities:
            pkcs12 = open_secret(bytes(certificate.pkcs12), purpose=f"pkcs12:{certificate.pk}")
            password = open_secret(bytes(certificate.password), purpose=f"pkcs12-password:{certificate.pk}")
            _identities[key] = load_pkcs12(pkcs12, password.decode())
        return certificate, _identities[key]


def _sealer(organisation: Organisation, language: str) -> Sealer:
    from facturier.documents.timestamping import timestamper_for

    certificate, identity = active_identity(organisation)
    key = (certificate.pk, organisation.sealing_level, organisation.tsa_url, language)
    with _cache_lock:
        sealer = _sealers.get(key)
        if sealer is None:
            level = organisation.sealing_level
            sealer = Sealer(identity, level=level, language=language,
                            timestamper=timestamper_for(organisation) if level != "B-B" else None)
            _sealers[key] = sealer
        return sealer


# --- files ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Produced:
    filename: str
    data: bytes
    signed: bool


def document_template(document: Document) -> tuple[str, str | None]:
    """The model a document prints with, as (engine template, own Typst source or None).

    The one rule every render follows (screen, batch, export, e-mail, post, archive, portal):
    the customer's own choice; else Chorus Pro for a public-sector customer; else the
    organisation's model. The organisation's own template needs its source; without one,
    the standard model prints.
    """
    organisation, customer = document.organisation, document.customer
    choice = customer.document_template or (
        DocumentTemplate.CHORUS if customer.is_public_sector else organisation.document_template)
    if choice == DocumentTemplate.CUSTOM:
        return "standard", organisation.custom_template.strip() or None
    return choice, None


def _options(document: Document, *, draft: bool, attachments=(), seal_space: bool = False) -> RenderOptions:
    organisation = document.organisation
    logo = organisation.logo.read() if organisation.logo else None
    template, custom = document_template(document)
    return RenderOptions(language=document.language, document_kind=KIND_LABELS[document.kind], draft=draft,
                         logo=logo, attachments=attachments, seal_space=seal_space, template=template,
                         custom_template=custom)


def custom_template_check(*, organisation: Organisation, source: str) -> None:
    """Try an organisation's own template on its latest document before it is saved: `TemplateFailed`
    (with the line at fault, or the limit exceeded) when it would not print. Without any document yet,
    there is nothing to try it on: the first print tells."""
    document = (Document.objects.filter(organisation=organisation).select_related("organisation", "customer")
                .order_by("-id").first())
    if document is not None and source.strip():
        draft = document.state == State.DRAFT
        options = _options(document, draft=draft)
        _render(document_to_invoice(document), replace(options, template="standard", custom_template=source))


def document_pdf(*, by: Membership, document_id: int) -> Produced:
    """The visual PDF; a draft needs the "print drafts" right and carries a DRAFT watermark."""
    document = Document.objects.select_related("organisation", "customer", "series").get(
        pk=document_id, organisation=by.organisation)
    draft = document.state == State.DRAFT
    if document.series.code == IMPORTED_SERIES_CODE and not draft:
        return imported_facturx(document)  # the PDF received is the document, not a new rendering
    if draft and not by.has_right(Right.PRINT_DRAFTS):
        raise NotPrintable(_("Printing a draft needs the “print drafts” right: issue the document first, "
                             "or ask an owner for the right."))
    pdf = _render(document_to_invoice(document), _options(document, draft=draft))
    name = document.number or f"brouillon-{document.pk}"
    return Produced(filename=f"{name}.pdf", data=pdf, signed=False)


def facturx_of(document: Document, *, signed: bool | None = None) -> Produced:
    """The Factur-X of an issued document at its organisation's profile; sealed when asked or configured."""
    if document.state == State.DRAFT:
        raise NotPrintable(_("A draft has no Factur-X: issue it first."))
    if document.series.code == IMPORTED_SERIES_CODE:
        return imported_facturx(document)
    organisation = document.organisation
    profile = PROFILES[organisation.facturx_profile]
    invoice = document_to_invoice(document)
    xml = write_cii(invoice, profile=profile)
    if signed is None:
        signed = organisation.sealing_enabled and _plan_allows_sealing(organisation)
    visual = _render(invoice, _options(
        document, draft=False, seal_space=signed,
        attachments=(Attachment(filename="factur-x.xml", data=xml,
                                relationship="Alternative" if profile.rank >= 2 else "Data",
                                description="Factur-X"),)))
    pdf = pack_facturx(visual, xml, conformance_level=profile.xmp_level)
    if signed:
        pdf = _sealer(organisation, document.language).seal(
            pdf, reason=f"Facture {document.number}" if document.language == "fr" else f"Invoice {document.number}",
            location=document.seller_snapshot.get("city", "") if document.seller_snapshot else "",
            when=timezone.now())
    return Produced(filename=f"{document.number}.pdf", data=pdf, signed=signed)


def document_xml(document: Document, syntax: str) -> bytes:
    """An issued document's invoice XML in `syntax` ("cii" or "ubl"): written by the engine from the frozen
    document — or, for an imported document, the XML received, as it is when it is already in that
    syntax, else converted by the engine (never rewritten from the database: the producer's file is
    the invoice). The one source for downloads, e-mail attachments and connectors."""
    if document.state == State.DRAFT:
        raise NotPrintable(_("A draft has no XML: issue it first."))
    if document.series.code == IMPORTED_SERIES_CODE:
        from facturier.engine.convert import conversion
        from facturier.engine.xml import detect, parse_xml

        xml = _received_xml(document)
        return xml if detect(parse_xml(xml)).syntax == syntax else conversion(xml, to=syntax).xml
    invoice = document_to_invoice(document)
    if syntax == "cii":
        return write_cii(invoice, profile=PROFILES[document.organisation.facturx_profile])
    from facturier.engine.ubl.write import write_ubl

    return write_ubl(invoice)


def _received_xml(document: Document) -> bytes:
    from facturier.archive.models import ArchiveEntry, ArtefactKind
    from facturier.archive.selectors import archived_content

    entry = ArchiveEntry.objects.filter(document=document, kind=ArtefactKind.XML).first()
    if entry is None:
        raise NotPrintable(_("The file received for %(document)s is not in the archive."), document=str(document))
    return archived_content(entry)


def _plan_allows_sealing(organisation: Organisation) -> bool:
    """A hosted company whose plan lost sealing stops sealing (self-hosted: no plan, always allowed)."""
    from facturier.billing.models import Capability
    from facturier.billing.services import capability_enabled

    return capability_enabled(organisation, Capability.SEALING)


def imported_facturx(document: Document) -> Produced:
    """An imported document's Factur-X: the PDF received, byte for byte, from the archive. For an invoice
    received as XML, a visual is rendered from that XML and the XML received is attached as it is (a UBL
    one is first converted to CII by the engine, its output checked by the official rules)."""
    from facturier.archive.models import ArchiveEntry, ArtefactKind
    from facturier.archive.selectors import archived_content
    from facturier.engine.cii.read import read_cii
    from facturier.engine.facturx.pack import level_of_guideline

    entry = ArchiveEntry.objects.filter(document=document, kind=ArtefactKind.FACTURX_PDF).first()
    if entry is not None:
        return Produced(filename=entry.filename, data=archived_content(entry), signed=False)
    xml = document_xml(document, "cii")
    level = level_of_guideline(xml) or "EN 16931"
    visual = _render(read_cii(xml), _options(document, draft=False, attachments=(Attachment(
        filename="factur-x.xml", data=xml, relationship="Data" if level in ("MINIMUM", "BASIC WL") else "Alternative",
        description="Factur-X"),)))
    return Produced(filename=f"{document.number}.pdf", data=pack_facturx(visual, xml, conformance_level=level),
                    signed=False)


def document_facturx(*, by: Membership, document_id: int, signed: bool | None = None) -> Produced:
    document = Document.objects.select_related("organisation", "customer").get(
        pk=document_id, organisation=by.organisation)
    return facturx_of(document, signed=signed)


# --- printed lists ----------------------------------------------------------------------------


def document_list_pdf(*, by: Membership, documents, model: str = "by_date", language: str | None = None,
                      period=None) -> bytes:
    """The printed list of a selection (a queryset scoped by the caller), by date or by payment method."""
    from django.utils import translation

    from facturier.engine.pdf.listing import ListRow, render_document_list
    from facturier.invoicing.models import Payment, PaymentMethod

    language = language or (translation.get_language() or "fr")[:2]
    documents = documents.filter(organisation=by.organisation).select_related("customer")
    methods: dict[int, set[str]] = {}
    for document_id, method in Payment.objects.filter(
            organisation=by.organisation, document__in=documents, cancelled_at__isnull=True
    ).values_list("document_id", "method"):
        methods.setdefault(document_id, set()).add(method)
    rows = []
    with translation.override(language):
        several = str(_("Several methods"))
        for d in documents:
            sign = -1 if d.kind == Kind.CREDIT_NOTE else 1  # credit notes count negative, as on the dashboard
            used = methods.get(d.pk, set())
            method = (str(PaymentMethod(next(iter(used))).label) if len(used) == 1 else several if used else "")
            rows.append(ListRow(
                issue_date=d.issue_date, number=d.number or str(_("Draft no. %(id)s") % {"id": d.pk}),
                customer=f"{d.customer.code} — {d.customer.name}", kind=str(Kind(d.kind).label),
                tax_exclusive=sign * d.tax_exclusive, tax_total=sign * d.tax_total,
                tax_inclusive=sign * d.tax_inclusive, amount_due=sign * d.amount_due, payment_method=method,
                currency=d.currency))
    return render_document_list(rows, model=model, language=language, organisation=by.organisation.name,
                                period=period)
