"""Indexes for the managers' dashboard; the queries and their plans are in
docs/monitoring-queries.md.

- ``dashboard_open_task_process``: a review's open flow tasks. viewflow's task table is a
  third-party model, so this is plain SQL (the same on SQLite and PostgreSQL): a partial index of
  the open tasks by process, leaving out the finished tasks that make up most of the table.
- ``dashboard_history_stage_entered``: when a review entered its stage (the latest history row
  moving it there), one backward index scan per review. Plain SQL too, so that the model's state
  does not change under the engineer who owns ``ReviewHistory``; declaring it in the model's
  ``Meta`` later means turning this operation into a state-only one.

It follows 0002_regions (written at the same time) so that the app keeps a single leaf.
"""

from django.db import migrations

OPEN_TASKS = "('NEW', 'ASSIGNED', 'STARTED')"  # workflows.services.tasks.OPEN


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0002_regions"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX dashboard_open_task_process ON viewflow_task (process_id) "
                f"WHERE status IN {OPEN_TASKS}"
            ),
            reverse_sql="DROP INDEX dashboard_open_task_process",
        ),
        migrations.RunSQL(
            sql=(
                "CREATE INDEX dashboard_history_stage_entered "
                "ON workflows_reviewhistory (review_id, to_stage, at)"
            ),
            reverse_sql="DROP INDEX dashboard_history_stage_entered",
        ),
    ]
