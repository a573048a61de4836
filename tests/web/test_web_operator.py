"""The operator's view: every organisation's usage per subscription period and archive size, platform operators
only (a role of the platform, separate from organisation membership and from the administration site)."""

from __future__ import annotations

from django.urls import reverse


def test_operator_sees_every_organisation_with_its_counters(client, org, other_org, issued):
    from facturier.accounts.models import User

    staff = User.objects.create_user("ops@platform.test", "correct horse battery", is_platform_operator=True)
    client.force_login(staff)
    response = client.get(reverse("web:operator"))
    assert response.status_code == 200
    rows = {r.organisation.slug: r for r in response.context["rows"]}
    assert set(rows) >= {"acme", "globex"}
    assert rows["acme"].issued_total == 1 and rows["globex"].issued_total == 0
    assert rows["acme"].archived_total is not None and rows["acme"].period_start is not None
    page = response.content.decode()
    assert "Acme" in page and "Globex" in page
    assert issued.number not in page  # counters only, never documents
    assert [r.organisation.slug for r in client.get(reverse("web:operator"), {"q": "glob"}).context["rows"]] \
        == ["globex"]


def test_operator_view_is_forbidden_to_organisation_owners(signed_in):
    response = signed_in.get(reverse("web:operator"))
    assert response.status_code == 403
    assert "operators only" in response.content.decode()


def test_operator_link_shows_for_platform_operators_only(signed_in, client, org):
    from facturier.accounts.models import User

    assert reverse("web:operator") not in signed_in.get(reverse("web:dashboard")).content.decode()
    staff = User.objects.create_superuser("ops@platform.test", "correct horse battery")
    client.force_login(staff)
    assert reverse("web:operator") in client.get(reverse("web:operator")).content.decode()


def test_operator_view_asks_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("web:operator"))
    assert response.status_code == 302 and reverse("web:login") in response["Location"]


def test_staff_of_an_organisation_who_may_use_the_admin_is_not_a_platform_operator(client, org):
    owner = org.owner.user
    owner.is_staff = True  # may use the administration site, scoped to its organisation
    owner.save()
    client.force_login(owner)
    response = client.get(reverse("web:operator"))
    assert response.status_code == 403 and "operators only" in response.content.decode()
    assert reverse("web:operator") not in client.get(reverse("web:dashboard")).content.decode()


def test_the_platform_makes_an_organisation_owner_an_operator_and_takes_the_role_back(client, org, capsys):
    from django.core.management import call_command

    from facturier.audit.models import Event

    client.force_login(org.owner.user)
    call_command("operator", "grant", org.owner.user.email)
    assert client.get(reverse("web:operator")).status_code == 200
    call_command("operator", "list")
    assert org.owner.user.email in capsys.readouterr().out
    call_command("operator", "revoke", org.owner.user.email)
    assert client.get(reverse("web:operator")).status_code == 403
    assert Event.objects.filter(action="platform.operator").count() == 2


def test_an_organisation_owner_cannot_make_anyone_an_operator_in_the_administration_site(client, org):
    from django.contrib.auth.models import Permission

    owner = org.owner.user
    owner.is_staff = True
    owner.save()
    clerk = org.member("clerk").user
    owner.user_permissions.add(*Permission.objects.filter(codename="change_user"))
    client.force_login(owner)
    page = client.get(f"/admin/accounts/user/{clerk.pk}/change/")
    assert page.status_code == 200
    saved = client.post(f"/admin/accounts/user/{clerk.pk}/change/", {
        "email": clerk.email, "full_name": "Claire", "language": "en", "is_active": "on", "is_platform_operator": "on",
        "is_staff": "on", "is_superuser": "on", "last_login_0": "", "last_login_1": "",
        "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"})
    assert saved.status_code == 302
    clerk.refresh_from_db()
    assert clerk.full_name == "Claire"
    assert not clerk.is_platform_operator and not clerk.is_superuser and not clerk.is_staff
