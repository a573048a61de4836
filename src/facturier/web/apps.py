from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "facturier.web"
    label = "web"
    verbose_name = _("Screens")
    default_auto_field = "django.db.models.BigAutoField"
