"""Optional selects show "—" for none, never Django's "---------", on every console form page."""

import pytest

from campaigns.models import Campaign

pytestmark = pytest.mark.django_db

PAGES = [
    *(f"/campaigns/new/{kind}/" for kind in Campaign.Kind.values),
    "/settings/",
    "/customers/",
    "/audit/",
    "/messages/",
    "/analytics/settings/",
    "/analytics/saved-segments/",
    "/analytics/segments/",
    "/tiers/",
    "/messages/notices/",
]


@pytest.mark.parametrize("url", PAGES)
def test_no_dashes_for_an_empty_choice(client, superuser, program, url):
    client.force_login(superuser)
    response = client.get(url)
    assert response.status_code == 200, url
    assert "---------" not in response.content.decode()


def test_the_campaign_forms_empty_choices_read_as_a_dash(client, superuser, program):
    client.force_login(superuser)
    page = client.get("/campaigns/new/action/").content.decode()
    assert '<option value="" selected>—</option>' in page
