"""Sign-in, throttling, password reset, two-factor authentication, organisations and language."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.oath import totp

from facturier.accounts.models import Authenticator

PASSWORD = "correct horse battery"


def _login(client, email, password=PASSWORD):
    return client.post(reverse("web:login"), {"username": email, "password": password}, HTTP_ACCEPT_LANGUAGE="en")


def test_anonymous_user_is_sent_to_the_sign_in_page(client, db):
    response = client.get(reverse("web:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_sign_in_with_email_and_password_opens_the_dashboard(client, owner):
    response = _login(client, owner.user.email)
    assert response.status_code == 302
    assert client.get(reverse("web:dashboard")).status_code == 200


def test_wrong_password_keeps_the_email_and_says_what_to_do(client, owner):
    response = _login(client, owner.user.email, "wrong")
    assert response.status_code == 200
    content = response.content.decode()
    assert "The e-mail address or the password is wrong" in content
    assert f'value="{owner.user.email}"' in content


def test_five_failures_lock_sign_in_for_fifteen_minutes_even_with_the_right_password(client, owner):
    for _ in range(5):
        _login(client, owner.user.email, "wrong")
    response = _login(client, owner.user.email)
    assert response.status_code == 200
    assert "locked for 15 more minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lock_is_per_address_so_another_address_can_still_sign_in(client, owner):
    for _ in range(5):
        _login(client, owner.user.email, "wrong")
    response = client.post(reverse("web:login"), {"username": owner.user.email, "password": PASSWORD},
                           REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302


def test_logout_signs_out(signed_in):
    signed_in.post(reverse("web:logout"))
    assert signed_in.get(reverse("web:dashboard")).status_code == 302


def test_password_reset_sends_a_link_that_sets_a_new_password(client, owner):
    response = client.post(reverse("web:password_reset"), {"email": owner.user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "A much longer pass 42",
                                                    "new_password2": "A much longer pass 42"})
    assert done.status_code == 302
    assert _login(client, owner.user.email, "A much longer pass 42").status_code == 302


def test_password_reset_for_an_unknown_address_reveals_nothing(client, db):
    response = client.post(reverse("web:password_reset"), {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert mail.outbox == []


def _enrol(client):
    page = client.get(reverse("web:otp_enrol"))
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    device = Authenticator.objects.get(confirmed=False)
    return device


def _code(device) -> str:
    return f"{totp(device.bin_key, step=device.STEP, digits=device.DIGITS):06d}"


def test_enrolling_an_authenticator_then_signing_in_asks_for_the_code(client, owner):
    client.force_login(owner.user)
    device = _enrol(client)
    wrong = client.post(reverse("web:otp_enrol"), {"token": "000000" if _code(device) != "000000" else "111111"})
    assert "This code is not valid" in wrong.content.decode()
    device.refresh_from_db()
    device.throttle_reset()
    assert client.post(reverse("web:otp_enrol"), {"token": _code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    client.post(reverse("web:logout"))
    response = _login(client, owner.user.email)
    assert response["Location"].startswith(reverse("web:otp_verify"))
    assert client.get(reverse("web:dashboard"))["Location"].startswith(reverse("web:otp_verify"))
    device.refresh_from_db()
    device.last_t = -1  # the enrolment used this period's code; a new period gives a new one
    device.save()
    device.throttle_reset()
    assert client.post(reverse("web:otp_verify"), {"token": _code(device)}).status_code == 302
    assert client.get(reverse("web:dashboard")).status_code == 200


def test_an_organisation_can_make_two_factor_mandatory(client, org, owner):
    clerk = org.member("clerk")
    client.force_login(owner.user)
    client.post(reverse("web:settings_security"), {"require_2fa": "on"})
    client.force_login(clerk.user)
    response = client.get(reverse("web:dashboard"))
    assert response.status_code == 302 and response["Location"] == reverse("web:otp_enrol")
    assert "requires a second factor" in client.get(reverse("web:otp_enrol")).content.decode()


def test_a_user_with_two_organisations_switches_between_them(client, org, other_org):
    from facturier.accounts.models import Role
    from facturier.accounts.services import membership_add

    membership_add(organisation=other_org, user=org.owner.user, role=Role.VIEWER)
    client.force_login(org.owner.user)
    page = client.get(reverse("web:dashboard")).content.decode()
    assert 'id="org-switch"' in page
    client.post(reverse("web:organisation_switch"), {"organisation": other_org.pk})
    assert client.session["web.organisation"] == other_org.pk
    assert "Globex" in client.get(reverse("web:dashboard")).content.decode()


def test_switching_to_an_organisation_one_is_not_a_member_of_is_refused(signed_in, other_org):
    signed_in.post(reverse("web:organisation_switch"), {"organisation": other_org.pk})
    assert signed_in.session.get("web.organisation") != other_org.pk


def test_the_interface_follows_the_users_language(signed_in, owner):
    owner.user.language = "fr"
    owner.user.save()
    assert "Factures et avoirs" in signed_in.get(reverse("web:dashboard")).content.decode()
    signed_in.post(reverse("web:language"), {"language": "en"})
    owner.user.refresh_from_db()
    assert owner.user.language == "en"
    assert "Invoices and credit notes" in signed_in.get(reverse("web:dashboard")).content.decode()


@pytest.mark.parametrize("url", ["/login/", "/password/reset/"])
def test_public_pages_render(client, db, url):
    assert client.get(url).status_code == 200


def test_a_user_without_organisation_is_told_so(client, db):
    from facturier.accounts.models import User

    user = User.objects.create_user("lonely@example.test", PASSWORD)
    client.force_login(user)
    response = client.get(reverse("web:dashboard"))
    assert response.status_code == 403 and "not a member of any organisation" in response.content.decode()


def test_the_second_factor_step_only_returns_to_this_site(client, owner):
    from django.test import RequestFactory

    from facturier.web.views.auth import _safe_next

    request = RequestFactory().post("/2fa/", {"next": "https://evil.example/"})
    assert _safe_next(request, "/") == "/"
