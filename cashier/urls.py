"""The till, mounted at /cashier/ by config/urls.py (the paths are those of issue #3's till)."""

from django.urls import path

from . import views

app_name = "cashier"

urlpatterns = [
    path("", views.search, name="search"),
    path("receipt/", views.receipt, name="receipt"),
    path("enrol/", views.enrol, name="enrol"),
    path("customer/<int:customer_id>/", views.customer_card, name="customer"),
    path("customer/<int:customer_id>/quote/", views.quote, name="quote"),
    path("customer/<int:customer_id>/purchase/", views.purchase_create, name="purchase_create"),
    path("purchase/<int:purchase_id>/", views.purchase_detail, name="purchase"),
    path("purchase/<int:purchase_id>/refund/", views.refund_create, name="refund"),
]
