"""A campaign's ledger entries read in the reader's language, whichever language the run that wrote them
had (loyalty.reasons.campaign_reason, entry_reason)."""

import pytest
from django.db import transaction
from django.utils import timezone, translation

from campaigns.models import Campaign
from campaigns.services.grants import campaign_grant_one
from loyalty.models import LedgerEntry
from loyalty.reasons import campaign_reason, entry_reason
from loyalty.services import points_adjust

from .helpers import customer_in, running_campaign

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("written_in", "read_in", "shown"), [
    ("en", "ru", "Кампания «Welcome»"),
    ("ru", "en", "Campaign “Welcome”"),
    ("en", "en", "Campaign “Welcome”"),
])  # fmt: skip
def test_a_campaign_grant_reads_in_the_readers_language(program, marketing_user, client, written_in, read_in, shown):
    campaign = running_campaign(Campaign.Kind.WELCOME, name="Welcome", points=500)
    customer = customer_in(campaign, holdout=False)
    with translation.override(written_in), transaction.atomic():
        campaign_grant_one(campaign=campaign, customer_id=customer.pk, occasion="enrol", at=timezone.now())
    entry = LedgerEntry.objects.get(source=campaign.ledger_source)
    with translation.override(read_in):
        assert entry_reason(entry) == shown
    client.force_login(marketing_user)
    page = client.get(f"/customers/{customer.pk}/", HTTP_ACCEPT_LANGUAGE=read_in).content.decode()
    assert shown in page


def test_text_a_person_wrote_is_shown_as_written(program, customer, marketing_user):
    with translation.override("en"):
        points_adjust(customer_id=customer.pk, points=20, reason="Campaign “Spring” by hand", actor=marketing_user)
    entry = LedgerEntry.objects.get(customer=customer)
    with translation.override("ru"):
        assert entry_reason(entry) == "Campaign “Spring” by hand"
        assert campaign_reason("Spring") == "Кампания «Spring»"
