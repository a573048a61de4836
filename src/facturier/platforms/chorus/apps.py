from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChorusConfig(AppConfig):
    name = "facturier.platforms.chorus"
    label = "chorus"
    verbose_name = _("Chorus Pro")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from facturier.config.leases import Outbox, register_outbox
        from facturier.platforms.chorus.models import ChorusSubmission
        from facturier.platforms.chorus.outbox import submissions_recovered

        register_outbox(Outbox(ChorusSubmission, after_recovery=submissions_recovered))
