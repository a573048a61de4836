from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    name = "facturier.archive"
    label = "archive"
    verbose_name = _("Archive")

    def ready(self) -> None:
        from facturier.archive import signals  # noqa: F401 — chains every audit event into the journal
        from facturier.config.leases import lease, register_recovery

        def recover_ingest():
            from facturier.archive.services import archive_recover

            return archive_recover(older_than=lease())

        register_recovery("archive", recover_ingest)
