"""Tenant isolation: a member of one organisation can neither list, read nor change another's data.

Every check has its positive counterpart (the same call on one's own data works), so a test
cannot pass merely because the call is broken.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse

from facturier.accounts.models import Role, User
from facturier.accounts.services import membership_add
from facturier.audit.models import Event
from facturier.audit.selectors import events_of
from facturier.invoicing.models import Document, DocumentLink, Line, Payment, Series, State, WriteOff
from facturier.invoicing.selectors import document_get, document_list, payments_of
from facturier.invoicing.services import (
    credit_note_create,
    document_issue,
    draft_create,
    draft_delete,
    draft_update,
)
from facturier.invoicing.settlement import payment_cancel, payment_record, write_off
from facturier.parties.models import Address, AddressKind, Contact, Customer
from facturier.parties.selectors import customer_get, customer_list
from facturier.parties.services import address_add, customer_update

ISSUE_DATE = dt.date(2026, 3, 2)


@pytest.fixture
def mine(org, lines):
    """Our own issued invoice with a payment, and a draft: the positive controls."""
    owner = org.owner
    invoice = draft_create(by=owner, customer_id=org.customer.pk, lines=lines)
    document_issue(by=owner, document_id=invoice.pk, issue_date=ISSUE_DATE)
    payment = payment_record(by=owner, document_id=invoice.pk, date=ISSUE_DATE, amount=Decimal("10.00"))
    draft = draft_create(by=owner, customer_id=org.customer.pk, lines=lines, note="ours")
    return SimpleNamespace(org=org, owner=owner, customer=org.customer, invoice=Document.objects.get(pk=invoice.pk),
                           payment=payment, draft=draft)


@pytest.fixture
def theirs(other_org, lines):
    """The other tenant's customer, issued invoice (partly paid) and draft."""
    owner = other_org.owner
    invoice = draft_create(by=owner, customer_id=other_org.customer.pk, lines=lines)
    document_issue(by=owner, document_id=invoice.pk, issue_date=ISSUE_DATE)
    payment = payment_record(by=owner, document_id=invoice.pk, date=ISSUE_DATE, amount=Decimal("10.00"))
    draft = draft_create(by=owner, customer_id=other_org.customer.pk, lines=lines, note="theirs")
    return SimpleNamespace(org=other_org, owner=owner, customer=other_org.customer,
                           invoice=Document.objects.get(pk=invoice.pk), payment=payment, draft=draft,
                           address=other_org.customer.addresses.get())


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count()
            for model in (Customer, Address, Contact, Document, Line, DocumentLink, Payment, WriteOff, Event, Series)}


def frozen_state(them) -> dict:
    """Everything of the other tenant a refused call could have touched."""
    customer = Customer.objects.get(pk=them.customer.pk)
    invoice = Document.objects.get(pk=them.invoice.pk)
    draft = Document.objects.get(pk=them.draft.pk)
    payment = Payment.objects.get(pk=them.payment.pk)
    return {
        "customer": (customer.name, customer.notes, customer.code),
        "invoice": (invoice.state, invoice.paid_amount, invoice.amount_due, invoice.written_off_amount,
                    invoice.credited_amount),
        "draft": (draft.state, draft.note, draft.number, draft.lines.count(), draft.customer_id),
        "payment": (payment.cancelled_at, payment.cancel_reason),
        "series": list(Series.objects.filter(organisation=them.org).values_list("code", "next_number")),
        "addresses": list(Address.objects.filter(customer=customer).values_list("pk", "line1", "effective_from")),
    }


# --- Selectors -------------------------------------------------------------------------------------------


def test_customer_list_shows_only_own_customers(mine, theirs):
    assert list(customer_list(organisation=mine.org)) == [mine.customer]
    assert list(customer_list(organisation=theirs.org)) == [theirs.customer]
    assert not customer_list(organisation=mine.org, search=theirs.customer.code).filter(pk=theirs.customer.pk)


def test_customer_get_refuses_another_tenants_customer(mine, theirs):
    assert customer_get(organisation=mine.org, pk=mine.customer.pk) == mine.customer
    with pytest.raises(Customer.DoesNotExist):
        customer_get(organisation=mine.org, pk=theirs.customer.pk)
    with pytest.raises(Customer.DoesNotExist):
        customer_get(organisation=mine.org, pk=theirs.customer.pk, for_update=True)


def test_document_list_shows_only_own_documents(mine, theirs):
    assert set(document_list(organisation=mine.org)) == {mine.invoice, mine.draft}
    assert set(document_list(organisation=theirs.org)) == {theirs.invoice, theirs.draft}


