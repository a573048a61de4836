"""The archive: encrypted artefacts, their hash-chained journal, sealed checkpoints, keys, retention.

One journal per organisation. Its head (`JournalHead`) is one row locked with
`select_for_update` by every append, so sequence numbers are gapless and each entry links
to the previous one. Journal records and checkpoints are append-only (the model, its
queryset and database triggers refuse updates and deletes); an archived artefact may only
lose its content key (purge, crypto-shredding), gain a purge date, or go on and off legal
hold — its proven metadata never changes (triggers again).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.audit import models as audit_models
from facturier.engine.archive import Checkpoint as SealedCheckpoint
from facturier.engine.archive import JournalEntry
from facturier.engine.archive.journal import GENESIS_HASH
from facturier.errors import FacturierError

MINIMUM_RETENTION_YEARS = 6
DEFAULT_RETENTION_YEARS = 10


class ArchiveIsAppendOnly(FacturierError):
    code = "archive_append_only"


class AppendOnly(audit_models.AppendOnly):
    append_only_error = ArchiveIsAppendOnly
    append_only_message = _("The archive journal and its checkpoints cannot be changed or deleted.")

    class Meta:
        abstract = True


def journal_id(organisation) -> str:
    """The organisation's stable identifier in the journal and in encryption AADs (its id, never its slug)."""
    return str(organisation.pk if hasattr(organisation, "pk") else organisation)


class ArchivePolicy(models.Model):
    """How long an organisation's archive is kept, and when its subscription periods start."""

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.CASCADE,
                                        related_name="archive_policy", verbose_name=_("organisation"))
    retention_years = models.PositiveSmallIntegerField(
        _("retention (years)"), default=DEFAULT_RETENTION_YEARS,
        validators=[MinValueValidator(MINIMUM_RETENTION_YEARS)],
        help_text=_("How long archived documents are kept: never less than 6 years, the tax authorities' right of "
                    "inspection (art. L102 B of the Livre des procédures fiscales); 10 years by default, as the "
                    "Code de commerce asks for accounting records (art. L123-22)."))
    subscription_anniversary = models.DateField(
        _("subscription anniversary"), null=True, blank=True,
        help_text=_("Start of the first subscription period; counters restart on each anniversary. "
                    "Empty: the organisation's creation date."))

    class Meta:
        verbose_name = _("archive policy")
        verbose_name_plural = _("archive policies")
        constraints = [models.CheckConstraint(condition=models.Q(retention_years__gte=MINIMUM_RETENTION_YEARS),
                                              name="archive_retention_at_least_6_years")]

    def __str__(self) -> str:
        return f"{self.organisation} — {self.retention_years}"


