"""The local mail catcher's mailbox (mounted under /mail/ by the project's urls)."""

from django.urls import path

from facturier.delivery import views

app_name = "delivery"

urlpatterns = [
    path("", views.mailbox, name="mailbox"),
    path("<str:key>/", views.mailbox_message_view, name="mailbox_message"),
    path("<str:key>/attachments/<int:index>/", views.mailbox_attachment_view, name="mailbox_attachment"),
    path("<str:key>/raw/", views.mailbox_raw_view, name="mailbox_raw"),
]
