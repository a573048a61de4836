"""Existing authenticators of company users move from django-otp's clear-text table to sealed keys."""

from binascii import unhexlify

from django.db import migrations


def seal_existing(apps, schema_editor):
    from facturier.secrets import seal_secret

    clear = apps.get_model("otp_totp", "TOTPDevice")
    sealed = apps.get_model("accounts", "Authenticator")
    for device in clear.objects.all().iterator():
        # The key settings of the old devices were django-otp's defaults (30 s, 6 digits, t0 = 0), which
        # the new model fixes; a device with other settings would stop matching, so it is refused loudly.
        if (device.step, device.digits, device.t0) != (30, 6, 0):
            raise RuntimeError(f"Authenticator {device.pk} has settings this version cannot keep; "
                               "remove it and enrol again.")
        new = sealed.objects.create(user_id=device.user_id, name=device.name, confirmed=device.confirmed,
                                    last_t=device.last_t, drift=device.drift, sealed_key=b"")
        new.sealed_key = seal_secret(unhexlify(device.key.encode()), purpose=f"company-totp:{new.pk}")
        new.save(update_fields=["sealed_key"])
    clear.objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_authenticator_sealed_key"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
    ]
