"""Helpers shared by the API's tests and the console's API-client pages."""

from rest_framework.test import APIClient


def token_client(key: str) -> APIClient:
    """A DRF test client that sends `Authorization: Token <key>`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def post(api: APIClient, url: str, body: dict, key: str | None = "k-1"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return api.post(url, body, format="json", headers=headers)


def can_call_the_api(key: str) -> bool:
    return token_client(key).get("/api/v1/customers/lookup/", {"q": "+79123456789"}).status_code != 401
