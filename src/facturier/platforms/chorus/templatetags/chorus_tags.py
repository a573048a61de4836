"""`{% chorus_submission_of doc as submission %}`: a document's Chorus Pro submission, or None;
`{% chorus_buyer_of customer member as buyer %}`: what a public buyer's structure requires (for its page)."""

from django import template

register = template.Library()


@register.simple_tag
def chorus_submission_of(document):
    from facturier.platforms.chorus.models import ChorusSubmission

    if document is None or not getattr(document, "pk", None):
        return None
    return ChorusSubmission.objects.filter(document_id=document.pk).first()


@register.simple_tag
def chorus_buyer_of(customer, member):
    """{rules, may_fetch} for a customer whose invoices go to Chorus Pro, else None."""
    from facturier.accounts.models import Right
    from facturier.platforms.chorus.models import ChorusBuyer
    from facturier.platforms.chorus.rules import goes_to_chorus

    if customer is None or not goes_to_chorus(customer):
        return None
    return {"rules": ChorusBuyer.objects.filter(customer=customer).first(),
            "may_fetch": member is not None and member.has_right(Right.MANAGE_SETTINGS)}
