from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfigConfig(AppConfig):
    """Hosts the project's own commands (run, worker, demo…) and system checks."""

    name = "facturier.config"
    label = "facturier_config"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from facturier.config import checks  # noqa: F401  (registers the system checks)
