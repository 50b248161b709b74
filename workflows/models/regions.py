"""Regions: groups of partnerships that a regional or national lead looks across."""

from django.conf import settings
from django.db import models

from workflows.models.people import Partnership


class Region(models.Model):
    """A group of Community Safety Partnerships, e.g. a police force area or a government region.

    A partnership may sit in more than one region (a force area and a government region)."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    partnerships = models.ManyToManyField(Partnership, related_name="regions", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RegionalAccess(models.Model):
    """A person who may see the statistics of a region, or of every partnership (no region).

    Regional and national leads see aggregates and published library titles only: never a
    reference, a name or anything else about one review."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="regional_access"
    )
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="access",
        help_text="Leave empty for national access: every region and partnership.",
    )

    class Meta:
        verbose_name_plural = "regional access"
        constraints = [
            models.UniqueConstraint(fields=["user", "region"], name="regional_access_once"),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(region__isnull=True),
                name="national_access_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} - {self.region or 'national'}"

    @property
    def is_national(self) -> bool:
        return self.region_id is None
