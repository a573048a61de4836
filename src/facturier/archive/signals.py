"""Every audit event is chained into its organisation's journal, in the transaction that records it.

A `post_save` receiver rather than a periodic sweep: the event and its journal entry commit
together, so there is never a window where an event exists unchained (a sweep would leave
one, and would have to tell "not yet chained" from "deleted"). The cost is one locked
update of the organisation's journal head per audited change, which already happens inside
a transaction that locks the rows it changes.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from facturier.audit.models import Event


@receiver(post_save, sender=Event, dispatch_uid="archive-chain-audit-events")
def chain_audit_event(sender, instance: Event, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        from facturier.archive.services import journal_audit_event

        journal_audit_event(instance)
