from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformsConfig(AppConfig):
    name = "facturier.platforms"
    label = "platforms"
    verbose_name = _("Approved platforms")
    default_auto_field = "django.db.models.BigAutoField"
