"""The consent letter's links: no login, a signed token; GET asks, POST records (so a mail
scanner that follows links never answers for the customer)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from facturier.delivery.consent import BadConsentLink, answer_accept, answer_refuse, read_token


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@require_http_methods(["GET", "POST"])
def consent_answer(request, token: str, answer: str):
    try:
        customer = read_token(token)
    except BadConsentLink as e:
        return render(request, "delivery/consent_answer.html", {"error": e.message}, status=400)
    # The customer reads the page in its own language (the letter's), not the platform's.
    translation.activate(customer.language or customer.organisation.default_language)
    request.LANGUAGE_CODE = translation.get_language()
    context = {"customer": customer, "organisation": customer.organisation, "answer": answer, "done": False}
    if request.method == "POST":
        try:
            if answer == "accept":
                answer_accept(token=token, email=request.POST.get("email", ""), remote_address=_ip(request))
            else:
                answer_refuse(token=token, remote_address=_ip(request))
        except ValidationError as e:
            context["error"] = " ".join(e.messages)
            return render(request, "delivery/consent_answer.html", context, status=422)
        context["done"] = True
    return render(request, "delivery/consent_answer.html", context)
