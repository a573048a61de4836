"""Termination of an organisation: who may, what it records, read-only afterwards, erasure after the grace period."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from django.utils import timezone

from facturier.accounts.models import Membership, Organisation, Role, Termination, TerminationState, User
from facturier.accounts.services import OrganisationReadOnly, RightMissing
from facturier.accounts.signals import organisation_terminated
from facturier.accounts.termination import (
    TerminationRefused,
    export_path,
    organisation_terminate,
    termination_erase,
    termination_erase_due,
)
from facturier.archive.full_export import file_sha256
from facturier.archive.models import ArchiveEntry
from facturier.archive.selectors import archived_content
from facturier.audit.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def archived(owner, draft, django_capture_on_commit_callbacks):
    """An invoice issued and archived as in production."""
    from facturier.invoicing.services import document_issue

    with django_capture_on_commit_callbacks(execute=True):
        return document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))


@pytest.fixture
def terminate(django_capture_on_commit_callbacks):
    def run(org, *, by=None, operator=None, reason="We stop trading", name=None):
        with django_capture_on_commit_callbacks(execute=True):
            return organisation_terminate(organisation_id=org.pk, by=by, operator=operator, reason=reason,
                                          confirm_name=org.name if name is None else name)

    return run


def test_the_owner_terminates_and_the_export_is_produced_with_its_sha256(archived, org, owner, terminate):
    received = []

    def listener(sender, **kwargs):
        received.append(kwargs)

    organisation_terminated.connect(listener)
    try:
        terminate(org, by=owner)
    finally:
        organisation_terminated.disconnect(listener)
    termination = Termination.objects.get(organisation=org)
    assert termination.state == TerminationState.READ_ONLY and termination.requested_by == owner.user
    assert termination.reason == "We stop trading" and not termination.by_operator
    assert (termination.grace_until - termination.at) == dt.timedelta(days=90)
    path = export_path(termination)
    assert termination.export_sha256 == file_sha256(path) and termination.export_files == 2
    with zipfile.ZipFile(path) as z:
        assert {"verify.py", "export.json", "journal.jsonl", "checkpoints.jsonl", "tsa-chain.pem"} <= set(z.namelist())
    assert received == [{"signal": organisation_terminated, "organisation_id": org.pk, "at": termination.at}]
    actions = list(Event.objects.filter(organisation=org, action__startswith="organisation.")
                   .values_list("action", flat=True).order_by("id"))
    assert actions == ["organisation.terminate", "organisation.export"]


def test_only_an_owner_may_terminate(org, terminate):
    accountant = org.member(Role.ACCOUNTANT)
    with pytest.raises(RightMissing):
        terminate(org, by=accountant)
    assert not Termination.objects.filter(organisation=org).exists()


def test_the_name_must_be_typed_and_a_reason_given(org, owner, terminate):
    with pytest.raises(TerminationRefused, match="Type the organisation's name"):
        terminate(org, by=owner, name="acme")
    with pytest.raises(TerminationRefused, match="reason"):
        terminate(org, by=owner, reason="  ")
    assert not Termination.objects.filter(organisation=org).exists()


def test_the_platform_operator_may_terminate_and_nobody_else(org, terminate):
    stranger = User.objects.create_user("someone@else.test", "correct horse battery")
    with pytest.raises(RightMissing):
        terminate(org, operator=stranger)
    operator = User.objects.create_user("ops@platform.test", "correct horse battery", is_platform_operator=True)
    termination = terminate(org, operator=operator, reason="Contract ended")
    termination.refresh_from_db()
    assert termination.by_operator and termination.requested_by == operator
    assert termination.state == TerminationState.READ_ONLY


def test_a_terminated_organisation_is_read_only(issued, org, owner, lines, terminate):
    from facturier.delivery.services import send_documents
    from facturier.invoicing.services import document_issue, draft_create
    from facturier.invoicing.settlement import payment_record
    from facturier.parties.services import customer_create

    draft = draft_create(by=owner, customer_id=org.customer.pk, lines=lines)
    terminate(org, by=owner)
    owner = Membership.objects.get(pk=owner.pk)
    attempts = [
        lambda: draft_create(by=owner, customer_id=org.customer.pk, lines=lines),
        lambda: document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 3)),
        lambda: send_documents(by=owner, document_ids=[issued.pk]),
        lambda: payment_record(by=owner, document_id=issued.pk, date=dt.date(2026, 3, 10), amount="10.00"),
        lambda: customer_create(by=owner, code="C002", name="New", effective_from=dt.date(2026, 1, 1),
                                billing_address={"line1": "1 rue", "postcode": "75001", "city": "Paris"}),
    ]
    from facturier.imports.services import IncomingFile, import_files

    # what the system does without a member (an e-mailed import) is refused too
    attempts.append(lambda: import_files(organisation=Organisation.objects.get(pk=org.pk),
                                         files=[IncomingFile("a.xml", b"<x/>")], source="email", by=None))
    for attempt in attempts:
        with pytest.raises(OrganisationReadOnly) as refused:
            attempt()
        assert "has been terminated: its account is read-only" in refused.value.message


def test_erasure_waits_for_the_grace_period_then_keeps_the_archive(archived, org, owner, terminate):
    from facturier.parties.models import Address, Contact, Customer

    termination = terminate(org, by=owner)
    with pytest.raises(TerminationRefused):
        termination_erase(termination_id=termination.pk)
    assert termination_erase_due() == 0
    files = {e.pk: archived_content(e) for e in ArchiveEntry.objects.filter(organisation=org)}
    later = timezone.now() + dt.timedelta(days=91)
    assert termination_erase_due(now=later) == 1
    termination.refresh_from_db()
    assert termination.state == TerminationState.ERASED
    customer = Customer.objects.get(pk=org.customer.pk)
    assert customer.name.startswith("Erased customer") and not customer.siren
    assert not Contact.objects.filter(customer=customer).exclude(email="").exists()
    assert not Address.objects.filter(customer=customer).exclude(city="—").exists()
    assert not Membership.objects.filter(organisation=org).exists()
    assert {e.pk: archived_content(e) for e in ArchiveEntry.objects.filter(organisation=org)} == files
    assert export_path(termination).exists()
    assert Event.objects.filter(organisation=org, action="organisation.erase").count() == 1
    assert termination_erase_due(now=later) == 0
