"""Read-only administration of the archive, scoped to the user's organisations."""

from django.contrib import admin

from facturier.accounts.tenancy import TenantScopedAdmin
from facturier.archive.models import ArchiveEntry, ArchivePolicy, Checkpoint, JournalRecord


class ReadOnlyTenantAdmin(TenantScopedAdmin):
    """The archive is written by its services only: the admin shows it, never changes it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ArchiveEntry)
class ArchiveEntryAdmin(ReadOnlyTenantAdmin):
    list_display = ["document_number", "kind", "filename", "organisation", "size", "archived_at", "retention_until",
                    "legal_hold", "purged_at"]
    list_filter = ["kind", "legal_hold"]
    search_fields = ["document_number", "fingerprint", "filename"]
    exclude = ["wrapped_key", "timestamp_token"]
    readonly_fields = [f.name for f in ArchiveEntry._meta.fields if f.name not in ("wrapped_key", "timestamp_token")]


@admin.register(JournalRecord)
class JournalRecordAdmin(ReadOnlyTenantAdmin):
    list_display = ["seq", "kind", "subject", "organisation", "recorded_at", "entry_hash"]
    list_filter = ["kind"]
    search_fields = ["subject", "entry_hash"]
    readonly_fields = [f.name for f in JournalRecord._meta.fields]


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyTenantAdmin):
    list_display = ["number", "organisation", "first_seq", "last_seq", "merkle_root", "sealed_at"]
    readonly_fields = [f.name for f in Checkpoint._meta.fields]


@admin.register(ArchivePolicy)
class ArchivePolicyAdmin(ReadOnlyTenantAdmin):
    list_display = ["organisation", "retention_years", "subscription_anniversary"]
    readonly_fields = ["organisation", "retention_years", "subscription_anniversary"]
