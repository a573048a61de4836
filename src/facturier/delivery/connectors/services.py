"""Writes of the export connectors: settings (secrets sealed at rest), the connection test that
enables a connector, the host key re-pin, and queuing transfers — by batch, as a customer's
channel (from `delivery.services.send_documents`, the one send gate), on issue and on import."""

from __future__ import annotations

import secrets as _secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Membership, Right
from facturier.accounts.services import require_right
from facturier.audit.services import audit_record
from facturier.config.rows import any_row
from facturier.delivery.connectors import transport
from facturier.delivery.connectors.files import check_pattern
from facturier.delivery.connectors.models import (
    Connector,
    ConnectorKind,
    ConnectorTransfer,
    HttpAuth,
    TransferState,
    Trigger,
)
from facturier.errors import FacturierError
from facturier.invoicing.models import Document, State
from facturier.secrets import open_secret, seal_secret

FIELDS = {
    "name", "kind", "file_format", "file_name", "on_issue", "on_import",
    "host", "port", "username", "remote_folder",
    "url", "method", "headers", "auth", "auth_user", "signature_header",
}
SECRETS = ("password", "private_key", "auth_secret", "signature_secret")
# A change of any of these needs a new connection test before the connector sends again.
ENDPOINT = {"kind", "host", "port", "username", "remote_folder", "url", "method", "headers", "auth", "auth_user",
            "signature_header"}


class ConnectorError(FacturierError):
    code = "connector"


class NotEnabled(ConnectorError):
    code = "connector_not_enabled"


def _purpose(name: str, connector: Connector) -> str:
    return f"connector-{name.replace('_', '-')}:{connector.pk}"


def secret_of(connector: Connector, name: str) -> str:
    sealed = bytes(getattr(connector, name) or b"")
    return open_secret(sealed, purpose=_purpose(name, connector)).decode() if sealed else ""


def _get(by: Membership, connector_id: int, *, lock: bool = False) -> Connector:
    qs = Connector.objects.filter(organisation=by.organisation)
    if lock:
        qs = qs.select_for_update()
    connector = qs.filter(pk=connector_id).first()
    if connector is None:
        raise ConnectorError(_("No such connector."))
    return connector


def connector_save(*, by: Membership, connector_id: int | None = None, **values) -> Connector:
    """Create or change a connector. A secret given (not None) is sealed at rest; "" removes it.

    Any change to where it connects or how it signs in disables it until tested again; a change of
    host or port also forgets the pinned host key (another server, another key)."""
    require_right(by, Right.MANAGE_SETTINGS)
    given_secrets = {name: values.pop(name) for name in SECRETS if name in values}
    unknown = set(values) - FIELDS
    if unknown:
        raise TypeError(f"unknown connector fields: {sorted(unknown)}")
    if "file_name" in values:
        check_pattern(values["file_name"])
    if given_secrets.get("private_key"):
        import asyncssh

        try:
            asyncssh.import_private_key(given_secrets["private_key"])
        except (asyncssh.KeyImportError, ValueError):
            raise ValidationError({"private_key": _("This private key cannot be read: give an unencrypted "
                                                    "OpenSSH or PEM key.")})
    if "headers" in values:
        values["headers"] = _clean_headers(values["headers"] or {})
    with transaction.atomic():
        current = _get(by, connector_id, lock=True) if connector_id else None
        connector = current or Connector(organisation=by.organisation)
        before = {name: getattr(connector, name) for name in sorted(FIELDS)} if current else None
        for name, value in values.items():
            setattr(connector, name, value)
        connector.full_clean(exclude=["organisation", *SECRETS])
        _check_kind(connector)
        changed_endpoint = current is None or any(before[f] != getattr(connector, f) for f in ENDPOINT)
        if current is not None and (before["host"] != connector.host or before["port"] != connector.port):
            connector.host_key = connector.host_key_fingerprint = ""
        connector.save()
        for name, value in given_secrets.items():
            if value is None:
                continue
            setattr(connector, name, seal_secret(value.encode(), purpose=_purpose(name, connector)) if value else b"")
            changed_endpoint = True
        if changed_endpoint and (connector.enabled or connector.test_ok):
            connector.enabled = connector.test_ok = False
        connector.save()
        after = {name: getattr(connector, name) for name in sorted(FIELDS)}
        after.update({name: "(changed)" for name, v in given_secrets.items() if v is not None})
        audit_record(actor=by, subject=connector, action="connector.save", before=before, after=after)
    return connector


