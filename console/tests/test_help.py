"""The definitions pages: the docs the pages refer to, readable in the console by whoever sees those pages."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_dashboard_links_to_its_definitions_and_they_render(client, marketing_user):
    client.force_login(marketing_user)
    dashboard = client.get("/analytics/").content.decode()
    assert 'href="/help/analytics/"' in dashboard and "docs/analytics.md" not in dashboard
    page = client.get("/help/analytics/")
    assert page.status_code == 200
    body = page.content.decode()
    assert '<h2 id="the-key-metric">The key metric</h2>' in body  # the anchor the settings page links to
    assert '<h2 id="what-if-simulator">What-if simulator</h2>' in body
    assert re.search(r'<table class="table table-sm table-bordered">', body)
    assert client.get("/help/analytics-rfm/").status_code == 200
    assert client.get("/help/messaging/").status_code == 200


def test_russian_readers_are_told_the_definitions_are_in_english(client, marketing_user):
    client.force_login(marketing_user)
    client.cookies["django_language"] = "ru"
    body = client.get("/help/analytics/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Определения написаны на английском." in body


def test_the_definitions_need_the_pages_permission(client, cashier_user):
    assert client.get("/help/analytics/").status_code == 302  # to the login page
    client.force_login(cashier_user)
    assert client.get("/help/analytics/").status_code == 403
    assert client.get("/help/messaging/").status_code == 403


def test_campaign_results_link_to_the_campaigns_definitions(client, marketing_user, cashier_user):
    from campaigns.services.changes import campaign_create

    campaign = campaign_create(values={"name": "Spring", "kind": "broadcast", "points": 100, "channels": ["sms"]})
    client.force_login(marketing_user)
    results = client.get(f"/campaigns/{campaign.pk}/results/").content.decode()
    assert 'href="/help/campaigns/#results"' in results and "docs/campaigns.md" not in results
    assert '<h2 id="results">Results</h2>' in client.get("/help/campaigns/").content.decode()
    client.force_login(cashier_user)
    assert client.get("/help/campaigns/").status_code == 403
