from django.urls import path

from facturier.billing import views

app_name = "billing"
urlpatterns = [
    path("operator/subscriptions/", views.subscriptions, name="subscriptions"),
    path("operator/subscriptions/<int:organisation_id>/", views.subscription_edit, name="subscription_edit"),
    path("operator/plans/", views.plans, name="plans"),
    path("operator/plans/new/", views.plan_edit, name="plan_new"),
    path("operator/plans/<int:pk>/", views.plan_edit, name="plan_edit"),
    path("operator/settings/", views.operator_set, name="operator_set"),
    path("settings/plan/", views.my_plan, name="my_plan"),
]
