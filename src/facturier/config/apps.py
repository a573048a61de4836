from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfigConfig(AppConfig):
    """Hosts the project's own commands (run, worker, demo…) and system checks."""

    name = "facturier.config"
    label = "facturier_config"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from django.conf import settings

        from facturier.config import checks  # noqa: F401  (registers the system checks)
        from facturier.engine.validation import configure, saxon_isolate

        configure(settings.CONFORMANCE_DIR)
        saxon_isolate.configure(settings.FACTURIER_SAXON_YOUNG_GENERATION_MB)
