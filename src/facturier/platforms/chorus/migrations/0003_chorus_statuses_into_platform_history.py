"""Chorus Pro statuses recorded before they went to the document's platform status: copied into
`PlatformStatusEvent` (source "chorus") and `PlatformState`, so the dashboard, the history, the portal and the
API show them like the new ones. Nobody is notified again: these statuses were notified when they arrived."""

from django.db import migrations


def copy_statuses(apps, schema_editor):
    ChorusSubmission = apps.get_model("chorus", "ChorusSubmission")
    ChorusStatusEvent = apps.get_model("chorus", "ChorusStatusEvent")
    PlatformStatusEvent = apps.get_model("platforms", "PlatformStatusEvent")
    PlatformState = apps.get_model("platforms", "PlatformState")
    for submission in ChorusSubmission.objects.exclude(status="").iterator():
        if PlatformStatusEvent.objects.filter(document_id=submission.document_id, source="chorus").exists():
            continue
        PlatformStatusEvent.objects.bulk_create([PlatformStatusEvent(
            organisation_id=submission.organisation_id, document_id=submission.document_id, source="chorus",
            code=e.status, reason_text=e.reason[:1000], status_at=e.at, readable=True,
            validation={"ok": True, "note": "Chorus Pro API status (JSON), no CDAR"})
            for e in ChorusStatusEvent.objects.filter(submission_id=submission.pk).order_by("at", "id")])
        PlatformState.objects.update_or_create(document_id=submission.document_id, defaults={
            "organisation_id": submission.organisation_id, "code": submission.status,
            "reason_text": submission.status_reason[:1000], "status_at": submission.status_at})
        PlatformState.objects.filter(document_id=submission.document_id, channel="").update(channel="chorus")


class Migration(migrations.Migration):

    dependencies = [
        ("chorus", "0002_buyer_rules_read_from_chorus_pro"),
        ("platforms", "0004_platform_status_codes_hold_chorus_statuses"),
    ]

    operations = [migrations.RunPython(copy_statuses, migrations.RunPython.noop)]
