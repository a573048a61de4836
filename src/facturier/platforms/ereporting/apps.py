from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EreportingConfig(AppConfig):
    name = "facturier.platforms.ereporting"
    label = "ereporting"
    verbose_name = _("E-reporting")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from facturier.platforms.ereporting.signals import connect

        connect()
