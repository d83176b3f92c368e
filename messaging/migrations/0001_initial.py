"""The outbox (messages and their status history) and the consent history (issue #14)."""

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('customers', '0011_till_lookup_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Message',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel', models.CharField(choices=[('email', 'Email'), ('sms', 'SMS'), ('messenger', 'Messenger')], max_length=20, verbose_name='channel')),
                ('kind', models.CharField(max_length=60, verbose_name='kind')),
                ('purpose', models.CharField(choices=[('marketing', 'Marketing'), ('service', 'Service notice')], max_length=20, verbose_name='purpose')),
                ('template', models.CharField(blank=True, max_length=100, verbose_name='template')),
                ('language', models.CharField(max_length=10, verbose_name='language')),
                ('subject', models.CharField(blank=True, max_length=200, verbose_name='subject')),
                ('text', models.TextField(verbose_name='text')),
                ('address', models.CharField(blank=True, max_length=254, verbose_name='address')),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('sending', 'Sending'), ('sent', 'Sent'), ('delivered', 'Delivered'), ('failed', 'Failed'), ('skipped', 'Skipped')], default='queued', max_length=20, verbose_name='status')),
                ('skip_reason', models.CharField(blank=True, choices=[('no_consent', 'No marketing consent'), ('no_address', 'No address for the channel'), ('unsubscribed', 'Unsubscribed'), ('frequency_cap', 'Frequency cap reached')], max_length=20, verbose_name='skip reason')),
                ('error', models.CharField(blank=True, max_length=500, verbose_name='error')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='next attempt')),
                ('held_reason', models.CharField(blank=True, max_length=100, verbose_name='held because')),
                ('key', models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name='key')),
                ('dedupe_key', models.CharField(blank=True, editable=False, max_length=200, null=True, unique=True)),
                ('provider', models.CharField(blank=True, max_length=50, verbose_name='provider')),
                ('provider_message_id', models.CharField(blank=True, db_index=True, max_length=200, verbose_name="provider's message id")),
                ('created_at', models.DateTimeField(db_index=True, verbose_name='queued at')),
                ('claimed_at', models.DateTimeField(blank=True, null=True, verbose_name='claimed at')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent at')),
                ('delivered_at', models.DateTimeField(blank=True, null=True, verbose_name='delivered at')),
                ('failed_at', models.DateTimeField(blank=True, null=True, verbose_name='failed at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('created_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='messages', to='customers.customer', verbose_name='customer')),
            ],
            options={
                'verbose_name': 'message',
                'verbose_name_plural': 'messages',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='MessageStatusChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('sending', 'Sending'), ('sent', 'Sent'), ('delivered', 'Delivered'), ('failed', 'Failed'), ('skipped', 'Skipped')], max_length=20, verbose_name='status')),
                ('reason', models.CharField(blank=True, max_length=500, verbose_name='reason')),
                ('at', models.DateTimeField(verbose_name='when')),
                ('message', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='status_changes', to='messaging.message')),
            ],
            options={
                'verbose_name': 'message status change',
                'verbose_name_plural': 'message status changes',
                'ordering': ['at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='ConsentChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel', models.CharField(choices=[('email', 'Email'), ('sms', 'SMS'), ('messenger', 'Messenger')], max_length=20, verbose_name='channel')),
                ('granted', models.BooleanField(verbose_name='given')),
                ('source', models.CharField(choices=[('enrolment', 'Enrolment form'), ('import', 'Customer import'), ('api', 'API'), ('link', 'Unsubscribe link'), ('stop', 'STOP reply'), ('staff', 'Staff'), ('erasure', 'Personal data erased')], max_length=20, verbose_name='how')),
                ('at', models.DateTimeField(verbose_name='when')),
                ('origin', models.CharField(blank=True, max_length=100, verbose_name='origin')),
                ('note', models.CharField(blank=True, max_length=200, verbose_name='note')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='who')),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='consent_changes', to='customers.customer', verbose_name='customer')),
            ],
            options={
                'verbose_name': 'consent change',
                'verbose_name_plural': 'consent changes',
                'ordering': ['-at', '-id'],
                'indexes': [models.Index(fields=['customer', 'channel', 'at'], name='messaging_consent_latest')],
            },
        ),
        migrations.AddIndex(
            model_name='message',
            index=models.Index(fields=['customer', 'purpose', 'created_at'], name='messaging_message_cap'),
        ),
        migrations.AddIndex(
            model_name='message',
            index=models.Index(condition=models.Q(('status__in', ['queued', 'sending'])), fields=['next_attempt_at'], name='messaging_message_due'),
        ),
        migrations.AddConstraint(
            model_name='message',
            constraint=models.CheckConstraint(condition=models.Q(('status', 'skipped'), ('skip_reason', ''), _connector='OR'), name='messaging_message_skip_reason_only_when_skipped'),
        ),
        migrations.AddConstraint(
            model_name='message',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'skipped'), _negated=True), models.Q(('skip_reason', ''), _negated=True), _connector='OR'), name='messaging_message_skipped_has_reason'),
        ),
    ]
