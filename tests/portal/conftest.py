"""Fixtures of the portal tests: an archived invoice, an invited contact, a customer signed in to the portal."""

from __future__ import annotations

import datetime as dt

import pytest
from portal_helpers import PASSWORD, token_of


@pytest.fixture(autouse=True)
def _plain_static(settings):
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    settings.FACTURIER_BASE_URL = "https://factures.example"


@pytest.fixture(autouse=True)
def _fresh_cache(db):
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def customer_reads_english(org):
    org.customer.language = "en"
    org.customer.save(update_fields=["language"])


@pytest.fixture
def issue_archived(owner, lines, django_capture_on_commit_callbacks):
    """Issue and archive an invoice for a customer, as in production (the archive task runs on commit)."""
    from facturier.invoicing.services import document_issue, draft_create

    def issue(member=None, customer=None):
        member = member or owner
        if customer is None:
            from facturier.parties.models import Customer

            customer = Customer.objects.get(organisation=member.organisation_id, code="C001")
        draft = draft_create(by=member, customer_id=customer.pk, lines=lines)
        with django_capture_on_commit_callbacks(execute=True):
            return document_issue(by=member, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))

    return issue


@pytest.fixture
def archived(issue_archived):
    return issue_archived()


@pytest.fixture
def contact(org):
    return org.customer.contacts.get()


@pytest.fixture
def invitation(owner, contact, customer_reads_english, mailoutbox):
    from facturier.portal.services import portal_invite

    return portal_invite(by=owner, contact_id=contact.pk)


@pytest.fixture
def account(org, invitation):
    from facturier.portal.services import link_use

    return link_use(organisation=org, token=token_of(invitation.link), password=PASSWORD)


@pytest.fixture
def portal(client, org, account):
    """A browser signed in to the acme portal as the customer's contact."""
    response = client.post(f"/portal/{org.slug}/login/", {"email": account.email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client
