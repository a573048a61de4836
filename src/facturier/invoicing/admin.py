"""Administration of sales documents: readable everywhere, changed only through the services."""

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from facturier.accounts.selectors import membership_for
from facturier.accounts.tenancy import TenantScopedAdmin
from facturier.errors import FacturierError
from facturier.invoicing.models import AllowanceCharge, Document, DocumentLink, Line, Payment, Series, WriteOff
from facturier.invoicing.services import documents_issue


class ReadOnlyAdmin(TenantScopedAdmin):
    """Legal records change through services only (numbering, snapshots, audit)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Shown with its document (whose admin already scopes the tenant); never edited here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True


class LineInline(ReadOnlyInline):
    model = Line
    fields = ["position", "name", "quantity", "unit", "unit_price", "discount_percent", "vat_category",
              "vat_rate", "net_amount"]
    readonly_fields = fields


class AllowanceChargeInline(ReadOnlyInline):
    model = AllowanceCharge
    fields = ["is_charge", "reason", "amount", "vat_category", "vat_rate"]
    readonly_fields = fields


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ["date", "amount", "method", "reference", "cancelled_at", "cancel_reason"]
    readonly_fields = fields


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "organisation", "customer", "issue_date", "state", "tax_exclusive",
                    "tax_inclusive", "amount_due", "due_date"]
    list_filter = ["kind", "state", "issue_date"]
    search_fields = ["number", "customer__code", "customer__name"]
    date_hierarchy = "issue_date"
    inlines = [LineInline, AllowanceChargeInline, PaymentInline]
    actions = ["issue_selected"]
    fieldsets = [
        (None, {"fields": ["kind", "state", "series", "number", "issue_date", "due_date", "delivery_date",
                           "customer", "language", "currency"]}),
        (_("Parties as issued"), {"fields": ["seller_display", "buyer_display"]}),
        (_("References and mentions"), {"fields": [
            "buyer_reference", "purchase_order", "contract_reference", "operation_category", "vat_on_debits",
            "payment_terms_text", "late_penalty_text", "indemnity_text", "discount_terms_text", "note"]}),
        (_("Totals"), {"fields": ["line_total", "allowance_total", "charge_total", "tax_exclusive",
                                  "vat_breakdown_display", "tax_total", "tax_inclusive", "prepaid", "payable"]}),
        (_("Settlement"), {"fields": ["paid_amount", "credited_amount", "written_off_amount", "amount_due"]}),
    ]
    readonly_fields = ["number", "seller_display", "buyer_display", "vat_breakdown_display"]

    @admin.display(description=_("Seller"))
    def seller_display(self, obj):
        s = obj.seller_snapshot
        if not s:
            return _("Frozen when the document is issued.")
        return format_html(
            "{}<br>{} {}<br>{} {}<br>SIREN {} · SIRET {} · TVA {}", s["legal_name"], s["address_line1"],
            s["address_line2"], s["postcode"], s["city"], s["siren"], s["siret"], s["vat_number"] or "—")

    @admin.display(description=_("Buyer"))
    def buyer_display(self, obj):
        b = obj.buyer_snapshot
        if not b:
            return _("Frozen when the document is issued.")
        a = b["billing_address"]
        return format_html("{} ({})<br>{} {}<br>{} {} {}<br>SIREN {} · TVA {}", b["name"], b["code"], a["line1"],
                           a["line2"], a["postcode"], a["city"], a["country"], b["siren"] or "—",
                           b["vat_number"] or "—")

    @admin.display(description=_("VAT breakdown"))
    def vat_breakdown_display(self, obj):
        return format_html_join(
            mark_safe("<br>"), "{} {} % : {} → {}",
            ((row["category"], row["rate"] or "—", row["taxable_amount"], row["tax_amount"])
             for row in obj.vat_breakdown))

    def has_change_permission(self, request, obj=None):
        return obj is None  # the list (and its actions) is shown; each document opens read-only

    @admin.action(description=_("Issue the selected drafts"))
    def issue_selected(self, request, queryset):
        issued = 0
        by_organisation: dict = {}
        for document in queryset.filter(state="draft").select_related("organisation").order_by("id"):
            by_organisation.setdefault(document.organisation, []).append(document)
        for organisation, drafts in by_organisation.items():
            member = membership_for(user=request.user, organisation_slug=organisation.slug)
            if member is None:
                self.message_user(request, _("You are not a member of %(org)s.") % {"org": organisation},
                                  messages.ERROR)
                continue
            try:
                outcome = documents_issue(by=member, document_ids=[document.pk for document in drafts])
            except FacturierError as e:  # the member may not issue at all
                self.message_user(request, f"{organisation}: {e.message}", messages.ERROR)
                continue
            issued += len(outcome.issued)
            label = {document.pk: str(document) for document in drafts}
            for pk, e in outcome.refused:
                self.message_user(request, f"{label[pk]}: {e.message}", messages.ERROR)
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
