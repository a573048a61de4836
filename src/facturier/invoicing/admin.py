"""Administration of sales documents: readable everywhere, changed only through the services."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from facturier.accounts.selectors import membership_for
from facturier.accounts.tenancy import TenantScopedAdmin
from facturier.errors import FacturierError
from facturier.invoicing.models import AllowanceCharge, Document, DocumentLink, Line, Payment, Series, WriteOff
from facturier.invoicing.services import document_issue


class ReadOnlyAdmin(TenantScopedAdmin):
    """Legal records change through services only (numbering, snapshots, audit)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LineInline(admin.TabularInline):
    model = Line
    fields = ["position", "name", "quantity", "unit", "unit_price", "discount_percent", "vat_category",
              "vat_rate", "net_amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class AllowanceChargeInline(admin.TabularInline):
    model = AllowanceCharge
    fields = ["is_charge", "reason", "amount", "vat_category", "vat_rate"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    fields = ["date", "amount", "method", "reference", "cancelled_at", "cancel_reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "organisation", "customer", "issue_date", "state", "tax_exclusive",
                    "tax_inclusive", "amount_due", "due_date"]
    list_filter = ["kind", "state", "issue_date"]
    search_fields = ["number", "customer__code", "customer__name"]
    date_hierarchy = "issue_date"
    inlines = [LineInline, AllowanceChargeInline, PaymentInline]
    actions = ["issue_selected"]

    def has_change_permission(self, request, obj=None):
        return obj is None  # the list (and its actions) is shown; each document opens read-only

    @admin.action(description=_("Issue the selected drafts"))
    def issue_selected(self, request, queryset):
        issued = 0
        for document in queryset.filter(state="draft").order_by("id"):
            member = membership_for(user=request.user, organisation_slug=document.organisation.slug)
            if member is None:
                self.message_user(request, _("You are not a member of %(org)s.") % {"org": document.organisation},
                                  messages.ERROR)
                continue
            try:
                document_issue(by=member, document_id=document.pk)
                issued += 1
            except FacturierError as e:
                self.message_user(request, f"{document}: {e.message}", messages.ERROR)
        if issued:
            self.message_user(request, _("%(n)d document(s) issued.") % {"n": issued}, messages.SUCCESS)


@admin.register(Series)
class SeriesAdmin(TenantScopedAdmin):
    list_display = ["code", "name", "organisation", "prefix", "next_number", "last_issue_date"]
    readonly_fields = ["next_number", "last_issue_date"]

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.documents.exists()


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["document", "date", "amount", "method", "reference", "cancelled_at"]
    list_filter = ["method", "date"]


@admin.register(WriteOff)
class WriteOffAdmin(ReadOnlyAdmin):
    list_display = ["document", "date", "amount", "reason"]


@admin.register(DocumentLink)
class DocumentLinkAdmin(ReadOnlyAdmin):
    tenant_path = "source__organisation"
    list_display = ["target", "relation", "source", "amount"]


@admin.register(Line)
class LineAdmin(ReadOnlyAdmin):
    tenant_path = "document__organisation"
    list_display = ["document", "position", "name", "quantity", "unit_price", "net_amount"]


@admin.register(AllowanceCharge)
class AllowanceChargeAdmin(ReadOnlyAdmin):
    tenant_path = "document__organisation"
    list_display = ["document", "is_charge", "reason", "amount"]