def _check_kind(connector: Connector) -> None:
    if connector.kind == ConnectorKind.SFTP:
        missing = [f for f in ("host", "username") if not getattr(connector, f).strip()]
        if missing:
            raise ValidationError({f: _("Required for an SFTP connector.") for f in missing})
        if ".." in connector.remote_folder.split("/"):
            raise ValidationError({"remote_folder": _("The folder may not climb with “..”.")})
    elif not connector.url:
        raise ValidationError({"url": _("Required for an HTTP connector.")})
    if connector.kind == ConnectorKind.HTTP and connector.auth == HttpAuth.BASIC and not connector.auth_user:
        raise ValidationError({"auth_user": _("Basic authentication needs a user.")})


def _clean_headers(headers: dict) -> dict:
    cleaned = {}
    for raw_name, raw_value in headers.items():
        name, value = str(raw_name).strip(), str(raw_value).strip()
        if not name or any(c in name + value for c in "\r\n\0") or ":" in name:
            raise ValidationError({"headers": _("A header name or value is not valid: %(name)s") % {"name": name}})
        if name.lower() in ("authorization", "content-length", "host", "transfer-encoding", "idempotency-key"):
            raise ValidationError({"headers": _("The header %(name)s is set by Facturier.") % {"name": name}})
        cleaned[name] = value
    return cleaned


def sftp_endpoint(connector: Connector) -> transport.SftpEndpoint:
    return transport.SftpEndpoint(
        host=connector.host, port=connector.port, username=connector.username,
        password=secret_of(connector, "password"), private_key=secret_of(connector, "private_key"),
        folder=connector.remote_folder or ".", host_key=connector.host_key,
        allow_private=settings.FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS)


def http_endpoint(connector: Connector) -> transport.HttpEndpoint:
    return transport.HttpEndpoint(
        url=connector.url, method=connector.method, headers=connector.headers or {}, auth=connector.auth,
        auth_user=connector.auth_user, auth_secret=secret_of(connector, "auth_secret"),
        signature_secret=secret_of(connector, "signature_secret"), signature_header=connector.signature_header,
        allow_private=settings.FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS, ca_file=settings.FACTURIER_OUTBOUND_CA_FILE)


def connector_test(*, by: Membership, connector_id: int) -> transport.TestReport:
    """Run the connection test step by step; a pass enables the connector (and pins an SFTP server's host
    key the first time), a failure disables it. The report says which step failed."""
    require_right(by, Right.MANAGE_SETTINGS)
    connector = _get(by, connector_id)
    if connector.kind == ConnectorKind.SFTP:
        report = transport.test_sftp(sftp_endpoint(connector))
    else:
        report = transport.test_http(http_endpoint(connector))
    with transaction.atomic():
        connector = _get(by, connector_id, lock=True)
        changes = {"tested_at": timezone.now(), "test_ok": report.ok, "enabled": report.ok,
                   "test_steps": report.steps}
        if report.ok and connector.kind == ConnectorKind.SFTP and not connector.host_key:
            changes.update(host_key=report.host_key, host_key_fingerprint=transport.fingerprint(report.host_key))
        Connector.objects.filter(pk=connector.pk).update(**changes)
        pinned = changes.get("host_key_fingerprint", connector.host_key_fingerprint)
        audit_record(actor=by, subject=connector, action="connector.test",
                     after={"ok": report.ok, "steps": report.steps, "host_key_fingerprint": pinned})
    if report.ok:
        transaction.on_commit(lambda: enqueue_connector_flush(connector.pk))
    return report


