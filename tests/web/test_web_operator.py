"""The operator's view: every organisation's usage per subscription period and archive size, staff only."""

from __future__ import annotations

from django.urls import reverse


def test_operator_sees_every_organisation_with_its_counters(client, org, other_org, issued):
    from facturier.accounts.models import User

    staff = User.objects.create_user("ops@platform.test", "correct horse battery", is_staff=True)
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


def test_operator_link_shows_for_staff_only(signed_in, client, org):
    from facturier.accounts.models import User

    assert reverse("web:operator") not in signed_in.get(reverse("web:dashboard")).content.decode()
    staff = User.objects.create_user("ops@platform.test", "correct horse battery", is_superuser=True)
    client.force_login(staff)
    assert reverse("web:operator") in client.get(reverse("web:operator")).content.decode()


def test_operator_view_asks_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("web:operator"))
    assert response.status_code == 302 and reverse("web:login") in response["Location"]
