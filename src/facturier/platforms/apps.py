from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformsConfig(AppConfig):
    name = "facturier.platforms"
    label = "platforms"
    verbose_name = _("Approved platforms")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from facturier.config.leases import Outbox, register_outbox
        from facturier.platforms.outbox import submissions_recovered
        from facturier.platforms.submissions import PlatformSubmission

        register_outbox(Outbox(PlatformSubmission, after_recovery=submissions_recovered))