def test_document_get_refuses_another_tenants_document(mine, theirs):
    assert document_get(organisation=mine.org, pk=mine.invoice.pk) == mine.invoice
    for pk in (theirs.invoice.pk, theirs.draft.pk):
        with pytest.raises(Document.DoesNotExist):
            document_get(organisation=mine.org, pk=pk)


def test_payments_of_another_tenants_document_is_empty(mine, theirs):
    assert list(payments_of(organisation=mine.org, document_id=mine.invoice.pk)) == [mine.payment]
    assert list(payments_of(organisation=mine.org, document_id=theirs.invoice.pk)) == []


def test_events_of_show_only_own_organisation(mine, theirs):
    own = events_of(organisation=mine.org)
    assert own.exists()
    assert set(own.values_list("organisation_id", flat=True)) == {mine.org.pk}
    assert events_of(organisation=mine.org, subject=mine.invoice).exists()
    assert not events_of(organisation=mine.org, subject=theirs.invoice).exists()
    assert not events_of(organisation=mine.org, subject=theirs.customer).exists()
    assert events_of(organisation=theirs.org, subject=theirs.invoice).exists()


# --- Services --------------------------------------------------------------------------------------------

REFUSED_CALLS = {
    "customer_update": (Customer.DoesNotExist,
                        lambda me, them, lines: customer_update(by=me.owner, customer_id=them.customer.pk,
                                                                name="Hijacked", notes="pwned")),
    "draft_create_for_their_customer": (
        Customer.DoesNotExist,
        lambda me, them, lines: draft_create(by=me.owner, customer_id=them.customer.pk, lines=lines)),
    "draft_create_in_their_series": (
        Series.DoesNotExist,
        lambda me, them, lines: draft_create(by=me.owner, customer_id=me.customer.pk, lines=lines,
                                             series_id=Series.objects.get(organisation=them.org, code="FA").pk)),
    "draft_update": (Document.DoesNotExist,
                     lambda me, them, lines: draft_update(by=me.owner, document_id=them.draft.pk, note="pwned",
                                                          lines=lines[:1])),
    "draft_update_moving_own_draft_to_their_customer": (
        Customer.DoesNotExist,
        lambda me, them, lines: draft_update(by=me.owner, document_id=me.draft.pk, customer_id=them.customer.pk)),
    "draft_delete": (Document.DoesNotExist,
                     lambda me, them, lines: draft_delete(by=me.owner, document_id=them.draft.pk)),
    "document_issue": (Document.DoesNotExist,
                       lambda me, them, lines: document_issue(by=me.owner, document_id=them.draft.pk,
                                                              issue_date=ISSUE_DATE)),
    "credit_note_create": (Document.DoesNotExist,
                           lambda me, them, lines: credit_note_create(by=me.owner, invoice_id=them.invoice.pk)),
    "payment_record": (Document.DoesNotExist,
                       lambda me, them, lines: payment_record(by=me.owner, document_id=them.invoice.pk,
                                                              date=ISSUE_DATE, amount=Decimal("5.00"))),
    "payment_cancel": (Payment.DoesNotExist,
                       lambda me, them, lines: payment_cancel(by=me.owner, payment_id=them.payment.pk,
                                                              reason="mistake")),
    "write_off": (Document.DoesNotExist,
                  lambda me, them, lines: write_off(by=me.owner, document_id=them.invoice.pk, date=ISSUE_DATE,
                                                    reason="liquidation")),
    "address_add": (Customer.DoesNotExist,
                    lambda me, them, lines: address_add(by=me.owner, customer=them.customer,
                                                        kind=AddressKind.BILLING, effective_from=dt.date(2026, 1, 1),
                                                        line1="9 rue Pirate", postcode="13001", city="Marseille")),
    "address_add_overwriting_their_address": (
        Customer.DoesNotExist,
        lambda me, them, lines: address_add(by=me.owner, customer=them.customer, kind=AddressKind.BILLING,
                                            effective_from=them.address.effective_from,
                                            line1="9 rue Pirate", postcode="13001", city="Marseille")),
}


@pytest.mark.parametrize("name", sorted(REFUSED_CALLS))
def test_services_refuse_another_tenants_ids_and_write_nothing(name, mine, theirs, lines):
    error, call = REFUSED_CALLS[name]
    counts, state = row_counts(), frozen_state(theirs)
    with pytest.raises(error):
        call(mine, theirs, lines)
    assert row_counts() == counts
    assert frozen_state(theirs) == state


def test_draft_refuses_an_address_of_another_tenant(mine, theirs, lines):
    from facturier.invoicing.content import InvalidDocument

    counts = row_counts()
    with pytest.raises(InvalidDocument):
        draft_create(by=mine.owner, customer_id=mine.customer.pk, lines=lines, billing_address=theirs.address.pk)
    assert row_counts() == counts


