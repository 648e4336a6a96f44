"""The host's own table: its events, keyed by (tenant, event id) like meetlink's. meetlink's
tables are not Django models (``manage.py meetlink_migrate`` makes them)."""

from django.db import models


class HostEvent(models.Model):
    """An event of the host's calendar."""

    tenant = models.CharField(max_length=100)
    event_id = models.CharField(max_length=191)
    title = models.CharField(max_length=200)
    start = models.DateTimeField()
    minutes = models.PositiveIntegerField(default=30)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["tenant", "event_id"], name="one_event_per_id"),
        )
