"""`{% chorus_submission_of doc as submission %}`: a document's Chorus Pro submission, or None."""

from django import template

register = template.Library()


@register.simple_tag
def chorus_submission_of(document):
    from facturier.platforms.chorus.models import ChorusSubmission

    if document is None or not getattr(document, "pk", None):
        return None
    return ChorusSubmission.objects.filter(document_id=document.pk).first()
