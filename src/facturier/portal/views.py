"""The customer's screens: sign-in (password, then the authenticator when on), one-time links, documents,
archived files and the e-invoicing consent. Everything lives under /portal/<organisation>/."""

from __future__ import annotations

import base64
import hashlib
import io
from functools import wraps
from urllib.parse import urlencode as _urlencode

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from facturier.accounts.models import Organisation
from facturier.archive.models import ArtefactKind
from facturier.engine.pdf.render import format_amount, format_date
from facturier.errors import FacturierError
from facturier.invoicing.models import Document, Kind
from facturier.portal import services, session
from facturier.portal.forms import ChoosePasswordForm, CodeForm, LinkRequestForm, LoginForm
from facturier.portal.selectors import branding_of, portal_document, portal_documents, portal_file, portal_files
from facturier.web import security

FILE_KINDS = {"facturx": ArtefactKind.FACTURX_PDF, "xml": ArtefactKind.XML}
LANGUAGE_SESSION_KEY = "portal.language"
PAGE_SIZE = 50
OTP_SCOPE = "any-address"
"""Wrong codes count per account from every address: the password is already known to whoever types them."""


def urlencode(query: dict) -> str:
    return _urlencode(query, safe="/")


def _organisation(slug: str) -> Organisation:
    return get_object_or_404(Organisation, slug=slug)


def _activate(request, organisation: Organisation, account=None) -> None:
    """The customer reads its portal in its language: its own choice, else its customer's, else the company's."""
    language = ((account.language if account else "") or request.session.get(LANGUAGE_SESSION_KEY)
                or (services.language_of(account) if account else organisation.default_language))
    translation.activate(language)
    request.LANGUAGE_CODE = language


def _context(request, organisation: Organisation, **extra) -> dict:
    return {"organisation": organisation, "branding": branding_of(organisation),
            "account": getattr(request, "portal_account", None), **extra}


def _safe_next(request, organisation: Organisation) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    home = reverse("portal:home", args=[organisation.slug])
    if target.startswith(f"/portal/{organisation.slug}/") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return home


def portal_login_required(view):
    """Signed in to this organisation's portal, second factor confirmed when the account has one."""

    @wraps(view)
    def wrapper(request, slug: str, *args, **kwargs):
        organisation = _organisation(slug)
        account, verified = session.current(request, organisation)
        request.portal_organisation = organisation
        _activate(request, organisation, account)
        query = urlencode({"next": request.get_full_path()})
        if account is None:
            return redirect(f"{reverse('portal:login', args=[slug])}?{query}")
        if account.totp_confirmed and not verified:
            return redirect(f"{reverse('portal:otp_verify', args=[slug])}?{query}")
        request.portal_account = account
        return view(request, organisation, account, *args, **kwargs)

    return never_cache(wrapper)


