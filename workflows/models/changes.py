"""How many times each partnership's reviews have changed: what tells a kept dashboard it is out
of date (``workflows.change_counts``, ADR 12)."""

from django.db import models

# The row counted when something every partnership's pages show changes (a person's name).
EVERY_PARTNERSHIP = 0


class ChangeCount(models.Model):
    """The number of changes to what a partnership's dashboard shows, counted by the database
    itself: triggers on the tables it reads add one in the same transaction as the change,
    whoever makes it (the write path, viewflow, a bulk update, a shell). A partnership with no
    row has had no change counted yet. Row ``EVERY_PARTNERSHIP`` counts changes to what every
    partnership shows."""

    partnership_id = models.PositiveIntegerField(primary_key=True)
    count = models.BigIntegerField(default=0)

    class Meta:
        db_table = "workflows_changecount"

    def __str__(self) -> str:
        return f"{self.partnership_id}: {self.count} changes"