def test_the_same_services_work_on_own_data(mine, theirs, lines):
    """Positive control for the refusals above: same calls, own ids."""
    customer_update(by=mine.owner, customer_id=mine.customer.pk, notes="fine")
    draft_update(by=mine.owner, document_id=mine.draft.pk, note="edited")
    credit = credit_note_create(by=mine.owner, invoice_id=mine.invoice.pk)
    payment_cancel(by=mine.owner, payment_id=mine.payment.pk, reason="mistake")
    payment_record(by=mine.owner, document_id=mine.invoice.pk, date=ISSUE_DATE, amount=Decimal("5.00"))
    write_off(by=mine.owner, document_id=mine.invoice.pk, date=ISSUE_DATE, reason="liquidation")
    document_issue(by=mine.owner, document_id=mine.draft.pk, issue_date=ISSUE_DATE)
    draft_delete(by=mine.owner, document_id=credit.pk)
    address_add(by=mine.owner, customer=mine.customer, kind=AddressKind.BILLING, effective_from=dt.date(2026, 1, 1),
                line1="3 rue Neuve", postcode="75002", city="Paris")
    assert Customer.objects.get(pk=mine.customer.pk).notes == "fine"
    assert Document.objects.get(pk=mine.invoice.pk).state == State.BAD_DEBT_PARTIAL
    assert Document.objects.get(pk=mine.draft.pk).state == State.ISSUED
    assert not Document.objects.filter(pk=credit.pk).exists()


# --- Administration site ---------------------------------------------------------------------------------


def staff_client(user: User) -> Client:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    return client


def changelist_orgs(client: Client, url_name: str) -> set[int]:
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    return set(response.context["cl"].queryset.values_list("organisation_id", flat=True))


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root@platform.test", "correct horse battery")


@pytest.mark.parametrize("url_name", ["admin:parties_customer_changelist", "admin:invoicing_document_changelist",
                                      "admin:audit_event_changelist"])
def test_admin_changelist_shows_only_own_rows(url_name, mine, theirs, superuser):
    assert changelist_orgs(staff_client(mine.owner.user), url_name) == {mine.org.pk}
    assert changelist_orgs(staff_client(superuser), url_name) == {mine.org.pk, theirs.org.pk}


def test_admin_changelist_page_does_not_render_other_tenants_rows(mine, theirs):
    client = staff_client(mine.owner.user)
    body = client.get(reverse("admin:parties_customer_changelist")).content.decode()
    assert reverse("admin:parties_customer_change", args=[mine.customer.pk]) in body
    assert reverse("admin:parties_customer_change", args=[theirs.customer.pk]) not in body
    body = client.get(reverse("admin:invoicing_document_changelist")).content.decode()
    assert mine.invoice.number in body
    # Both tenants number FA-2026-000001: tell the rows apart by their links.
    assert reverse("admin:invoicing_document_change", args=[mine.invoice.pk]) in body
    assert reverse("admin:invoicing_document_change", args=[theirs.invoice.pk]) not in body


@pytest.mark.parametrize("url_name, attr", [("admin:parties_customer_change", "customer"),
                                            ("admin:invoicing_document_change", "invoice")])
def test_admin_change_page_of_another_tenants_row_is_not_shown(url_name, attr, mine, theirs, superuser):
    client = staff_client(mine.owner.user)
    own = client.get(reverse(url_name, args=[getattr(mine, attr).pk]))
    assert own.status_code == 200
    response = client.get(reverse(url_name, args=[getattr(theirs, attr).pk]))
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert response.url == reverse("admin:index")
    assert staff_client(superuser).get(reverse(url_name, args=[getattr(theirs, attr).pk])).status_code == 200


