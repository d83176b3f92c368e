"""Fixtures for the API's tests: a client named web-shop, its key, and a test client sending that key."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api.tests.helpers import token_client


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()  # throttle counters live in the cache; keep tests independent
    yield
    cache.clear()


@pytest.fixture
def client_key(program, api_client_factory):
    created = api_client_factory(name="web-shop")
    return created.client, created.key


@pytest.fixture
def api(client_key) -> APIClient:
    return token_client(client_key[1])
