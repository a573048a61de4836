"""Settings of the e-mail delivery: the mail server and its test, the message templates with a preview,
and the consent campaign (e-mails with signed links, printable letters for the others)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from facturier.accounts.models import Language, Right
from facturier.delivery.consent import CampaignFilter, campaign_customers, campaign_send
from facturier.delivery.models import MailSettings, MailTemplate, TemplateKind
from facturier.delivery.services import (
    imap_test_connection,
    invoice_addresses,
    mail_settings_save,
    mail_template_save,
    test_connection,
)
from facturier.delivery.wording import PLACEHOLDERS, preview, template_for
from facturier.errors import FacturierError
from facturier.invoicing.models import Document, State
from facturier.web import services
from facturier.web.forms import ConsentCampaignForm, MailSettingsForm, MailTemplateForm
from facturier.web.views.base import member_required
from facturier.web.views.settings import _errors_into

RECENT_DOCUMENTS = 20


# --- mail server ----------------------------------------------------------------------------------


def _mail_settings(organisation) -> MailSettings | None:
    return MailSettings.objects.filter(organisation=organisation).first()


def _server_form(ms: MailSettings | None, data=None) -> MailSettingsForm:
    initial = {name: getattr(ms, name) for name in MailSettingsForm.FIELDS} if ms else {}
    return MailSettingsForm(data, initial=initial, has_password=bool(ms and ms.password),
                            has_imap_password=bool(ms and ms.imap_password))


def _template_form(request, organisation, data=None) -> tuple[MailTemplateForm, str, str, bool]:
    source = data if data is not None else request.GET
    kind = source.get("kind") if source.get("kind") in TemplateKind.values else TemplateKind.INVOICE
    language = source.get("language") if source.get("language") in Language.values else (
        request.member.organisation.default_language)
    own = MailTemplate.objects.filter(organisation=organisation, kind=kind, language=language).exists()
    subject, body = template_for(organisation, kind, language)
    documents = [(d.pk, f"{d.number} — {d.customer.name}") for d in _recent_documents(organisation)]
    form = MailTemplateForm(data, initial={"kind": kind, "language": language, "subject": subject, "body": body},
                            kinds=TemplateKind.choices, documents=documents)
    return form, kind, language, own


def _recent_documents(organisation):
    return (Document.objects.filter(organisation=organisation).exclude(state=State.DRAFT)
            .select_related("customer").only("id", "number", "customer__name")
            .order_by("-issue_date", "-id")[:RECENT_DOCUMENTS])


def _preview(organisation, ms, kind, language, subject=None, body=None, document_id=None):
    issued = (Document.objects.filter(organisation=organisation).exclude(state=State.DRAFT)
              .select_related("customer", "organisation"))
    if document_id:
        document = issued.filter(pk=document_id).first()
    else:  # the latest document written in the template's language reads best
        document = issued.filter(language=language).order_by("-issue_date", "-id").first()
    contact = (ms.reply_to or ms.sender_address) if ms else ""
    return preview(organisation=organisation, kind=kind, language=language, document=document, subject=subject,
                   body=body, contact_email=contact)


def _render(request, status=200, *, server_form=None, template_form=None, report=None, bounce_report=None,
            shown=None):
    organisation = request.member.organisation
    ms = _mail_settings(organisation)
    if template_form is None:
        template_form, kind, language, own = _template_form(request, organisation)
    else:
        kind, language = template_form.data.get("kind"), template_form.data.get("language")
        own = MailTemplate.objects.filter(organisation=organisation, kind=kind, language=language).exists()
    if shown is None:
        shown = _preview(organisation, ms, kind, language)
    return render(request, "web/settings/mail.html", {
        "organisation": organisation, "ms": ms, "server_form": server_form or _server_form(ms),
        "template_form": template_form, "report": report, "bounce_report": bounce_report, "shown": shown,
        "own_template": own,
        "kind_label": TemplateKind(kind).label, "language_label": Language(language).label,
        "placeholders": [f"{{{p}}}" for p in PLACEHOLDERS],
        "consent_kind": kind == TemplateKind.CONSENT_LETTER,
        "has_documents": Document.objects.filter(organisation=organisation).exclude(state=State.DRAFT).exists(),
    }, status=status)


@member_required(Right.MANAGE_SETTINGS)
def mail_settings(request):
    """The mail server, bounce mailbox and options form (POST saves it; "save and test" then connects to
    the SMTP server) and the templates."""
    if request.method != "POST":
        return _render(request)
    ms = _mail_settings(request.member.organisation)
    form = _server_form(ms, request.POST)
    if form.is_valid():
        try:
            saved = mail_settings_save(by=request.member, password=form.password_change(),
                                       imap_password=form.imap_password_change(), **form.values())
        except ValidationError as e:
            _errors_into(form, e)
        except FacturierError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, _("Mail server saved."))
            if "password" in saved.forgotten_secrets:
                messages.warning(request, _("The server changed: its stored password was forgotten, so that it is "
                                            "never sent to another host. Type the password again."))
            if "imap_password" in saved.forgotten_secrets:
                messages.warning(request, _("The bounce mailbox's server changed: its stored password was "
                                            "forgotten. Type it again."))
            if request.POST.get("action") == "test":
                return _connection_test(request)
            return redirect(reverse("web:settings_mail") + "#server")
    return _render(request, 422, server_form=form)


def _connection_test(request):
    try:
        report = test_connection(by=request.member)
    except FacturierError as e:
        return _render(request, 422, report={"ok": False, "message": e.message})
    return _render(request, 200 if report.ok else 422, report={"ok": report.ok, "message": report.message,
                                                               "code": report.code})


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def mail_test(request):
    """Connect to the saved server, secure the line and sign in; say exactly which step failed."""
    return _connection_test(request)


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def mail_bounce_test(request):
    """Sign in to the saved bounce mailbox and count its folder, read-only; say exactly which step failed."""
    report = imap_test_connection(by=request.member)
    return _render(request, 200 if report.ok else 422, bounce_report=report)


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def mail_template(request):
    """Preview the typed subject and body on a real document, or save them."""
    organisation = request.member.organisation
    form, kind, language, _own = _template_form(request, organisation, request.POST)
    if not form.is_valid():
        return _render(request, 422, template_form=form, shown=False)
    data = form.cleaned_data
    if request.POST.get("action") == "save":
        try:
            mail_template_save(by=request.member, kind=data["kind"], language=data["language"],
                               subject=data["subject"], body=data["body"])
        except ValidationError as e:
            _errors_into(form, e)
            return _render(request, 422, template_form=form, shown=False)
        messages.success(request, _("Message “%(kind)s” (%(language)s) saved.") % {
            "kind": TemplateKind(data["kind"]).label, "language": Language(data["language"]).label})
        return redirect(reverse("web:settings_mail") + "?" + urlencode(
            {"kind": data["kind"], "language": data["language"]}) + "#templates")
    shown = _preview(organisation, _mail_settings(organisation), data["kind"], data["language"],
                     subject=data["subject"], body=data["body"], document_id=data.get("document"))
    return _render(request, template_form=form, shown=shown)


# --- consent campaign -----------------------------------------------------------------------------


def _campaign_filter(form: ConsentCampaignForm) -> CampaignFilter:
    data = form.cleaned_data
    return CampaignFilter(code=data.get("code", "").strip(), code_prefix=data.get("code_prefix", "").strip(),
                          invoiced_between=form.invoiced_between(),
                          include_already_sent=data.get("include_already_sent", False),
                          include_without_email=data.get("include_without_email", False),
                          order=data.get("order") or "code")


@member_required(Right.SEND)
def consent_campaign(request):
    """Choose the customers (by code, prefix, invoicing period), then e-mail or print their letters."""
    organisation = request.member.organisation
    form = ConsentCampaignForm(request.GET or None)
    rows, searched = [], form.is_bound
    if form.is_bound and form.is_valid():
        customers = campaign_customers(organisation=organisation, f=_campaign_filter(form))
        rows = [{"c": c, "emails": invoice_addresses(c)} for c in customers]
    letters = request.GET.get("letters", "")
    query = request.GET.copy()
    query.pop("letters", None)
    if letters and services.letters_path(organisation=organisation, token=letters) is None:
        letters = ""
    return render(request, "web/settings/consent.html", {
        "form": form, "rows": rows, "searched": searched, "letters": letters,
        "with_email": sum(1 for r in rows if r["emails"]), "query": query.urlencode(),
        "has_mail_settings": _mail_settings(organisation) is not None,
    }, status=422 if form.is_bound and not form.is_valid() else 200)


@require_POST
@member_required(Right.SEND)
def consent_send(request):
    organisation = request.member.organisation
    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()][:10_000]
    query = request.POST.get("query", "")
    back = reverse("web:settings_consent") + (f"?{query}" if query else "")
    if not ids:
        messages.error(request, _("Tick at least one customer first."))
        return redirect(back)
    print_all = request.POST.get("action") == "print"
    try:
        result = campaign_send(by=request.member, customer_ids=ids, print_all=print_all)
    except FacturierError as e:
        messages.error(request, e.message)
        return redirect(back)
    if result.emailed:
        messages.success(request, _("%(n)d consent letters queued for sending by e-mail.") % {
            "n": len(result.emailed)})
    if result.pdf:
        token = services.letters_keep(organisation=organisation, pdf=result.pdf)
        messages.success(request, _("%(n)d letters to print are ready: download them below.") % {
            "n": len(result.to_print)})
        separator = "&" if "?" in back else "?"
        return redirect(f"{back}{separator}letters={token}")
    return redirect(back)


@member_required(Right.SEND)
def consent_letters(request, token):
    path = services.letters_path(organisation=request.member.organisation, token=token)
    if path is None:
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename="lettres-consentement.pdf"
                        if request.LANGUAGE_CODE == "fr" else "consent-letters.pdf", content_type="application/pdf")
