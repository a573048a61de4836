"""Settings → Archive: retention (never below 6 years) and the counters of archived documents."""

from __future__ import annotations

from django.urls import reverse

from facturier.archive.models import ArchivePolicy
from facturier.audit.models import Event


def test_archive_section_shows_counters_and_retention(signed_in, org, issued):
    from facturier.archive.selectors import archive_counters

    counters = archive_counters(organisation=org)
    page = signed_in.get(reverse("web:settings")).content.decode()
    assert 'id="archive"' in page and "Documents archived in total" in page
    assert f'<dd>{counters.total}</dd>' in page
    assert "Archived this subscription period" in page
    assert page.count('id="archive"') == 1 and "<title>Settings · Facturier</title>" in page


def test_retention_is_saved_and_audited(signed_in, org):
    response = signed_in.post(reverse("web:settings_archive"), {"retention_years": "11",
                                                                "subscription_anniversary": "2025-07-01"})
    assert response.status_code == 302
    policy = ArchivePolicy.objects.get(organisation=org)
    assert policy.retention_years == 11 and str(policy.subscription_anniversary) == "2025-07-01"
    assert Event.objects.filter(organisation=org, action="archive_policy.update").exists()
    page = signed_in.get(reverse("web:settings")).content.decode()
    assert "11 years" in page and 'value="2025-07-01"' in page


def test_retention_below_six_years_is_refused_with_the_reason(signed_in, org):
    response = signed_in.post(reverse("web:settings_archive"), {"retention_years": "5",
                                                                "subscription_anniversary": "2025-07-01"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "at least 6 years" in page and 'value="5"' in page and 'value="2025-07-01"' in page
    assert not ArchivePolicy.objects.filter(organisation=org, retention_years=5).exists()


def test_archive_settings_need_the_right_and_stay_in_the_organisation(client_of, org, other_org):
    accountant = client_of(org.member("accountant"))
    assert accountant.post(reverse("web:settings_archive"), {"retention_years": "20"}).status_code == 403
    assert not ArchivePolicy.objects.filter(retention_years=20).exists()
    client_of(other_org.owner).post(reverse("web:settings_archive"), {"retention_years": "12"})
    assert ArchivePolicy.objects.get(organisation=other_org).retention_years == 12
    assert not ArchivePolicy.objects.filter(organisation=org, retention_years=12).exists()
