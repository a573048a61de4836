"""The platform's own tables: the registry of running workers, whose heartbeats are the leases
of everything they claim (`facturier.config.leases`)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Worker(models.Model):
    """A process that claims work (a `facturier worker`, or a web process running a task at once).

    Alive while its heartbeat is fresh; once recovery finds it dead (`stopped_at` set), what it
    claimed is given back, and the process itself may claim nothing more under this id.
    """

    id = models.CharField(_("worker id"), max_length=64, primary_key=True)
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started"))
    heartbeat_at = models.DateTimeField(_("last heartbeat"), db_index=True)
    stopped_at = models.DateTimeField(_("stopped or found dead"), null=True, blank=True)

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")

    def __str__(self) -> str:
        return f"{self.id} ({self.host}:{self.pid})"


class LeasedClaim(models.Model):
    """The claim columns every outbox row carries (e-mail now; connectors and platforms later).

    A row is claimed by a worker (pending → sending, `claimed_by`), its irreversible step is
    recorded as begun (`transfer_started_at`) before it is taken, and its outcome after. A row
    whose worker died is given back when the transfer had not begun, and left "unknown" for a
    person to decide when it had: it is never repeated blindly.
    """

    PENDING = "pending"
    SENDING = "sending"
    UNKNOWN = "unknown"

    claimed_by = models.CharField(_("claimed by worker"), max_length=64, blank=True, db_index=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    transfer_started_at = models.DateTimeField(_("transfer begun at"), null=True, blank=True)

    class Meta:
        abstract = True