# --- sign-in ------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def login(request, slug: str):
    organisation = _organisation(slug)
    account, verified = session.current(request, organisation)
    _activate(request, organisation, account)
    if account is not None and (verified or not account.totp_confirmed):
        return redirect(_safe_next(request, organisation))
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        throttle_key = f"portal:{organisation.slug}:{email}"
        wait = security.locked_for(throttle_key, security.client_ip(request))
        if wait:
            form.add_error(None, _("Too many failed attempts. Try again in %(minutes)d minutes, or ask for a new "
                                   "password below.") % {"minutes": max(1, (wait + 59) // 60)})
            status = 429
        else:
            account = services.authenticate(organisation=organisation, email=email,
                                             password=form.cleaned_data["password"])
            if account is None:
                left = security.record_failure(throttle_key, security.client_ip(request))
                form.add_error(None, _("This e-mail address and password do not match. %(left)d attempts left "
                                       "before a 15-minute pause.") % {"left": left}
                               if left else _("Too many failed attempts. Try again in 15 minutes."))
                status = 401 if left else 429
            else:
                security.clear_failures(throttle_key, security.client_ip(request))
                session.sign_in(request, account, verified=not account.totp_confirmed)
                next_url = _safe_next(request, organisation)
                if account.totp_confirmed:
                    return redirect(f"{reverse('portal:otp_verify', args=[slug])}?{urlencode({'next': next_url})}")
                return redirect(next_url)
    return render(request, "portal/login.html", _context(request, organisation, form=form,
                                                          next=_safe_next(request, organisation)), status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def otp_verify(request, slug: str):
    """Second step of sign-in, for accounts with an authenticator."""
    organisation = _organisation(slug)
    account, verified = session.current(request, organisation)
    _activate(request, organisation, account)
    if account is None:
        return redirect("portal:login", slug)
    if verified or not account.totp_confirmed:
        return redirect(_safe_next(request, organisation))
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        throttle_key = f"portal-otp:{account.pk}"
        if security.locked_for(throttle_key, OTP_SCOPE):
            form.add_error("code", _("Too many wrong codes. Try again in 15 minutes."))
            status = 429
        elif services.totp_check(account=account, code=form.cleaned_data["code"]):
            security.clear_failures(throttle_key, OTP_SCOPE)
            session.mark_verified(request, account)
            return redirect(_safe_next(request, organisation))
        else:
            security.record_failure(throttle_key, OTP_SCOPE)
            form.add_error("code", _("This code is not valid. Check the time on your phone and type the current "
                                     "code."))
            status = 401
    return render(request, "portal/otp_verify.html", _context(request, organisation, form=form,
                                                               next=_safe_next(request, organisation)), status=status)


@require_POST
def logout(request, slug: str):
    organisation = _organisation(slug)
    session.sign_out(request, organisation.pk)
    return redirect("portal:login", slug)


@never_cache
@require_http_methods(["GET", "POST"])
def welcome(request, slug: str, token: str):
    """The one-time link of an invitation or a password request: choose a password, then you are signed in.
    GET only shows the form (a mail scanner following the link does not spend it); POST spends it."""
    organisation = _organisation(slug)
    try:
        link = services.link_check(organisation=organisation, token=token)
    except services.BadPortalLink as e:
        _activate(request, organisation, session.current(request, organisation)[0])
        response = render(request, "portal/bad_link.html", _context(request, organisation, error=e.message),
                          status=410)
        response["Referrer-Policy"] = "no-referrer"
        return response
    account = link.account
    _activate(request, organisation, account)
    form = ChoosePasswordForm(account, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.link_use(organisation=organisation, token=token,
                                        password=form.cleaned_data["new_password1"])
        except services.BadPortalLink as e:
            return render(request, "portal/bad_link.html", _context(request, organisation, error=e.message),
                          status=410)
        # The e-mailed link proves the mailbox, not the phone: with an authenticator, the code is still asked.
        session.sign_in(request, account, verified=not account.totp_confirmed)
        messages.success(request, _("Your password is saved. Welcome to your customer space."))
        if account.totp_confirmed:
            return redirect("portal:otp_verify", slug)
        return redirect("portal:security", slug)
    response = render(request, "portal/welcome.html", _context(request, organisation, form=form, link=link,
                                                                email=account.email))
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def password_request(request, slug: str):
    """Ask for a new one-time link by e-mail (forgotten password, expired invitation)."""
    organisation = _organisation(slug)
    _activate(request, organisation)
    form = LinkRequestForm(request.POST or None)
    done = False
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        throttle_key = f"portal-link:{organisation.slug}:{email}"
        done = True
        if not security.locked_for(throttle_key, security.client_ip(request)):
            security.record_failure(throttle_key, security.client_ip(request))  # at most five links per 15 minutes
            # The answer does not depend on whether the address has an account; a mail server that does
            # not answer is said to everyone alike (the service tries it before looking the address up).
            try:
                services.password_link_request(organisation=organisation, email=email)
            except services.LinkNotSent as e:
                form.add_error(None, e.message)
                done = False
    status = 503 if form.non_field_errors() else 200
    return render(request, "portal/password_request.html", _context(request, organisation, form=form, done=done),
                  status=status)


@portal_login_required
@require_http_methods(["GET", "POST"])
def security_settings(request, organisation, account):
    """Turn on the second factor: scan the QR code, type one code."""
    if account.totp_confirmed:
        return render(request, "portal/security.html", _context(request, organisation, enrolled=True))
    key = services.totp_start(account=account)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        throttle_key = f"portal-otp:{account.pk}"
        if security.locked_for(throttle_key, OTP_SCOPE):
            form.add_error("code", _("Too many wrong codes. Try again in 15 minutes."))
        elif services.totp_check(account=account, code=form.cleaned_data["code"]):
            security.clear_failures(throttle_key, OTP_SCOPE)
            account.refresh_from_db()
            session.mark_verified(request, account)
            messages.success(request, _("Two-factor authentication is on. You will type a code at each sign-in."))
            return redirect("portal:home", organisation.slug)
        else:
            security.record_failure(throttle_key, OTP_SCOPE)
            form.add_error("code", _("This code is not valid. Scan the QR code again and type the current code."))
    url = services.totp_config_url(account, key)
    return render(request, "portal/security.html", _context(
        request, organisation, enrolled=False, form=form, qr_svg=_qr_svg(url),
        secret=base64.b32encode(key).decode().rstrip("=")))


def _qr_svg(text: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg"):]


@require_POST
def language(request, slug: str):
    organisation = _organisation(slug)
    chosen = request.POST.get("language", "")
    if chosen not in dict(settings.LANGUAGES):
        chosen = organisation.default_language
    request.session[LANGUAGE_SESSION_KEY] = chosen
    account, _verified = session.current(request, organisation)
    if account is not None:
        services.change_language(account=account, language=chosen)
    return redirect(_safe_next(request, organisation))


def logo(request, slug: str):
    """The organisation's logo (media files are not served publicly; this one is meant to be seen)."""
    organisation = _organisation(slug)
    if not organisation.logo:
        raise Http404
    name = organisation.logo.name.lower()
    content_type = "image/png" if name.endswith(".png") else "image/svg+xml" if name.endswith(".svg") \
        else "image/jpeg"
    response = FileResponse(organisation.logo.open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


# --- documents ----------------------------------------------------------------------------------


def _row(document: Document, language: str) -> dict:
    credit = document.kind == Kind.CREDIT_NOTE
    return {"document": document, "total": format_amount(document.tax_inclusive, document.currency, language),
            "due": format_amount(document.amount_due, document.currency, language),
            "has_due": document.amount_due > 0 and not credit,
            "date": format_date(document.issue_date, language) if document.issue_date else "",
            "due_date": format_date(document.due_date, language) if document.due_date else "",
            "url": reverse("portal:document", args=[document.organisation.slug, document.pk])}


@portal_login_required
def home(request, organisation, account):
    from django.core.paginator import Paginator

    language = translation.get_language()
    page = Paginator(portal_documents(account=account).select_related("organisation"), PAGE_SIZE).get_page(
        request.GET.get("page"))
    rows = [_row(d, language) for d in page.object_list]
    return render(request, "portal/documents.html", _context(
        request, organisation, rows=rows, page=page, customer=account.customer, nav="documents"))


@portal_login_required
def document(request, organisation, account, pk: int):
    try:
        doc = portal_document(account=account, pk=pk)
    except Document.DoesNotExist:
        raise Http404
    files = [{"entry": e, "kind": next(k for k, v in FILE_KINDS.items() if v == e.kind),
              "label": e.get_kind_display()} for e in portal_files(account=account, document=doc)]
    platform = None
    if apps.is_installed("facturier.platforms"):
        from facturier.platforms.status_selectors import document_platform_status

        platform = document_platform_status(organisation=doc.organisation, document_id=doc.pk)
    return render(request, "portal/document.html", _context(
        request, organisation, row=_row(doc, translation.get_language()), document=doc, files=files,
        nav="documents", platform=platform))


@portal_login_required
def download(request, organisation, account, pk: int, kind: str):
    """An archived file, byte for byte as archived, with its SHA-256 in a Repr-Digest header (RFC 9530)."""
    if kind not in FILE_KINDS:
        raise Http404
    try:
        found = portal_file(account=account, document_id=pk, kind=FILE_KINDS[kind])
    except (Document.DoesNotExist, FacturierError):
        raise Http404
    if found is None:
        raise Http404
    entry, content = found
    response = HttpResponse(content, content_type=entry.media_type)
    response["Content-Disposition"] = f'attachment; filename="{entry.filename}"'
    digest = hashlib.sha256(content).digest()
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(digest).decode()}:"
    response["Cache-Control"] = "private, no-store"
    return response


@portal_login_required
@require_POST
def consent(request, organisation, account):
    accept = request.POST.get("answer") == "accept"
    try:
        services.consent_answer(account=account, accept=accept,
                                 remote_address=security.remote_address(request))
    except FacturierError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Thank you: you will receive your invoices by e-mail.") if accept else
                         _("Your choice is recorded: you will no longer receive invoices by e-mail."))
    return redirect("portal:home", organisation.slug)
