from django.urls import path

from facturier.platforms import status_views

app_name = "platform_status"

urlpatterns = [
    path("webhook/<int:connection_id>/", status_views.webhook, name="webhook"),
    path("route/<int:customer_id>/", status_views.route_choose, name="route_choose"),
    path("poll/<int:document_id>/", status_views.poll_now, name="poll_now"),
]
