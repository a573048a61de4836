from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChorusConfig(AppConfig):
    name = "facturier.platforms.chorus"
    label = "chorus"
    verbose_name = _("Chorus Pro")
    default_auto_field = "django.db.models.BigAutoField"
