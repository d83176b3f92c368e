"""Factories for the loyalty program: purchases recorded through the ledger's public service."""

import factory

from customers.tests.factories import CustomerFactory
from loyalty.models import Purchase
from loyalty.services import purchase_record


class PurchaseFactory(factory.django.DjangoModelFactory):
    """`purchase_record` for a customer (a new one unless given); returns the Purchase. Any other argument of
    the service (redeem_points, external_id, api_client, now…) can be passed."""

    class Meta:
        model = Purchase

    customer = factory.SubFactory(CustomerFactory)
    amount = "1000.00"

    @classmethod
    def _create(cls, model_class, *args, customer, **kwargs):
        return purchase_record(*args, customer_id=customer.pk, **kwargs).purchase
