from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "facturier.contracts"
    label = "contracts"
    verbose_name = _("Subscription contracts")
    default_auto_field = "django.db.models.BigAutoField"
