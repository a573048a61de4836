"""Tenant scoping for the administration site: staff who are not superusers see only their organisations."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet


def organisation_ids_of(user) -> list[int]:
    if not user.is_authenticated:
        return []
    return list(user.memberships.filter(is_active=True).values_list("organisation_id", flat=True))


class TenantScopedAdmin(admin.ModelAdmin):
    """Every list, lookup and foreign-key choice is limited to the user's organisations.

    `tenant_path` is the lookup from the model to its organisation ("organisation",
    "customer__organisation"…).
    """

    tenant_path = "organisation"
    edit_right = "can_manage_settings"
    """The membership right that lets a member add, change and delete these records."""

    def _member_with(self, request, right: str | None = None) -> bool:
        if not (request.user.is_authenticated and request.user.is_active and request.user.is_staff):
            return False
        memberships = request.user.memberships.filter(is_active=True)
        return memberships.filter(**{right: True}).exists() if right else memberships.exists()

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser or self._member_with(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser or self._member_with(request)

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser or self._member_with(request, self.edit_right)

    def save_model(self, request, obj, form, change):
        """Edits made here are audited like any other change."""
        from facturier.audit.services import audit_record

        before = {name: str(form.initial.get(name)) for name in form.changed_data} if change else None
        super().save_model(request, obj, form, change)
        audit_record(actor=request.user, subject=obj, action=f"admin.{'change' if change else 'add'}",
                     before=before, after={name: str(form.cleaned_data.get(name)) for name in form.changed_data},
                     organisation=self._organisation_of(obj))

    def delete_model(self, request, obj):
        from facturier.audit.services import audit_record

        audit_record(actor=request.user, subject=obj, action="admin.delete", before={"label": str(obj)},
                     organisation=self._organisation_of(obj))
        super().delete_model(request, obj)

    def _organisation_of(self, obj):
        from facturier.accounts.models import Organisation

        return Organisation.objects.filter(pk=self._organisation_id_of(obj)).first()

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and "organisation" in (f.name for f in self.model._meta.fields):
            fields.append("organisation")  # a record never moves to another tenant
        return fields

    def _may_edit(self, request, obj) -> bool:
        """The right must be held in the organisation the record belongs to, not in just any."""
        if request.user.is_superuser:
            return True
        if obj is None:
            return self._member_with(request, self.edit_right)
        organisation_id = self._organisation_id_of(obj)
        return self._member_with(request, self.edit_right) and request.user.memberships.filter(
            is_active=True, organisation_id=organisation_id, **{self.edit_right: True}).exists()

    def _organisation_id_of(self, obj) -> int | None:
        target = obj
        for step in self.tenant_path.split("__"):
            if step == "pk":
                return target.pk
            target = getattr(target, step)
        return target.pk

    def has_change_permission(self, request, obj=None) -> bool:
        return self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._may_edit(request, obj)

    def get_queryset(self, request) -> QuerySet:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{f"{self.tenant_path}__in": organisation_ids_of(request.user)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if request.user.is_superuser or field is None:
            return field
        model = db_field.related_model
        # Choices are limited to the organisations where the user may edit these records,
        # so a viewer elsewhere cannot plant or move a record into that organisation.
        ids = list(request.user.memberships.filter(is_active=True, **{self.edit_right: True})
                   .values_list("organisation_id", flat=True))
        if model._meta.label == "accounts.Organisation":
            field.queryset = field.queryset.filter(pk__in=ids)
        elif any(f.name == "organisation" for f in model._meta.fields):
            field.queryset = field.queryset.filter(organisation__in=ids)
        elif any(f.name == "customer" for f in model._meta.fields):
            field.queryset = field.queryset.filter(customer__organisation__in=ids)
        return field
