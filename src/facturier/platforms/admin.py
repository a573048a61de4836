"""The operator's admin: the approved platforms offered on the installation; connections read-only (their
secrets are never shown)."""

from django.contrib import admin

from facturier.platforms.models import Platform, PlatformConnection


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ("name", "flow_url", "directory_url", "auth_kind", "enabled")
    list_filter = ("auth_kind", "enabled")
    search_fields = ("name", "flow_url")


@admin.register(PlatformConnection)
class PlatformConnectionAdmin(admin.ModelAdmin):
    list_display = ("organisation", "platform", "siren", "siret", "enabled", "test_ok", "tested_at")
    list_filter = ("platform", "enabled", "test_ok")
    search_fields = ("organisation__name", "siren", "siret", "organization_id")
    fields = ("organisation", "platform", "siren", "siret", "organization_id", "client_id", "flow_syntax", "enabled",
              "tested_at", "test_ok", "test_message")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False
