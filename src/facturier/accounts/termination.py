"""Termination of an organisation (S1.10): at any time, by its owner or by the platform operator.

    organisation_terminate  → Termination (read-only at once), audit, signal on commit, export queued
    termination_export      → the full archive export (archive.full_export), its SHA-256 recorded, pushed
                              to the organisation's export connectors
    termination_erase_due   → after the grace period (FACTURIER_TERMINATION_GRACE_DAYS), the personal
                              data is erased; the archive stays until each file's retention date
                              (archive_purge does that, as for every organisation)

What "personal data" covers here, erased at the end of the grace period:
- customers: name, identifiers (SIREN, SIRET, VAT, foreign and electronic addresses), notes,
  Chorus Pro service code — the row stays (archived files and issued documents point to it),
  renamed "Erased customer";
- their contacts (name, e-mail, phone, role) and postal addresses (name, street, postcode, city);
- the members: every membership of the organisation (with its API keys) and every pending invitation
  — the user accounts themselves stay when they belong to other organisations.
What is kept, because the law requires it for the retention period: the archived files and their
journal (each until its own retention date), the issued documents with their frozen buyer data
(the invoice is a legal record), and the audit log (the chained trail of who did what).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Invitation, Membership, Organisation, Role, Termination, TerminationState, User
from facturier.accounts.services import RightMissing
from facturier.audit.services import audit_record
from facturier.errors import FacturierError


class TerminationRefused(FacturierError):
    code = "termination_refused"


def export_folder() -> Path:
    return Path(settings.DATA_DIR) / "terminations"


def export_path(termination: Termination) -> Path | None:
    return export_folder() / termination.export_name if termination.export_name else None


def organisation_terminate(*, organisation_id: int, reason: str, confirm_name: str, by: Membership | None = None,
                           operator: User | None = None) -> Termination:
    """Terminate an organisation now: its owner (`by`) or a platform operator (`operator`) decides.

    The name typed must be the organisation's (a confirmation) and the reason is required. The
    organisation is read-only from the commit on; the export is produced by a task.
    """
    if by is None and (operator is None or not operator.is_platform_operator):
        raise RightMissing(_("Only an owner of the organisation or the platform operator can terminate it."))
    if by is not None and (by.organisation_id != organisation_id or by.role != Role.OWNER or not by.is_active):
        raise RightMissing(_("Only an owner of the organisation can terminate it."))
    reason = (reason or "").strip()
    if not reason:
        raise TerminationRefused(_("Say why the organisation leaves: the reason is recorded."))
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation_id)
        if confirm_name.strip() != organisation.name:
            raise TerminationRefused(_("Type the organisation's name exactly (“%(name)s”) to confirm the "
                                       "termination."), name=organisation.name)
        if Termination.objects.filter(organisation=organisation).exists():
            raise TerminationRefused(_("%(name)s is already terminated."), name=organisation.name)
        now = timezone.now()
        termination = Termination.objects.create(
            organisation=organisation, requested_by=by.user if by else operator, by_operator=by is None,
            reason=reason, at=now, grace_until=now + dt.timedelta(days=settings.FACTURIER_TERMINATION_GRACE_DAYS))
        audit_record(actor=by or operator, subject=termination, organisation=organisation,
                     action="organisation.terminate",
                     after={"reason": reason, "by_operator": by is None,
                            "grace_until": termination.grace_until.isoformat()})
        transaction.on_commit(lambda: _after_commit(termination.pk, organisation.pk, now))
    return termination


def _after_commit(termination_id: int, organisation_id: int, at: dt.datetime) -> None:
    from facturier.accounts.signals import organisation_terminated
    from facturier.accounts.tasks import termination_export_task

    organisation_terminated.send(sender=Termination, organisation_id=organisation_id, at=at)
    termination_export_task.enqueue(termination_id=termination_id)


def termination_export(*, termination_id: int) -> Termination:
    """Produce the export (once: a second run returns the recorded one), record its SHA-256, push it."""
    from facturier.archive.full_export import full_export

    termination = Termination.objects.select_related("organisation").get(pk=termination_id)
    if termination.export_sha256 and export_path(termination).exists():
        return termination
    organisation = termination.organisation
    name = f"{organisation.pk}/{organisation.slug}-archive-{timezone.localdate():%Y%m%d}.zip"
    result = full_export(organisation=organisation, out=export_folder() / name)
    with transaction.atomic():
        termination = Termination.objects.select_for_update().get(pk=termination_id)
        termination.export_name, termination.export_sha256 = name, result.sha256
        termination.export_size, termination.export_files = result.path.stat().st_size, result.files
        termination.exported_at = timezone.now()
        if termination.state == TerminationState.EXPORTING:
            termination.state = TerminationState.READ_ONLY
        termination.save()
        audit_record(actor=None, subject=termination, organisation=organisation, action="organisation.export",
                     after={"sha256": result.sha256, "files": result.files, "purged": result.purged,
                            "size": termination.export_size})
    _push(termination)
    return termination


def _push(termination: Termination) -> None:
    """Send the export to each export connector of the organisation (one transfer each, recorded)."""
    from facturier.accounts.termination_push import push_export

    for outcome in push_export(termination, export_path(termination)):
        audit_record(actor=None, subject=termination, organisation=termination.organisation,
                     action="organisation.export_push", after=outcome)


def termination_erase(*, termination_id: int, now: dt.datetime | None = None) -> Termination:
    """Erase the organisation's personal data once its grace period is over (idempotent)."""
    from facturier.parties.models import Address, Contact, Customer

    now = now or timezone.now()
    with transaction.atomic():
        termination = Termination.objects.select_for_update().select_related("organisation").get(pk=termination_id)
        if termination.state == TerminationState.ERASED:
            return termination
        if termination.grace_until > now:
            raise TerminationRefused(_("The grace period runs until %(date)s: nothing is erased before."),
                                     date=termination.grace_until)
        organisation = termination.organisation
        customers = Customer.objects.filter(organisation=organisation)
        erased_customers = customers.count()
        Contact.objects.filter(customer__organisation=organisation).update(name="", email="", phone="", role="")
        Address.objects.filter(customer__organisation=organisation).update(
            name="", line1="—", line2="", postcode="", city="—")
        for pk in customers.values_list("pk", flat=True):
            customers.filter(pk=pk).update(
                name=str(_("Erased customer")) + f" #{pk}", siren="", siret="", vat_number="", foreign_identifier="",
                electronic_address="", notes="", chorus_service_code="")
        memberships = Membership.objects.filter(organisation=organisation)
        erased_members = memberships.count()
        memberships.delete()
        Invitation.objects.filter(organisation=organisation).delete()
        termination.state, termination.erased_at = TerminationState.ERASED, now
        termination.save(update_fields=["state", "erased_at"])
        audit_record(actor=None, subject=termination, organisation=organisation, action="organisation.erase",
                     after={"customers": erased_customers, "memberships": erased_members})
    return termination


def termination_erase_due(now: dt.datetime | None = None) -> int:
    """The daily job: erase every organisation whose grace period ended."""
    now = now or timezone.now()
    due = Termination.objects.filter(grace_until__lte=now).exclude(state=TerminationState.ERASED)
    done = 0
    for pk in due.values_list("pk", flat=True):
        termination_erase(termination_id=pk, now=now)
        done += 1
    return done
