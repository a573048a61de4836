"""The company's side: the contacts' access page, the invite view (POST, CSRF, rights), the command, the look."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from facturier.portal.models import PortalAccount


@pytest.fixture
def member_client(owner):
    owner.user.language = "en"
    owner.user.save(update_fields=["language"])
    client = Client()
    client.force_login(owner.user)
    return client


def test_the_customer_page_lists_contacts_and_invites_one(member_client, org, contact, mailoutbox):
    page = member_client.get(f"/portal-admin/customers/{org.customer.pk}/")
    assert page.status_code == 200
    assert [r["status"] for r in page.context["rows"]] == ["Not invited"]
    response = member_client.post(f"/portal-admin/invite/{contact.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/portal-admin/customers/{org.customer.pk}/"
    assert [m.to for m in mailoutbox] == [[contact.email]]
    page = member_client.get(f"/portal-admin/customers/{org.customer.pk}/")
    assert page.context["rows"][0]["status"].startswith("Invited, until")


def test_the_invite_view_needs_a_post_with_its_csrf_token(owner, contact, mailoutbox):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner.user)
    assert client.get(f"/portal-admin/invite/{contact.pk}/").status_code == 405
    assert client.post(f"/portal-admin/invite/{contact.pk}/").status_code == 403
    assert mailoutbox == []


def test_a_member_of_another_organisation_cannot_invite_the_contact(other_org, contact, mailoutbox):
    client = Client()
    client.force_login(other_org.owner.user)
    assert client.post(f"/portal-admin/invite/{contact.pk}/").status_code == 404
    assert client.get(f"/portal-admin/customers/{contact.customer_id}/").status_code == 404
    assert mailoutbox == []


def test_a_member_without_the_right_to_send_is_told_so(org, contact, mailoutbox):
    viewer = org.member("viewer").user
    viewer.language = "en"
    viewer.save(update_fields=["language"])
    client = Client()
    client.force_login(viewer)
    response = client.post(f"/portal-admin/invite/{contact.pk}/", follow=True)
    assert "You do not have the right to do this" in response.content.decode()
    assert mailoutbox == [] and not PortalAccount.objects.exists()


def test_a_member_with_an_authenticator_confirms_it_before_inviting(owner, contact, mailoutbox):
    from facturier.accounts.services import authenticator_confirm, authenticator_start

    authenticator_confirm(device=authenticator_start(user=owner.user))
    client = Client()
    client.force_login(owner.user)
    response = client.post(f"/portal-admin/invite/{contact.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/2fa/")
    assert mailoutbox == []


def test_the_command_invites_a_contact_by_email_or_id(org, contact, mailoutbox, capsys):
    call_command("portal", "invite", "--org", org.slug, "--contact", contact.email.upper())
    assert "Invitation sent to compta@client.test" in capsys.readouterr().out
    call_command("portal", "invite", "--org", org.slug, "--contact", str(contact.pk), "--print-link")
    assert f"/portal/{org.slug}/welcome/" in capsys.readouterr().out
    assert len(mailoutbox) == 2 and PortalAccount.objects.count() == 1


def test_the_command_refuses_an_unknown_contact_or_another_organisations(org, other_org, contact):
    with pytest.raises(CommandError, match="0 contacts"):
        call_command("portal", "invite", "--org", org.slug, "--contact", "nobody@client.test")
    with pytest.raises(CommandError, match="0 contacts"):
        call_command("portal", "invite", "--org", other_org.slug, "--contact", str(contact.pk))


def test_the_owner_sets_the_portals_colour(member_client, org, client):
    response = member_client.post("/portal-admin/branding/", {"accent_colour": "#0a7d4f", "welcome": "Bonjour !"})
    assert response.status_code == 302
    page = client.get(f"/portal/{org.slug}/login/").content.decode()
    assert "--accent: #0a7d4f" in page and "Bonjour !" in page


def test_a_viewer_cannot_change_the_portals_look(org):
    client = Client()
    client.force_login(org.member("viewer").user)
    assert client.post("/portal-admin/branding/", {"accent_colour": "#000000"}).status_code == 403
