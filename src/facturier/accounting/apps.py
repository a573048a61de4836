from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountingConfig(AppConfig):
    name = "facturier.accounting"
    label = "accounting"
    verbose_name = _("Accounting")
    default_auto_field = "django.db.models.BigAutoField"
