"""Portal identities: invitations by one-time link, passwords, throttling, the authenticator, and a wall
between the portal and the company screens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from portal_helpers import PASSWORD, token_of

from facturier.portal.models import PortalAccount, PortalLink


def test_an_invitation_mails_a_one_time_link_in_the_customers_language(invitation, mailoutbox, org, contact):
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [contact.email]
    assert message.subject == f"Your customer space at {org.name}"
    assert invitation.link in message.body
    assert invitation.link.startswith(f"https://factures.example/portal/{org.slug}/welcome/")
    assert message.reply_to == []  # the test organisation's legal data has no e-mail


def test_the_link_lets_the_contact_choose_a_password_once_and_signs_it_in(client, org, invitation):
    path = invitation.link.removeprefix("https://factures.example")
    form = client.get(path)
    assert form.status_code == 200 and form["Referrer-Policy"] == "no-referrer"
    response = client.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302 and response["Location"] == f"/portal/{org.slug}/security/"
    assert client.get(f"/portal/{org.slug}/").status_code == 200
    account = PortalAccount.objects.get()
    assert account.check_password(PASSWORD) and account.activated_at is not None
    again = client.get(path)
    assert again.status_code == 410
    assert "already used" in again.content.decode()


def test_a_weak_password_is_refused_and_the_link_stays_valid(client, invitation):
    path = invitation.link.removeprefix("https://factures.example")
    response = client.post(path, {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200 and response.context["form"].errors
    assert client.get(path).status_code == 200


def test_an_expired_link_does_not_open_the_account(client, invitation):
    PortalLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    path = invitation.link.removeprefix("https://factures.example")
    assert client.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD}).status_code == 410
    assert not PortalAccount.objects.get().has_usable_password()


def test_a_new_invitation_replaces_the_previous_link(owner, contact, invitation, client):
    from facturier.portal.services import portal_invite

    newer = portal_invite(by=owner, contact_id=contact.pk)
    assert client.get(invitation.link.removeprefix("https://factures.example")).status_code == 410
    assert client.get(newer.link.removeprefix("https://factures.example")).status_code == 200
    assert PortalAccount.objects.count() == 1


def test_a_link_of_one_organisation_does_not_open_another_organisations_portal(client, other_org, invitation):
    assert client.get(f"/portal/{other_org.slug}/welcome/{token_of(invitation.link)}/").status_code == 410


def test_inviting_needs_the_right_to_send(org, contact, mailoutbox):
    from facturier.accounts.services import RightMissing
    from facturier.portal.services import portal_invite

    viewer = org.member("viewer")
    with pytest.raises(RightMissing):
        portal_invite(by=viewer, contact_id=contact.pk)
    assert mailoutbox == [] and not PortalAccount.objects.exists()


def test_a_member_cannot_invite_another_organisations_contact(other_org, contact, mailoutbox):
    from facturier.portal.services import ContactNotInvitable, portal_invite

    with pytest.raises(ContactNotInvitable):
        portal_invite(by=other_org.owner, contact_id=contact.pk)
    assert mailoutbox == []


def test_a_contact_without_an_address_cannot_be_invited(owner, contact):
    from facturier.portal.services import ContactNotInvitable, portal_invite

    contact.email = ""
    contact.save()
    with pytest.raises(ContactNotInvitable):
        portal_invite(by=owner, contact_id=contact.pk)


def test_five_failed_sign_ins_lock_the_address_even_with_the_right_password(client, org, account):
    url = f"/portal/{org.slug}/login/"
    for _ in range(5):
        assert client.post(url, {"email": account.email, "password": "wrong"}).status_code in (401, 429)
    locked = client.post(url, {"email": account.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert client.get(f"/portal/{org.slug}/").status_code == 302


def test_the_portal_throttle_does_not_lock_the_company_sign_in(client, org, account):
    from facturier.web import security

    for _ in range(5):
        client.post(f"/portal/{org.slug}/login/", {"email": account.email, "password": "wrong"})
    assert security.locked_for(account.email, "127.0.0.1") == 0


def _code(account: PortalAccount, *, step: int = 0) -> str:
    import time

    from django_otp.oath import TOTP

    from facturier.portal.services import totp_key

    totp = TOTP(totp_key(account), step=30, t0=0, digits=6)
    totp.time = time.time() + 30 * step
    return f"{totp.token():06d}"


def test_with_an_authenticator_the_sign_in_asks_for_a_code_used_once(portal, client, org, account):
    assert portal.get(f"/portal/{org.slug}/security/").status_code == 200
    account.refresh_from_db()
    assert portal.post(f"/portal/{org.slug}/security/", {"code": _code(account)}).status_code == 302
    account.refresh_from_db()
    assert account.totp_confirmed
    portal.post(f"/portal/{org.slug}/logout/")
    response = portal.post(f"/portal/{org.slug}/login/", {"email": account.email, "password": PASSWORD})
    assert response["Location"].startswith(f"/portal/{org.slug}/2fa/")
    assert portal.get(f"/portal/{org.slug}/")["Location"].startswith(f"/portal/{org.slug}/2fa/")
    # The code just used to turn it on is refused; the next one opens the space.
    assert portal.post(f"/portal/{org.slug}/2fa/", {"code": _code(account)}).status_code == 401
    assert portal.post(f"/portal/{org.slug}/2fa/", {"code": _code(account, step=1)}).status_code == 302
    assert portal.get(f"/portal/{org.slug}/").status_code == 200


def test_the_authenticator_key_is_sealed_at_rest(portal, org, account):
    portal.get(f"/portal/{org.slug}/security/")
    account.refresh_from_db()
    from facturier.portal.services import totp_key

    assert len(totp_key(account)) == 20 and totp_key(account) not in bytes(account.totp_key)


def test_a_portal_user_gets_nothing_from_the_company_screens(portal, org, archived):
    for url in ("/", f"/documents/{archived.pk}/", f"/documents/{archived.pk}/facturx/", "/customers/",
                "/settings/", f"/portal-admin/customers/{org.customer.pk}/"):
        response = portal.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    assert portal.post(f"/portal-admin/invite/{org.customer.contacts.get().pk}/").status_code == 302
    assert "_auth_user_id" not in portal.session


def test_portal_credentials_do_not_open_the_company_sign_in(client, account):
    response = client.post("/login/", {"username": account.email, "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_a_company_member_signed_in_is_not_signed_in_to_the_portal(signed_in_member, org):
    assert signed_in_member.get(f"/portal/{org.slug}/")["Location"].startswith(f"/portal/{org.slug}/login/")


@pytest.fixture
def signed_in_member(client, owner):
    client.force_login(owner.user)
    return client


def test_closing_an_access_ends_its_open_sessions(portal, org, owner, contact):
    from facturier.portal.services import portal_revoke

    portal_revoke(by=owner, contact_id=contact.pk)
    assert portal.get(f"/portal/{org.slug}/").status_code == 302
    response = portal.post(f"/portal/{org.slug}/login/", {"email": contact.email, "password": PASSWORD})
    assert response.status_code == 401


def test_a_new_password_link_goes_only_to_an_existing_account_and_the_answer_is_the_same(
        client, org, account, mailoutbox):
    mailoutbox.clear()
    url = f"/portal/{org.slug}/password/"
    known = client.post(url, {"email": account.email})
    unknown = client.post(url, {"email": "nobody@client.test"})
    assert known.status_code == unknown.status_code == 200
    assert known.context["done"] and unknown.context["done"]
    assert [m.to for m in mailoutbox] == [[account.email]]
    link = next(line for line in mailoutbox[0].body.splitlines() if "/welcome/" in line)
    new = "Another-tulip-2027!"
    response = client.post(link.removeprefix("https://factures.example"),
                           {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.check_password(new)


def test_the_invitation_reads_in_french_for_a_french_customer(owner, contact, mailoutbox):
    from facturier.portal.services import portal_invite

    portal_invite(by=owner, contact_id=contact.pk)
    assert mailoutbox[0].subject == "Votre espace client chez Acme"


def test_a_contact_moved_to_another_customer_loses_the_access(portal, org, owner, contact):
    from facturier.parties.services import customer_create

    elsewhere = customer_create(by=owner, code="C009", name="Ailleurs SA", effective_from=dt.date(2020, 1, 1),
                                billing_address={"line1": "9 rue Loin", "postcode": "13001", "city": "Marseille"})
    contact.customer = elsewhere
    contact.save()
    assert portal.get(f"/portal/{org.slug}/").status_code == 302


def test_fields_with_errors_are_marked_for_assistive_technologies(client, org, account):
    page = client.post(f"/portal/{org.slug}/2fa/", {"code": ""})
    assert page.status_code == 302  # not signed in: back to the sign-in page
    response = client.post(f"/portal/{org.slug}/login/", {"email": "not-an-address", "password": "x"})
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and 'for="id_email"' in html


def test_five_wrong_codes_pause_the_second_step_from_any_address(portal, client, org, account):
    portal.get(f"/portal/{org.slug}/security/")
    account.refresh_from_db()
    portal.post(f"/portal/{org.slug}/security/", {"code": _code(account)})
    portal.post(f"/portal/{org.slug}/logout/")
    portal.post(f"/portal/{org.slug}/login/", {"email": account.email, "password": PASSWORD})
    for _ in range(5):
        assert portal.post(f"/portal/{org.slug}/2fa/", {"code": "000000"}).status_code in (401, 429)
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    elsewhere.post(f"/portal/{org.slug}/login/", {"email": account.email, "password": PASSWORD})
    assert elsewhere.post(f"/portal/{org.slug}/2fa/", {"code": _code(account, step=1)}).status_code == 429
