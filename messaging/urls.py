from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("webhooks/<slug:provider>/status/", views.webhook_status, name="webhook_status"),
    path("webhooks/<slug:provider>/inbound/", views.webhook_inbound, name="webhook_inbound"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