def customer_form(customer: Customer, **changes) -> dict:
    """The admin change form of a customer, as a browser would post it (inlines left untouched)."""
    data = {
        "organisation": customer.organisation_id, "code": customer.code, "name": customer.name,
        "siren": customer.siren, "siret": customer.siret, "vat_number": customer.vat_number,
        "foreign_identifier": "", "foreign_identifier_scheme": "", "chorus_service_code": "", "language": "",
        "payment_terms_days": "", "due_date_rule": "", "notes": "", "consent_letter_sent_on": "",
        "consent_refused_on": "", "consent_refusal_origin": "", "preferred_channel": customer.preferred_channel,
    }
    for prefix in ("contacts", "addresses"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0",
                     f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
    data.update(changes)
    return data


def test_admin_post_editing_own_customer_works(mine, theirs):
    """Positive control: the form posted below is complete and valid."""
    client = staff_client(mine.owner.user)
    response = client.post(reverse("admin:parties_customer_change", args=[mine.customer.pk]),
                           customer_form(mine.customer, name="Renamed"))
    assert response.status_code == 302, getattr(response, "context", None) and response.context.get("errors")
    assert Customer.objects.get(pk=mine.customer.pk).name == "Renamed"


def test_admin_post_editing_another_tenants_customer_changes_nothing(mine, theirs):
    client = staff_client(mine.owner.user)
    counts, state = row_counts(), frozen_state(theirs)
    response = client.post(reverse("admin:parties_customer_change", args=[theirs.customer.pk]),
                           customer_form(theirs.customer, name="Hijacked", notes="pwned"))
    assert response.status_code in (302, 403, 404)
    assert row_counts() == counts
    assert frozen_state(theirs) == state


def test_admin_cannot_move_own_customer_to_another_tenant(mine, theirs):
    client = staff_client(mine.owner.user)
    response = client.post(reverse("admin:parties_customer_change", args=[mine.customer.pk]),
                           customer_form(mine.customer, organisation=theirs.org.pk))
    # The organisation is read-only once a record exists: the posted value is ignored.
    assert response.status_code in (200, 302)
    assert Customer.objects.get(pk=mine.customer.pk).organisation_id == mine.org.pk


def test_admin_cannot_add_a_customer_to_another_tenant(mine, theirs):
    client = staff_client(mine.owner.user)
    counts = row_counts()
    response = client.post(reverse("admin:parties_customer_add"),
                           customer_form(Customer(organisation=theirs.org, code="X1", name="Planted")))
    assert response.status_code == 200
    assert "organisation" in response.context["adminform"].form.errors
    assert row_counts() == counts


def test_admin_issue_action_ignores_another_tenants_drafts(mine, theirs):
    client = staff_client(mine.owner.user)
    counts, state = row_counts(), frozen_state(theirs)
    client.post(reverse("admin:invoicing_document_changelist"),
                {"action": "issue_selected", "_selected_action": [theirs.draft.pk]})
    assert row_counts() == counts
    assert frozen_state(theirs) == state


def test_admin_rights_in_one_organisation_do_not_carry_over_to_another(mine, theirs):
    """An owner of one tenant who is only a viewer in another cannot edit the other's customers."""
    user = mine.owner.user
    membership_add(organisation=theirs.org, user=user, role=Role.VIEWER)
    client = staff_client(user)
    assert client.get(reverse("admin:parties_customer_change", args=[theirs.customer.pk])).status_code == 200
    state = frozen_state(theirs)
    client.post(reverse("admin:parties_customer_change", args=[theirs.customer.pk]),
                customer_form(theirs.customer, name="Hijacked", notes="pwned"))
    assert frozen_state(theirs) == state


def test_superuser_sees_and_can_open_both_tenants(mine, theirs, superuser):
    client = staff_client(superuser)
    body = client.get(reverse("admin:parties_customer_changelist")).content.decode()
    for customer in (mine.customer, theirs.customer):
        assert reverse("admin:parties_customer_change", args=[customer.pk]) in body


def test_admin_cannot_add_a_customer_to_an_organisation_where_one_is_only_a_viewer(mine, theirs):
    user = mine.owner.user
    membership_add(organisation=theirs.org, user=user, role=Role.VIEWER)
    client = staff_client(user)
    counts = row_counts()
    client.post(reverse("admin:parties_customer_add"),
                customer_form(Customer(organisation=theirs.org, code="X1", name="Planted")))
    assert row_counts() == counts
    assert not Customer.objects.filter(organisation=theirs.org, code="X1").exists()


def test_admin_cannot_move_a_customer_into_an_organisation_where_one_is_only_a_viewer(mine, theirs):
    user = mine.owner.user
    membership_add(organisation=theirs.org, user=user, role=Role.VIEWER)
    client = staff_client(user)
    client.post(reverse("admin:parties_customer_change", args=[mine.customer.pk]),
                customer_form(mine.customer, code="C002", organisation=theirs.org.pk))
    assert Customer.objects.get(pk=mine.customer.pk).organisation_id == mine.org.pk


def test_admin_cannot_move_a_customer_with_documents_to_another_organisation_even_as_owner_of_both(mine, theirs):
    """The invoices stay with their tenant; their customer must too."""
    user = mine.owner.user
    membership_add(organisation=theirs.org, user=user, role=Role.OWNER)
    client = staff_client(user)
    client.post(reverse("admin:parties_customer_change", args=[mine.customer.pk]),
                customer_form(mine.customer, code="C002", organisation=theirs.org.pk))
    customer = Customer.objects.get(pk=mine.customer.pk)
    assert customer.organisation_id == mine.org.pk
    assert not Document.objects.filter(customer=customer).exclude(organisation_id=customer.organisation_id).exists()
