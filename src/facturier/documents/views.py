"""HTTP endpoints of the documents app: the built-in RFC 3161 time-stamp authority."""

from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from facturier.documents.timestamping import operator_authority

MAX_REQUEST_BYTES = 16 * 1024  # a TimeStampReq is a few hundred bytes


@csrf_exempt  # RFC 3161 clients post DER, not forms; nothing here reads cookies or changes state
@require_POST
def timestamp(request):
    if request.content_type != "application/timestamp-query":
        return HttpResponseBadRequest("Content-Type must be application/timestamp-query",
                                      content_type="text/plain")
    body = request.read(MAX_REQUEST_BYTES + 1)
    if len(body) > MAX_REQUEST_BYTES:
        return HttpResponseBadRequest("request too large", content_type="text/plain")
    return HttpResponse(operator_authority().respond(body), content_type="application/timestamp-reply")
