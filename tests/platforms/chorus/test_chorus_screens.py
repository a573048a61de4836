"""The Chorus Pro screens with Django's client (the browser test walks the same paths): rights, the test
report naming the failing step, the document's status, the decision on an unknown deposit, the refresh."""

from __future__ import annotations

import pytest
from django.urls import reverse

from facturier.platforms.chorus import simulator as sim
from facturier.platforms.chorus.models import ChorusSubmission, SubmissionState
from facturier.platforms.chorus.outbox import chorus_flush

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_static(settings):
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner.user)
    return client


def test_settings_test_with_a_wrong_secret_answers_422_naming_the_token_step(signed_in, chorus_sim):
    url = reverse("web:settings_chorus")
    assert signed_in.get(url).status_code == 200
    answer = signed_in.post(url, {"environment": "custom", "token_url": chorus_sim.token_url,
                                  "api_url": chorus_sim.api_url, "client_id": sim.CLIENT_ID,
                                  "client_secret": "wrong", "login": sim.LOGIN, "password": sim.PASSWORD,
                                  "action": "test"})
    assert answer.status_code == 422
    page = answer.content.decode()
    assert 'class="failed" data-step="token"' in page and "wrong" not in page  # the secret is never shown


def test_custom_environment_needs_its_addresses(signed_in, chorus_sim):
    answer = signed_in.post(reverse("web:settings_chorus"), {"environment": "custom", "client_id": "x",
                                                             "login": "y", "action": "save"})
    assert answer.status_code == 422


def test_a_clerk_cannot_open_the_chorus_settings(org, client_of_clerk):
    assert client_of_clerk.get(reverse("web:settings_chorus")).status_code == 403


@pytest.fixture
def client_of_clerk(org):
    from django.test import Client

    clerk = org.member("clerk")
    c = Client()
    c.force_login(clerk.user)
    return c


def test_document_page_shows_the_status_and_refresh_reads_it(signed_in, owner, chorus_account, chorus_sim,
                                                              public_invoice):
    from facturier.delivery.services import send_documents

    send_documents(by=owner, document_ids=[public_invoice.pk])
    chorus_flush(organisation_id=owner.organisation.pk)
    submission = ChorusSubmission.objects.get(document=public_invoice)
    page = signed_in.get(reverse("web:document", args=[public_invoice.pk])).content.decode()
    assert 'id="chorus-status"' in page and 'data-state="deposited"' in page and submission.flow_number in page
    chorus_sim.advance()
    answer = signed_in.post(reverse("web:chorus_refresh", args=[submission.pk]))
    assert answer.status_code == 302
    page = signed_in.get(reverse("web:document", args=[public_invoice.pk])).content.decode()
    assert 'data-status="MISE_A_DISPOSITION"' in page


def test_a_person_records_an_unknown_deposit_as_deposited(signed_in, owner, chorus_account, public_invoice):
    from facturier.delivery.services import send_documents

    send_documents(by=owner, document_ids=[public_invoice.pk])
    submission = ChorusSubmission.objects.get(document=public_invoice)
    ChorusSubmission.objects.filter(pk=submission.pk).update(state=SubmissionState.UNKNOWN)
    page = signed_in.get(reverse("web:document", args=[public_invoice.pk])).content.decode()
    assert reverse("web:chorus_decide", args=[submission.pk]) in page
    answer = signed_in.post(reverse("web:chorus_decide", args=[submission.pk]), {"decision": "sent"})
    assert answer.status_code == 302
    submission.refresh_from_db()
    assert submission.state == SubmissionState.DEPOSITED
