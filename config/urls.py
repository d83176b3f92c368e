from django.contrib import admin
from django.urls import include, path

from console.views.overview import home

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("api.urls")),
    path("cashier/", include("cashier.urls")),
    path("messaging/", include("messaging.urls")),
    path("m/", include("messaging.tracking_urls")),
    path("", include("console.urls")),
    path("", include("api.console_urls")),
]
