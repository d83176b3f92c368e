"""The tracking addresses at the site's root (/m/…), kept short for SMS: the open pixel and the tracked
links (messaging.services.tracking)."""

from django.urls import path

from . import views

app_name = "tracking"

urlpatterns = [
    path("o/<str:token>/", views.open_pixel, name="open"),
    path("c/<str:token>/", views.link_click, name="click"),
]