class OrganisationKey(models.Model):
    """One version of an organisation's data key, wrapped by the master key."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    version = models.PositiveIntegerField(_("version"))
    wrapped = models.BinaryField(_("wrapped key"), editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        verbose_name = _("organisation data key")
        verbose_name_plural = _("organisation data keys")
        constraints = [models.UniqueConstraint(fields=["organisation", "version"], name="archive_key_version")]

    def __str__(self) -> str:
        return f"{self.organisation} v{self.version}"


class JournalHead(models.Model):
    """The last entry of an organisation's journal: the row every append locks."""

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.PROTECT, related_name="+",
                                        verbose_name=_("organisation"))
    seq = models.PositiveBigIntegerField(_("last seq"), default=0)
    hash = models.CharField(_("last hash"), max_length=64, default=GENESIS_HASH)
    recorded_at = models.DateTimeField(_("last recorded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("journal head")
        verbose_name_plural = _("journal heads")

    def __str__(self) -> str:
        return f"{self.organisation} #{self.seq}"


class EntryKind(models.TextChoices):
    ARTEFACT = "artefact", _("Archived file")
    AUDIT = "audit", _("Audit event")
    TOMBSTONE = "tombstone", _("Purge (tombstone)")
    CHECKPOINT = "checkpoint", _("Checkpoint")


class JournalRecord(AppendOnly):
    """One link of an organisation's journal (see `facturier.engine.archive.JournalEntry`)."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    seq = models.PositiveBigIntegerField(_("seq"))
    kind = models.CharField(_("kind"), max_length=12, choices=EntryKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    payload_digest = models.CharField(_("payload digest"), max_length=64)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    entry_hash = models.CharField(_("entry hash"), max_length=64)
    recorded_at = models.DateTimeField(_("recorded at"))
    ref = models.PositiveBigIntegerField(_("refers to seq"), null=True, blank=True)
    metadata = models.JSONField(_("metadata"), null=True, blank=True,
                                help_text=_("Kept here for tombstones; artefacts and audit events keep theirs in "
                                            "their own rows."))

    class Meta:
        verbose_name = _("journal record")
        verbose_name_plural = _("journal records")
        ordering = ["organisation", "seq"]
        constraints = [models.UniqueConstraint(fields=["organisation", "seq"], name="archive_journal_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.subject}"

    def as_entry(self, organisation_key: str | None = None) -> JournalEntry:
        return JournalEntry(
            seq=self.seq, kind=self.kind, organisation=organisation_key or journal_id(self.organisation_id),
            subject=self.subject, payload_digest=self.payload_digest, prev_hash=self.prev_hash,
            entry_hash=self.entry_hash, recorded_at=self.recorded_at.astimezone(dt.UTC), ref=self.ref)


class ArtefactKind(models.TextChoices):
    FACTURX_PDF = "facturx_pdf", _("Factur-X PDF")
    XML = "xml", _("Invoice XML (CII)")
    STATUS = "status", _("Status or receipt")


SINGLE_PER_DOCUMENT = (ArtefactKind.FACTURX_PDF, ArtefactKind.XML)
MEDIA_TYPES = {ArtefactKind.FACTURX_PDF: "application/pdf", ArtefactKind.XML: "application/xml",
               ArtefactKind.STATUS: "application/json"}


ENTRY_MUTABLE = frozenset({"wrapped_key", "key_version", "purged_at", "legal_hold"})
"""What may change on an archived file after it is recorded (database triggers enforce the same list)."""


class ArchiveEntryQuerySet(models.QuerySet):
    def delete(self):
        AppendOnly.refuse_change()


class ArchiveEntry(models.Model):
    """An archived file: where its encrypted blob is, what it proves, whose it is, how long it is kept."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT,
                                     related_name="archive_entries", verbose_name=_("organisation"))
    document = models.ForeignKey("invoicing.Document", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="archive_entries", verbose_name=_("document"))
    kind = models.CharField(_("kind"), max_length=12, choices=ArtefactKind.choices)
    filename = models.CharField(_("file name"), max_length=200)
    media_type = models.CharField(_("media type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64)
    blob_sha256 = models.CharField(_("SHA-256 of the encrypted blob"), max_length=64)
    storage_key = models.CharField(_("storage key"), max_length=400)
    reference = models.CharField(_("reference"), max_length=200,
                                 help_text=_("The journal subject, also bound to the encryption."))
    wrapped_key = models.BinaryField(_("wrapped content key"), null=True, blank=True, editable=False,
                                     help_text=_("Destroyed at purge (crypto-shredding)."))
    key_version = models.PositiveIntegerField(_("data key version"))
    timestamp_token = models.BinaryField(_("RFC 3161 time-stamp token"), editable=False)
    timestamped_at = models.DateTimeField(_("time-stamped at"))
    journal_seq = models.PositiveBigIntegerField(_("journal seq"))
    owner_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("issued by"))
    customer = models.ForeignKey("parties.Customer", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("recipient"))
    document_number = models.CharField(_("document number"), max_length=40, blank=True)
    document_date = models.DateField(_("document date"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"))
    retention_until = models.DateField(_("kept until"))
    legal_hold = models.BooleanField(_("legal hold"), default=False,
                                     help_text=_("Never purged while set (litigation, tax audit)."))
    purged_at = models.DateTimeField(_("purged at"), null=True, blank=True)

    objects = ArchiveEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("archived file")
        verbose_name_plural = _("archived files")
        ordering = ["organisation", "journal_seq"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "fingerprint", "kind"], name="archive_entry_once"),
            models.UniqueConstraint(fields=["document", "kind"], condition=models.Q(kind__in=SINGLE_PER_DOCUMENT),
                                    name="archive_entry_once_per_document"),
            models.UniqueConstraint(fields=["organisation", "journal_seq"], name="archive_entry_seq"),
        ]
        indexes = [models.Index(fields=["organisation", "archived_at"], name="archive_entry_org_date"),
                   models.Index(fields=["retention_until"], name="archive_entry_retention")]

    def __str__(self) -> str:
        return f"{self.document_number or self.reference} {self.get_kind_display()}"

    def save(self, *args, update_fields=None, **kwargs):
        if not self._state.adding and (update_fields is None or not set(update_fields) <= ENTRY_MUTABLE):
            raise ArchiveIsAppendOnly(_("An archived file's proven data cannot change: only its content key "
                                        "(purge, key rotation) and its legal hold can."))
        super().save(*args, update_fields=update_fields, **kwargs)

    def delete(self, *args, **kwargs):
        AppendOnly.refuse_change()

    @property
    def is_purged(self) -> bool:
        return not self.wrapped_key

    def metadata(self) -> dict:
        """What the journal entry proves about this file (its digest is the entry's payload_digest)."""
        return {
            "fingerprint": self.fingerprint, "size": self.size, "kind": self.kind, "media_type": self.media_type,
            "filename": self.filename, "organisation": journal_id(self.organisation_id),
            "document": self.document_id, "number": self.document_number,
            "date": self.document_date.isoformat() if self.document_date else None,
            "owner": self.owner_user_id, "recipient": self.customer_id,
            "retention_until": self.retention_until.isoformat(),
        }


class Checkpoint(AppendOnly):
    """A sealed checkpoint of an organisation's journal (see `facturier.engine.archive.Checkpoint`)."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    number = models.PositiveIntegerField(_("number"))
    first_seq = models.PositiveBigIntegerField(_("first seq"))
    last_seq = models.PositiveBigIntegerField(_("last seq"))
    size = models.PositiveBigIntegerField(_("entries"))
    head_hash = models.CharField(_("head hash"), max_length=64)
    merkle_root = models.CharField(_("Merkle root"), max_length=64)
    period_start = models.DateTimeField(_("period start"))
    period_end = models.DateTimeField(_("period end"))
    sealed_at = models.DateTimeField(_("sealed at"))
    previous = models.CharField(_("previous checkpoint digest"), max_length=64)
    algorithm = models.CharField(_("signature algorithm"), max_length=40)
    key_id = models.CharField(_("operator key id"), max_length=64)
    signature = models.TextField(_("signature (base64)"))
    timestamp_token = models.TextField(_("time-stamp token (base64)"))

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["organisation", "number"]
        constraints = [models.UniqueConstraint(fields=["organisation", "number"], name="archive_checkpoint_number")]

    def __str__(self) -> str:
        return f"#{self.number} ({self.first_seq}–{self.last_seq})"

    def sealed(self) -> SealedCheckpoint:
        return SealedCheckpoint(
            journal=journal_id(self.organisation_id), number=self.number, first_seq=self.first_seq,
            last_seq=self.last_seq, size=self.size, head_hash=self.head_hash, merkle_root=self.merkle_root,
            period_start=self.period_start.astimezone(dt.UTC), period_end=self.period_end.astimezone(dt.UTC),
            sealed_at=self.sealed_at.astimezone(dt.UTC), previous=self.previous, algorithm=self.algorithm,
            key_id=self.key_id, signature=self.signature, timestamp_token=self.timestamp_token)

    @classmethod
    def from_sealed(cls, organisation, checkpoint: SealedCheckpoint) -> Checkpoint:
        return cls(organisation=organisation, number=checkpoint.number, first_seq=checkpoint.first_seq,
                   last_seq=checkpoint.last_seq, size=checkpoint.size, head_hash=checkpoint.head_hash,
                   merkle_root=checkpoint.merkle_root, period_start=checkpoint.period_start,
                   period_end=checkpoint.period_end, sealed_at=checkpoint.sealed_at, previous=checkpoint.previous,
                   algorithm=checkpoint.algorithm, key_id=checkpoint.key_id, signature=checkpoint.signature,
                   timestamp_token=checkpoint.timestamp_token)
