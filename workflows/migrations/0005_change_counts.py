# The change counts behind the kept dashboard (workflows/change_counts.py, ADR 12).

from django.db import migrations, models

from workflows import change_counts


def create_triggers(apps, schema_editor):
    for statement in change_counts.create_triggers_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    for statement in change_counts.drop_triggers_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0004_publication_and_action_plans"),
        # The triggers on viewflow's tasks need its tables as they are now.
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChangeCount",
            fields=[
                ("partnership_id", models.PositiveIntegerField(primary_key=True, serialize=False)),
                ("count", models.BigIntegerField(default=0)),
            ],
            options={
                "db_table": "workflows_changecount",
            },
        ),
        # Changing ``COUNTED`` needs a new migration that drops and creates them again.
        migrations.RunPython(create_triggers, drop_triggers),
    ]
