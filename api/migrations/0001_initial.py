"""API clients move here from `loyalty` (issue #10): state only, the table `loyalty_apiclient` and every row
stay; the content type is relabelled so that Marketing keeps its API-client permissions."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.model_moves import audit_object_type_move, content_type_move


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0001_initial"),
        # The table and the grants of `loyalty.*_apiclient` (0007, 0008) come first.
        ("loyalty", "0013_import_real_run_once"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.CreateModel(
            name='ApiClient',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=60, verbose_name='name')),
                ('key_prefix', models.CharField(editable=False, max_length=8, verbose_name='key starts with')),
                ('key_hash', models.CharField(editable=False, max_length=64, unique=True)),
                ('created_at', models.DateTimeField(verbose_name='created')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='revoked')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
            ],
            options={
                'verbose_name': 'API client',
                'verbose_name_plural': 'API clients',
                'db_table': 'loyalty_apiclient',
                'ordering': ['name', '-created_at'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('revoked_at__isnull', True)), fields=('name',), name='loyalty_apiclient_active_name_unique')],
            },
        ),]),
        content_type_move("apiclient", old_app="loyalty", new_app="api"),
        audit_object_type_move("apiclient", old_app="loyalty", new_app="api"),
    ]
