"""The consent letter's links (mounted under /consent/ by the project's urls)."""

from django.urls import path

from facturier.delivery.views import consent_address, consent_answer

urlpatterns = [
    path("address/<str:token>/", consent_address, name="consent_address"),
    path("<str:token>/accept/", consent_answer, {"answer": "accept"}, name="consent_accept"),
    path("<str:token>/refuse/", consent_answer, {"answer": "refuse"}, name="consent_refuse"),
]
