"""Fixtures for the back office's tests."""

import pytest


@pytest.fixture
def console(client, marketing_user):
    """The test client, logged in as Marketing."""
    client.force_login(marketing_user)
    return client
