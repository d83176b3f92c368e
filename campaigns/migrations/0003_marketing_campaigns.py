"""The console's campaigns (issue #15): Marketing sees, creates and runs them (launch, pause, resume,
finish and the uploaded list are changes of a campaign)."""

from django.db import migrations

from core.roles import grant_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0002_campaign_bucket_function"),
        ("loyalty", "0003_roles"),
    ]

    operations = [
        grant_permissions(
            {
                "Marketing": [
                    "campaigns.view_campaign",
                    "campaigns.add_campaign",
                    "campaigns.change_campaign",
                ]
            }
        ),
    ]
