"""Where the mirror left each origin's change feed."""

from django.db import models


class MirrorOrigin(models.Model):
    """An origin this database mirrors: the last change of its feed applied here.

    The cursor moves in the transaction that applies the changes up to it, so that a
    mirror stopped at any point goes on from the change after the last one it kept."""

    url = models.URLField("URL", max_length=500, unique=True, help_text="The origin's address.")
    cursor = models.BigIntegerField(help_text="The last change of the origin's feed applied here.")
    last_run = models.DateTimeField(null=True, blank=True, help_text="When it last asked.")
    last_error = models.TextField(blank=True, help_text="Why the last run stopped, if it failed.")

    class Meta:
        ordering = ["url"]

    def __str__(self):
        return f"{self.url} at change {self.cursor}"