def connector_enable(*, by: Membership, connector_id: int, enabled: bool) -> Connector:
    """Switch a connector off, or on again — on only when its last test passed with its current settings."""
    require_right(by, Right.MANAGE_SETTINGS)
    with transaction.atomic():
        connector = _get(by, connector_id, lock=True)
        if enabled and not connector.test_ok:
            raise NotEnabled(_("Test the connection first: a connector is enabled only after a successful test."))
        connector.enabled = enabled
        connector.save(update_fields=["enabled", "updated_at"])
        audit_record(actor=by, subject=connector, action="connector.enable" if enabled else "connector.disable")
    if enabled:
        transaction.on_commit(lambda: enqueue_connector_flush(connector.pk))
    return connector


def connector_repin(*, by: Membership, connector_id: int) -> Connector:
    """Forget the pinned host key (the server was reinstalled, its administrator confirmed the new key):
    the connector is disabled until the next successful test pins the key the server presents then."""
    require_right(by, Right.MANAGE_SETTINGS)
    with transaction.atomic():
        connector = _get(by, connector_id, lock=True)
        before = connector.host_key_fingerprint
        connector.host_key = connector.host_key_fingerprint = ""
        connector.enabled = connector.test_ok = False
        connector.save()
        audit_record(actor=by, subject=connector, action="connector.repin", before={"host_key_fingerprint": before})
    return connector


def connector_delete(*, by: Membership, connector_id: int) -> None:
    require_right(by, Right.MANAGE_SETTINGS)
    with transaction.atomic():
        connector = _get(by, connector_id, lock=True)
        if ConnectorTransfer.objects.filter(connector=connector).exists():
            raise ConnectorError(_("This connector has sent files: disable it instead, its history is kept."))
        audit_record(actor=by, subject=connector, action="connector.delete", before={"name": connector.name})
        connector.delete()


# --- queuing -------------------------------------------------------------------------------------


def _active(connector: Connector, document: Document):
    return ConnectorTransfer.objects.filter(connector=connector, document=document,
                                            state__in=(TransferState.PENDING, TransferState.SENDING,
                                                       TransferState.UNKNOWN))


def _queue(connector: Connector, document: Document, trigger: str, *, actor=None) -> ConnectorTransfer:
    """One transfer row, committed with the caller's transaction; the worker sends it once."""
    from facturier.delivery.connectors.files import file_name
    from facturier.delivery.history import delivery_mark
    from facturier.delivery.models import DeliveryState

    file_format = document.customer.preferred_format or connector.file_format
    transfer = ConnectorTransfer.objects.create(
        organisation_id=document.organisation_id, connector=connector, document=document, trigger=trigger,
        file_format=file_format, file_name=file_name(connector.file_name, document, file_format),
        key=_secrets.token_hex(16), next_attempt_at=timezone.now())
    if trigger in (Trigger.CHANNEL, Trigger.BATCH):
        delivery_mark(document=document, state=DeliveryState.QUEUED, recipient=connector.name, actor=actor,
                      detail=str(_("Queued for the connector %(name)s") % {"name": connector.name}))
    connector_id = connector.pk
    transaction.on_commit(lambda: enqueue_connector_flush(connector_id))
    return transfer


def channel_refusal(document: Document) -> tuple[str, str] | None:
    """Why a document whose customer's channel is a connector cannot go (part of the send gate)."""
    connector = document.customer.preferred_connector
    if connector is None:
        return "no_connector", str(_("%(customer)s receives its invoices through an export connector, but none is "
                                     "chosen on its page.") % {"customer": document.customer.name})
    if not connector.enabled:
        return "connector_disabled", str(_("The connector %(name)s is not enabled: test its connection in the "
                                           "settings.") % {"name": connector.name})
    if _active(connector, document).filter(state=TransferState.UNKNOWN).exists():
        return "unknown", str(_("The outcome of this document's last transfer to %(name)s is unknown: check with "
                                "the receiver, then decide on the connector's history.") % {"name": connector.name})
    if _active(connector, document).exists():
        return "in_progress", str(_("This document is already waiting to be sent."))
    return None


