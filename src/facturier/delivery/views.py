"""Screens of the delivery app.

The consent letter's links: no login, a signed token; GET asks, POST records (so a mail
scanner that follows links never answers for the customer). The mailbox of the local mail
catcher: the signed-in member's organisation only, and members who may send (what it holds
was sent in the organisation's name, consent letters with live answer links among it).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from facturier.accounts.models import Right
from facturier.delivery.catcher import address as catcher_address
from facturier.delivery.catcher import points_at_catcher
from facturier.delivery.consent import (
    BadConsentLink,
    ConsentLinkSpent,
    MailNotSent,
    address_confirm,
    answer_by_link,
    read_address_confirmation,
    read_link,
)
from facturier.delivery.mailbox import mailbox_attachment, mailbox_count, mailbox_list, mailbox_message, mailbox_raw
from facturier.delivery.models import MailSettings
from facturier.web import security
from facturier.web.views.base import get_or_404, member_required

MAILBOX_PAGE = 200


@require_http_methods(["GET", "POST"])
def consent_answer(request, token: str, answer: str):
    try:
        link = read_link(token)
    except BadConsentLink as e:
        return render(request, "delivery/consent_answer.html", {"error": e.message}, status=400)
    customer = link.customer
    _speak_like(request, customer)
    context = {"customer": customer, "organisation": customer.organisation, "answer": answer, "done": False,
               "given": link.spent_by}
    if request.method == "POST" and link.spent_by is None:
        try:
            given = answer_by_link(token=token, accept=answer == "accept", email=request.POST.get("email", ""),
                                   remote_address=security.remote_address(request))
        except ConsentLinkSpent as e:
            context["given"] = e.answer
        except ValidationError as e:
            context["error"] = " ".join(e.messages)
            return render(request, "delivery/consent_answer.html", context, status=422)
        except MailNotSent as e:
            context["error"] = e.message
            return render(request, "delivery/consent_answer.html", context, status=503)
        else:
            context.update(done=True, pending_email=given.email)
    return render(request, "delivery/consent_answer.html", context)


@require_http_methods(["GET", "POST"])
def consent_address(request, token: str):
    """The owner of an address given in a consent answer confirms it (GET asks, POST confirms)."""
    try:
        customer, email, done = read_address_confirmation(token)
    except BadConsentLink as e:
        return render(request, "delivery/consent_address.html", {"error": e.message}, status=400)
    _speak_like(request, customer)
    context = {"customer": customer, "organisation": customer.organisation, "email": email, "done": done}
    if request.method == "POST" and not done:
        try:
            address_confirm(token=token, remote_address=security.remote_address(request))
        except MailNotSent as e:
            context["error"] = e.message
            return render(request, "delivery/consent_address.html", context, status=503)
        context["done"] = True
    return render(request, "delivery/consent_address.html", context)


def _speak_like(request, customer) -> None:
    """The customer reads the page in its own language (the letter's), not the platform's."""
    translation.activate(customer.language or customer.organisation.default_language)
    request.LANGUAGE_CODE = translation.get_language()


# --- the local mail catcher's mailbox (what the organisation "sent" without a real mail server) ---


@member_required(Right.SEND)
@require_http_methods(["GET"])
def mailbox(request):
    organisation = request.member.organisation
    messages = mailbox_list(organisation=organisation, limit=MAILBOX_PAGE)
    running = catcher_address()
    ms = MailSettings.objects.filter(organisation=organisation).first()
    return render(request, "delivery/mailbox.html", {
        "nav": "mailbox", "caught": messages, "total": mailbox_count(organisation=organisation),
        "limit": MAILBOX_PAGE, "catcher": running,
        "pointed": ms is not None and running is not None and points_at_catcher(ms)
        and (ms.host, ms.port) == running})


@member_required(Right.SEND)
@require_http_methods(["GET"])
def mailbox_message_view(request, key: str):
    message = get_or_404(mailbox_message, organisation=request.member.organisation, key=key)
    return render(request, "delivery/mailbox_message.html", {"nav": "mailbox", "message": message})


@member_required(Right.SEND)
@require_http_methods(["GET"])
def mailbox_attachment_view(request, key: str, index: int):
    filename, content_type, data = get_or_404(mailbox_attachment, organisation=request.member.organisation,
                                              key=key, index=index)
    # Always a download, never rendered in the application's origin (an attachment is anybody's content).
    response = HttpResponse(data, content_type=content_type if "/" in content_type else "application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


@member_required(Right.SEND)
@require_http_methods(["GET"])
def mailbox_raw_view(request, key: str):
    data = get_or_404(mailbox_raw, organisation=request.member.organisation, key=key)
    response = HttpResponse(data, content_type="message/rfc822")
    response["Content-Disposition"] = content_disposition_header(True, f"{key}.eml")
    response["X-Content-Type-Options"] = "nosniff"
    return response
