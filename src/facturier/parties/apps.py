from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartiesConfig(AppConfig):
    name = "facturier.parties"
    label = "parties"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("Parties")
