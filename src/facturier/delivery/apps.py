from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "facturier.delivery"
    label = "delivery"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("Delivery")
