"""`use_cashier` moves here from `loyalty.ProgramSettings` (issue #10): the permission row is re-homed, so
every group and user holding it keeps it. The model has no table."""

from django.db import migrations, models

from core.model_moves import permissions_move


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        # Granted to its role by its old name in loyalty 0003.
        ("loyalty", "0014_api_client_moved"),
    ]

    operations = [
        migrations.CreateModel(
            name='CashierAccess',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ],
            options={
                'verbose_name': 'till access',
                'permissions': [('use_cashier', 'Can use the cashier page')],
                'managed': False,
                'default_permissions': (),
            },
        ),
        permissions_move(["use_cashier"], old=("loyalty", "programsettings"), new=("cashier", "cashieraccess")),
    ]
