from django.urls import path

from . import views

app_name = "loyalty"

urlpatterns = [
    path("tiers/", views.tier_edit, name="tiers"),
]
