"""The OpenAPI schema is public and valid, the docs page needs no CDN, and a bounded property-based run of
schemathesis against the schema finds no server error and no response that contradicts it."""

import time
from collections import Counter
from io import StringIO

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from loyalty import services

EXAMPLES_PER_MODE = 25  # per operation, for valid and for invalid data: ~300 requests, a few seconds
TIME_LIMIT = 60  # seconds for the whole run, however slow the machine
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_schema_validates_without_warnings(db, tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out), stdout=StringIO())
    assert out.read_text().startswith("openapi: 3.0.3")


def _with_real_ids(case, *, customer_id: int, purchase_id: int):
    """Point a generated case at records that exist, so that the fuzzing reaches the services too."""
    if "customer_id" in (case.path_parameters or {}):
        case.path_parameters["customer_id"] = customer_id
    if "purchase_id" in (case.path_parameters or {}):
        case.path_parameters["purchase_id"] = purchase_id
    if isinstance(case.body, dict) and "customer" in case.body:
        case.body["customer"] = customer_id
    return case


def _fuzz(strategy, *, max_examples: int, label: str, auth: dict, seen: Counter, deadline: float) -> None:
    @given(case=strategy)
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,  # the same cases every run: a failure here reproduces
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        if time.monotonic() > deadline:
            return
        response = case.call(headers=auth)
        seen[(label, response.status_code)] += 1
        case.validate_response(response, checks=CHECKS, headers=auth)

    run()


@pytest.mark.django_db
def test_schemathesis_finds_no_server_error(wsgi_in_test_transaction, api_client_factory, customer_factory):
    key = api_client_factory(name="fuzz").key
    customer = customer_factory(name="Fuzz Target", phone="+79120000009")
    services.points_award(customer_id=customer.pk, points=5000, reason="fuzz balance")
    purchase = services.purchase_record(customer_id=customer.pk, amount="1000000.00").purchase
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    auth = {"Authorization": f"Token {key}"}
    deadline = time.monotonic() + TIME_LIMIT
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 9  # eight endpoints (the batch of issue #16 too), the lookup by GET and by POST
    seen: Counter = Counter()
    started = time.monotonic()

    def real_ids(case):
        return _with_real_ids(case, customer_id=customer.pk, purchase_id=purchase.pk)

    for operation in operations:
        # The documented examples first (pointed at records that exist), then valid and invalid data.
        for example in operation.get_strategies_from_examples():
            _fuzz(example.map(real_ids), max_examples=3, label=operation.label, auth=auth, seen=seen, deadline=deadline)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            generated = operation.as_strategy(generation_mode=mode)
            strategy = st.one_of(generated, generated.map(real_ids))
            _fuzz(
                strategy, max_examples=EXAMPLES_PER_MODE, label=operation.label, auth=auth, seen=seen, deadline=deadline
            )
    print(f"schemathesis: {sum(seen.values())} requests in {time.monotonic() - started:.1f} s: {sorted(seen.items())}")
    assert sum(seen.values()) > 100
    # It got past validation into the services, not only into 400s.
    assert seen[("POST /api/v1/purchases/", 201)] and seen[("POST /api/v1/customers/", 201)]


@pytest.fixture
def wsgi_in_test_transaction(settings):
    """Call the WSGI app in this thread, inside the test's transaction, as Django's test client does: a
    request must not close the connection, and one client's hundreds of requests must not be throttled."""
    settings.API_THROTTLE_RATE = "1000000/min"
    cache.clear()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    cache.clear()


def test_schema_is_public_openapi_3(client, program):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/customers/", "/api/v1/purchases/", "/api/v1/purchases/{purchase_id}/refund/"} <= set(
        schema["paths"]
    )


def test_docs_page_uses_no_cdn(client, program):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")


def test_the_schema_says_a_customers_language_is_en_or_ru(client, program):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    enrol, customer = components["CustomerEnrolRequest"], components["Customer"]
    assert "language" not in enrol["required"]  # absent: the shop's language
    assert "language" in customer["required"]
    for prop in (enrol["properties"]["language"], customer["properties"]["language"]):
        assert prop["allOf"] == [{"$ref": "#/components/schemas/LanguageEnum"}]
    assert components["LanguageEnum"]["enum"] == ["en", "ru"]
