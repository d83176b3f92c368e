"""The audit log moves here from `customers` (issue #10): state only, the table `customers_auditentry` and
every row stay; the content type is relabelled so that groups keep `view_auditentry`."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from core.model_moves import content_type_move


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0006_audit_action_rotate"),
        # After every migration that grants `customers.view_auditentry` by its old label.
        ("loyalty", "0013_import_real_run_once"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='when')),
                ('origin', models.CharField(blank=True, max_length=100, verbose_name='origin')),
                ('action', models.CharField(choices=[('customer.enrol', 'Customer enrolled'), ('customer.update', 'Customer profile changed'), ('customer.import', 'Customers imported'), ('points.adjust', 'Manual adjustment'), ('settings.update', 'Program settings changed'), ('tiers.update', 'Tiers changed'), ('api_client.create', 'API client created'), ('api_client.revoke', 'API client revoked'), ('api_client.rotate', 'API client given a new key')], db_index=True, max_length=60, verbose_name='action')),
                ('object_type', models.CharField(max_length=60, verbose_name='object type')),
                ('object_id', models.CharField(blank=True, max_length=40, verbose_name='object id')),
                ('summary', models.CharField(max_length=300, verbose_name='summary')),
                ('changes', models.JSONField(blank=True, default=dict, verbose_name='changes')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='audit_entries', to=settings.AUTH_USER_MODEL, verbose_name='who')),
            ],
            options={
                'verbose_name': 'audit entry',
                'verbose_name_plural': 'audit log',
                'db_table': 'customers_auditentry',
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['object_type', 'object_id'], name='customers_audit_object')],
            },
        ),]),
        content_type_move("auditentry", old_app="customers", new_app="core"),
    ]