def channel_queue(*, by: Membership, document: Document) -> ConnectorTransfer:
    """Queue a document for its customer's connector (called by `send_documents` after its gate)."""
    return _queue(document.customer.preferred_connector, document, Trigger.CHANNEL, actor=by)


def connector_export(*, by: Membership, connector_id: int, document_ids: list[int]) -> tuple[list[int], list]:
    """Send a selection of issued documents through a connector (the batch trigger); returns the ids
    queued and the (id, reason) of those refused."""
    require_right(by, Right.SEND)
    queued, refused = [], []
    with transaction.atomic():
        connector = _get(by, connector_id)
        if not connector.enabled:
            raise NotEnabled(_("The connector %(name)s is not enabled: test its connection first."),
                             name=connector.name)
        documents = {d.pk: d for d in Document.objects.filter(organisation=by.organisation, pk__in=document_ids)
                     .select_related("customer", "organisation")}
        for pk in dict.fromkeys(document_ids):
            document = documents.get(pk)
            if document is None:
                refused.append((pk, str(_("No such document."))))
            elif document.state == State.DRAFT:
                refused.append((pk, str(_("This document is a draft: issue it first, then send it."))))
            elif _active(connector, document).exists():
                refused.append((pk, str(_("This document is already waiting to be sent."))))
            else:
                _queue(connector, document, Trigger.BATCH, actor=by)
                queued.append(pk)
        audit_record(actor=by, subject=connector, action="connector.export", after={"documents": queued})
    return queued, refused


def _automatic(document: Document, trigger: str, flag: str) -> list[ConnectorTransfer]:
    """Queue an issued document for every enabled connector of its organisation that wants it (once)."""
    if document.state == State.DRAFT:
        return []
    made = []
    for connector in Connector.objects.filter(organisation_id=document.organisation_id, enabled=True, **{flag: True}):
        if ConnectorTransfer.objects.filter(connector=connector, document=document).exclude(
                state=TransferState.FAILED).exists():
            continue
        made.append(_queue(connector, document, trigger))
    return made


def on_document_issued(document_id: int) -> list[ConnectorTransfer]:
    document = Document.objects.select_related("customer", "organisation").get(pk=document_id)
    return _automatic(document, Trigger.ISSUE, "on_issue")


def on_document_imported(sender=None, *, document_id: int, organisation_id: int, **kwargs) -> list[ConnectorTransfer]:
    """Receiver of `facturier.imports.signals.document_imported` (sent on commit of the import)."""
    if not Connector.objects.filter(organisation_id=organisation_id, enabled=True, on_import=True).exists():
        return []  # one query for the usual case, an organisation without an "on import" connector
    document = Document.objects.select_related("customer", "organisation").filter(
        pk=document_id, organisation_id=organisation_id).first()
    if document is None:
        return []
    with transaction.atomic():
        return _automatic(document, Trigger.IMPORT, "on_import")


def connect_import_signal() -> None:
    """Listen to imports: the "on import" trigger (connected by `DeliveryConfig.ready`)."""
    from facturier.imports.signals import document_imported

    document_imported.connect(on_document_imported, dispatch_uid="connectors-on-import")


def audit_event_saved(sender, instance, created: bool, **kwargs) -> None:
    """The "on issue" trigger: an issue recorded in the audit log (inside the issuing transaction)."""
    if not (created and instance.action == "document.issue" and instance.subject_type == "invoicing.document"):
        return
    if any_row(Connector, organisation_id=instance.organisation_id, enabled=True, on_issue=True):
        on_document_issued(int(instance.subject_id))


def enqueue_connector_flush(connector_id: int) -> None:
    from facturier.delivery.tasks import connector_flush_task

    connector_flush_task.enqueue(connector_id=connector_id)
