"""Sent once an imported document is committed: kwargs `document_id`, `organisation_id`, `batch_id`.

Auto-delivery and the connectors' "on import" trigger listen to it; it is sent from
`transaction.on_commit`, so a listener never sees a document that was rolled back.
"""

from django.dispatch import Signal

document_imported = Signal()
