"""Factories for the API: clients created through the public service, which hands out the key once."""

import factory

from api.services import CreatedApiClient, api_client_create


class ApiClientFactory(factory.Factory):
    """`api_client_create`; returns what it returns: `.client` (the ApiClient row) and `.key` (the only copy
    of the key)."""

    class Meta:
        model = CreatedApiClient

    name = factory.Sequence(lambda n: f"client-{n + 1}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return api_client_create(*args, **kwargs)
