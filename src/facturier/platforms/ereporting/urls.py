"""E-reporting screens (mounted under /ereporting/ by the project's urls)."""

from django.urls import path

from facturier.platforms.ereporting import views

app_name = "ereporting"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("build/", views.build, name="build"),
    path("settings/", views.profile, name="profile"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/rectify/", views.rectify, name="rectify"),
    path("<int:pk>/download/", views.download, name="download"),
]
