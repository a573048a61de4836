"""Adding a member is an invitation the invitee accepts: nobody is attached to an organisation without consent."""

from __future__ import annotations

import datetime as dt
import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from facturier.accounts.models import Invitation, Membership, User

PASSWORD = "correct horse battery"


def _invite(signed_in, email, role="clerk"):
    response = signed_in.post(reverse("web:settings_member_add"), {"email": email, "full_name": "", "role": role},
                              follow=True)
    assert response.status_code == 200
    return response


def _link(email) -> str:
    message = next(m for m in reversed(mail.outbox) if m.to == [email])
    return re.search(r"https?://[^/\s]+(/invitation/[^/\s]+/)", message.body).group(1)


def test_adding_an_existing_platform_user_only_invites_them(signed_in, org, other_org):
    stranger = other_org.owner.user
    page = _invite(signed_in, stranger.email).content.decode()
    assert "Invitation sent to" in page
    assert not Membership.objects.filter(organisation=org, user=stranger).exists()
    assert len(mail.outbox) == 1 and "Acme" in mail.outbox[0].subject
    assert Invitation.objects.get(email=stranger.email).digest not in mail.outbox[0].body  # only the digest is kept


def test_the_invitee_signed_in_as_the_address_accepts_and_joins_with_the_role(signed_in, org, other_org):
    stranger = other_org.owner.user
    _invite(signed_in, stranger.email, role="accountant")
    link = _link(stranger.email)
    invitee = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = invitee.get(link)
    assert page.status_code == 200 and "Sign in as" in page.content.decode()
    login = invitee.post(f"/login/?next={link}", {"username": stranger.email, "password": PASSWORD,
                                                  "next": link})
    assert login["Location"] == link
    assert "Accept and join" in invitee.get(link).content.decode()
    assert not Membership.objects.filter(organisation=org, user=stranger).exists()
    assert invitee.post(link)["Location"] == reverse("web:dashboard")
    membership = Membership.objects.get(organisation=org, user=stranger)
    assert membership.role == "accountant" and membership.can_issue
    assert invitee.get(reverse("web:dashboard")).context["request"].member.organisation == org


def test_someone_signed_in_as_another_address_cannot_accept(signed_in, org, other_org):
    stranger = other_org.owner.user
    _invite(signed_in, stranger.email)
    link = _link(stranger.email)
    intruder = Client()
    intruder.force_login(org.member("viewer").user)
    assert intruder.get(link).status_code == 403
    intruder.post(link)
    assert not Membership.objects.filter(organisation=org, user=stranger).exists()


def test_the_link_works_once(signed_in, org, other_org):
    stranger = other_org.owner.user
    _invite(signed_in, stranger.email)
    link = _link(stranger.email)
    invitee = Client()
    invitee.force_login(stranger)
    invitee.post(link)
    Membership.objects.filter(organisation=org, user=stranger).delete()
    assert invitee.get(link).status_code == 404
    invitee.post(link)
    assert not Membership.objects.filter(organisation=org, user=stranger).exists()


def test_an_expired_link_is_refused(signed_in, org, other_org):
    stranger = other_org.owner.user
    _invite(signed_in, stranger.email)
    link = _link(stranger.email)
    Invitation.objects.update(expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    invitee = Client()
    invitee.force_login(stranger)
    assert invitee.post(link).status_code == 404
    assert not Membership.objects.filter(organisation=org, user=stranger).exists()


def test_a_new_person_chooses_a_password_when_accepting(signed_in, org):
    _invite(signed_in, "new@acme.test")
    assert not User.objects.filter(email="new@acme.test").exists()
    link = _link("new@acme.test")
    newcomer = Client()
    weak = newcomer.post(link, {"full_name": "Nouveau", "password1": "123", "password2": "123"})
    assert weak.status_code == 422 and not User.objects.filter(email="new@acme.test").exists()
    done = newcomer.post(link, {"full_name": "Nouveau", "password1": "A much longer pass 42",
                                "password2": "A much longer pass 42"})
    assert done["Location"] == reverse("web:dashboard")
    assert newcomer.get(reverse("web:dashboard")).status_code == 200
    member = Membership.objects.get(organisation=org, user__email="new@acme.test")
    assert member.role == "clerk" and member.user.check_password("A much longer pass 42")
    assert Client().post("/login/", {"username": "new@acme.test", "password": "A much longer pass 42"}).status_code \
        == 302


def test_a_member_without_the_right_cannot_invite(client_of, org):
    clerk = client_of(org.member("clerk"))
    clerk.post(reverse("web:settings_member_add"), {"email": "x@acme.test", "role": "owner"})
    assert not Invitation.objects.exists() and mail.outbox == []


def test_inviting_a_current_member_says_so(signed_in, org):
    clerk = org.member("clerk")
    page = signed_in.post(reverse("web:settings_member_add"), {"email": clerk.user.email, "role": "owner"})
    assert page.status_code == 422 and "already a member" in page.content.decode()


def test_the_administration_site_cannot_attach_a_platform_user_either(client, org, other_org):
    owner = org.owner.user
    owner.is_staff = True
    owner.save()
    client.force_login(owner)
    stranger = other_org.owner.user
    response = client.post("/admin/accounts/membership/add/", {
        "user": stranger.pk, "organisation": org.pk, "role": "viewer", "is_active": "on"})
    assert response.status_code == 403
    assert not Membership.objects.filter(organisation=org, user=stranger).exists()
