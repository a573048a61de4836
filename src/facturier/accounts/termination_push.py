"""Pushing a termination export to the organisation's export connectors (SFTP, HTTP(S)): one transfer each.

The connectors' transport (facturier.delivery.connectors.transport) sends bytes, so the export is
pushed whole when it is at most PUSH_MAX_BYTES; a larger one is offered for download only (and the
audit log says so). Each outcome is returned for the audit log: connector, outcome, detail.
"""

from __future__ import annotations

import http.client
from pathlib import Path

PUSH_MAX_BYTES = 512 * 1024 * 1024


def push_export(termination, path: Path) -> list[dict]:
    from facturier.delivery.connectors import transport
    from facturier.delivery.connectors.models import Connector, ConnectorKind
    from facturier.delivery.connectors.services import http_endpoint, sftp_endpoint

    connectors = list(Connector.objects.filter(organisation_id=termination.organisation_id, enabled=True))
    if not connectors:
        return []
    size = path.stat().st_size
    if size > PUSH_MAX_BYTES:
        return [{"connector": c.name, "outcome": "skipped", "detail": f"{size} bytes: download only"}
                for c in connectors]
    data, name, outcomes = path.read_bytes(), path.name, []
    for connector in connectors:
        try:
            if connector.kind == ConnectorKind.SFTP:
                session = transport.SftpSession(sftp_endpoint(connector))
                try:
                    session.open()
                    session.publish(session.upload(name, data), name)
                finally:
                    session.close()
                outcomes.append({"connector": connector.name, "outcome": "sent", "detail": name,
                                 "sha256": termination.export_sha256})
            else:
                session = transport.HttpSession(http_endpoint(connector))
                try:
                    answer = session.send(data, session.headers_for(
                        data, content_type="application/zip", name=name, key=f"termination-{termination.pk}"))
                finally:
                    session.close()
                sent = 200 <= answer.status < 300
                outcomes.append({"connector": connector.name, "outcome": "sent" if sent else "refused",
                                 "detail": f"HTTP {answer.status} {answer.reason}",
                                 "sha256": termination.export_sha256})
        except (transport.StepFailed, OSError, http.client.HTTPException) as error:
            outcomes.append({"connector": connector.name, "outcome": "failed", "detail": str(error)})
    return outcomes
