from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "facturier.imports"
    label = "imports"
    verbose_name = _("Imports")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from facturier.imports import autodeliver, signals

        signals.document_imported.connect(autodeliver.on_document_imported, dispatch_uid="imports.auto_deliver")
