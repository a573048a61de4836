from django.contrib import admin

from facturier.accounts.tenancy import TenantScopedAdmin
from facturier.documents.models import Certificate, GenerationJob


@admin.register(Certificate)
class CertificateAdmin(TenantScopedAdmin):
    list_display = ["holder", "organisation", "issuer", "not_after", "is_demo", "is_active"]
    readonly_fields = ["holder", "issuer", "serial", "not_before", "not_after", "is_demo", "uploaded_at", "uploaded_by"]
    exclude = ["pkcs12", "password"]

    def has_add_permission(self, request):
        return False  # uploaded through the settings screen, which checks the PKCS#12 and its password


@admin.register(GenerationJob)
class GenerationJobAdmin(TenantScopedAdmin):
    list_display = ["__str__", "organisation", "signed", "state", "done", "failed", "total", "created_at"]
    readonly_fields = [f.name for f in GenerationJob._meta.fields]

    def has_add_permission(self, request):
        return False
