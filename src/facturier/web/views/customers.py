"""Customers: list with search, detail with documents, consent and addresses with history; forms."""

from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from facturier.accounts.models import Right
from facturier.errors import FacturierError
from facturier.invoicing.selectors import DocumentFilter, document_list
from facturier.parties.models import AddressKind, ConsentOrigin
from facturier.parties.selectors import customer_get, customer_list
from facturier.parties.services import address_add, consent_accept, consent_refuse, customer_create, customer_update
from facturier.web import selectors
from facturier.web.forms import AddressForm, CustomerForm, NewCustomerForm
from facturier.web.views.base import get_or_404, member_required

PAGE = 100


def _customer(request, pk):
    return get_or_404(customer_get, organisation=request.member.organisation, pk=pk)


def _validation_to_form(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None
            if field == "__all__":
                target = None
            for e in errors:
                form.add_error(target, e)
    else:
        for message in error.messages:
            form.add_error(None, message)


@member_required()
def customer_list_view(request):
    q = request.GET.get("q", "").strip()[:100]
    after = request.GET.get("after", "")
    qs = customer_list(organisation=request.member.organisation, search=q)
    if after:
        qs = qs.filter(code__gt=after)
    rows = list(qs[:PAGE + 1])
    return render(request, "web/customers/list.html", {
        "customers": rows[:PAGE], "q": q, "next_after": rows[PAGE - 1].code if len(rows) > PAGE else None,
        "can_edit": request.member.has_right(Right.EDIT)})


@member_required()
def customer_detail(request, pk):
    customer = _customer(request, pk)
    return render(request, "web/customers/detail.html", {
        **_detail_context(request, customer),
        "address_form": AddressForm(initial={"effective_from": timezone.localdate(), "country": "FR"})})


@member_required(Right.EDIT)
def customer_new(request):
    form = NewCustomerForm(request.POST or None, initial={"preferred_channel": "email", "country": "FR"},
                           organisation=request.member.organisation)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        email = form.cleaned_data.get("contact_email")
        try:
            customer = customer_create(
                by=request.member, billing_address=form.address(), effective_from=form.cleaned_data["effective_from"],
                contacts=[{"email": email, "name": ""}] if email else [],
                **{k: v for k, v in values.items() if v is not None})
        except ValidationError as e:
            _validation_to_form(form, e)
        except FacturierError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, _("Customer %(code)s created.") % {"code": customer.code})
            return redirect(reverse("web:customer", args=[customer.pk]))
    return render(request, "web/customers/form.html", {"form": form, "customer": None},
                  status=422 if request.method == "POST" else 200)


@member_required(Right.EDIT)
def customer_edit(request, pk):
    customer = _customer(request, pk)
    initial = {name: getattr(customer, name) for name in CustomerForm.FIELDS}
    form = CustomerForm(request.POST or None, initial=initial, organisation=request.member.organisation)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        try:
            customer_update(by=request.member, customer_id=customer.pk, **values)
        except ValidationError as e:
            _validation_to_form(form, e)
        except FacturierError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, _("Customer %(code)s saved.") % {"code": values["code"]})
            return redirect(reverse("web:customer", args=[customer.pk]))
    return render(request, "web/customers/form.html", {"form": form, "customer": customer},
                  status=422 if request.method == "POST" else 200)


@require_POST
@member_required(Right.EDIT)
def customer_address_add(request, pk):
    customer = _customer(request, pk)
    form = AddressForm(request.POST)
    if form.is_valid():
        try:
            address_add(by=request.member, customer=customer, kind=form.cleaned_data["kind"],
                        effective_from=form.cleaned_data["effective_from"], **form.address())
        except ValidationError as e:
            _validation_to_form(form, e)
        except FacturierError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, _("Address added; documents issued before keep their address."))
            return redirect(reverse("web:customer", args=[customer.pk]))
    return render(request, "web/customers/detail.html", {**_detail_context(request, customer),
                                                         "address_form": form}, status=422)


def _detail_context(request, customer):
    organisation = request.member.organisation
    documents = [{"doc": d, "amount": selectors.signed_amount(d)} for d in document_list(
        organisation=organisation, f=DocumentFilter(customer_code_prefix=customer.code)).filter(
        customer=customer)[:100]]
    today = timezone.localdate()
    current = [customer.addresses.filter(kind=kind, effective_from__lte=today).order_by(
        "-effective_from").values_list("pk", flat=True).first() for kind in AddressKind.values]
    return {"customer": customer, "documents": documents,
            "addresses": customer.addresses.order_by("kind", "-effective_from"), "current": current,
            "contacts": customer.contacts.all(), "can_edit": request.member.has_right(Right.EDIT),
            "can_send": request.member.has_right(Right.SEND),
            "chorus_installed": apps.is_installed("facturier.platforms.chorus")}


@require_POST
@member_required(Right.EDIT)
def customer_consent(request, pk):
    customer = _customer(request, pk)
    member = request.member
    try:
        if request.POST.get("accept") == "1":
            consent_accept(by=member, customer_id=customer.pk, organisation_id=member.organisation_id,
                           origin=ConsentOrigin.MANUAL)
            messages.success(request, _("The customer accepts e-invoices again."))
        else:
            consent_refuse(by=member, customer_id=customer.pk, organisation_id=member.organisation_id,
                           on=timezone.localdate(), origin=ConsentOrigin.MANUAL)
            messages.success(request, _("Refusal of e-invoices recorded."))
    except FacturierError as e:
        messages.error(request, e.message)
    return redirect(reverse("web:customer", args=[customer.pk]))
