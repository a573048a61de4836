"""Settings → Approved platform through Django's test client: rights, save, test naming the failing step,
scopes per SIREN/SIRET, and `connection_for` choosing the most precise connection."""

from __future__ import annotations

import pytest
from pa_helpers import CLIENT_ID, CLIENT_SECRET

from facturier.platforms.models import PlatformConnection, secret_of
from facturier.platforms.selectors import connection_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner.user)
    return client


def _form(platform, **values) -> dict:
    return {"platform_id": str(platform.pk), "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "organization_id": "acme", "siren": "", "siret": "", "flow_syntax": "Factur-X", "enabled": "on",
            "action": "save", **values}


def test_save_and_test_passes_every_step_and_stores_the_secret_encrypted(signed_in, pa_platform, simulator):
    response = signed_in.post("/settings/platform/new/", _form(pa_platform, action="test"))
    page = response.content.decode()
    assert response.status_code == 200, page[:2000]
    connection = PlatformConnection.objects.get()
    assert connection.test_ok and [s["step"] for s in connection.test_steps] == [
        "token", "health", "flow_search", "directory_health", "directory"]
    assert CLIENT_SECRET.encode() not in bytes(connection.client_secret)
    assert secret_of(connection, "client_secret") == CLIENT_SECRET.encode()
    assert page.count('<li class="ok"') == 5 and '<li class="failed"' not in page and CLIENT_SECRET not in page


def test_a_wrong_secret_fails_the_test_at_sign_in_in_french(signed_in, pa_platform, simulator, org):
    signed_in.post("/settings/platform/new/", _form(pa_platform))
    connection = PlatformConnection.objects.get()
    signed_in.post(f"/settings/platform/{connection.pk}/edit/", _form(pa_platform, client_secret="wrong"))
    response = signed_in.post(f"/settings/platform/{connection.pk}/test/", HTTP_ACCEPT_LANGUAGE="fr")
    page = response.content.decode()
    assert response.status_code == 422
    assert 'data-step="token"' in page and "a refusé l&#x27;identifiant client ou le secret" in page
    connection.refresh_from_db()
    assert not connection.test_ok and connection.test_steps[-1]["step"] == "token"


def test_an_empty_secret_keeps_the_stored_one(signed_in, pa_platform, simulator):
    signed_in.post("/settings/platform/new/", _form(pa_platform))
    connection = PlatformConnection.objects.get()
    signed_in.post(f"/settings/platform/{connection.pk}/edit/", _form(pa_platform, client_secret=""))
    connection.refresh_from_db()
    assert secret_of(connection, "client_secret") == CLIENT_SECRET.encode()


def test_a_siret_outside_its_siren_is_refused_with_a_message(signed_in, pa_platform):
    response = signed_in.post("/settings/platform/new/", _form(pa_platform, siren="884123456",
                                                               siret="41234567000019"))
    assert response.status_code == 422
    assert "n&#x27;appartient pas au SIREN" in response.content.decode()
    assert not PlatformConnection.objects.exists()


def test_a_member_without_the_settings_right_cannot_open_the_screen(client, org, pa_platform):
    clerk = org.member("clerk")
    client.force_login(clerk.user)
    assert client.get("/settings/platform/").status_code == 403
    assert client.post("/settings/platform/new/", _form(pa_platform)).status_code == 403
    assert not PlatformConnection.objects.exists()


def test_another_organisation_does_not_see_the_connection(client, other_org, connection):
    client.force_login(other_org.owner.user)
    assert client.get(f"/settings/platform/{connection.pk}/edit/").status_code == 404
    assert client.post(f"/settings/platform/{connection.pk}/test/").status_code == 404
    assert connection.platform.name not in client.get("/settings/platform/").content.decode() or \
        "connection-" not in client.get("/settings/platform/").content.decode()


def test_the_most_precise_connection_acts_for_an_establishment(org, pa_platform):
    from facturier.platforms.services import connection_save

    default = connection_save(by=org.owner, platform_id=pa_platform.pk, client_id="a")
    company = connection_save(by=org.owner, platform_id=pa_platform.pk, client_id="b", siren="500123450")
    site = connection_save(by=org.owner, platform_id=pa_platform.pk, client_id="c", siret="50012345000016")
    assert connection_for(org) == default
    assert connection_for(org, siret="50012345000016") == site
    assert connection_for(org, siret="50012345000024") == company
    assert connection_for(org, siret="88412345600011") == default
    connection_save(by=org.owner, connection_id=default.pk, enabled=False)
    assert connection_for(org) is None
