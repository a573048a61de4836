from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "facturier.documents"
    label = "documents"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("Documents")
