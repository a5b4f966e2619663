"""Subscriptions to the change feed, and the log of every attempt to deliver to them."""

from django.conf import settings
from django.db import models

from factbase.core.tokens import masked

from .targets import MAX_URL, validate_kinds, validate_target_url


class State(models.TextChoices):
    OK = "ok", "delivering"
    FAILING = "failing", "failing"


class Subscription(models.Model):
    """A receiver of the changes of some kinds (all when none is named), delivered one at a
    time in the feed's order from `cursor` on."""

    target_url = models.CharField(
        "target URL",
        max_length=MAX_URL,
        validators=[validate_target_url],
        help_text="Where each change is POSTed: an http or https URL.",
    )
    kinds = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_kinds],
        help_text="The kinds of record whose changes are sent; none: every kind.",
    )
    # Kept as given: the worker signs with it. Shown in full once, when it is made.
    secret = models.CharField(max_length=200, editable=False)
    active = models.BooleanField(
        default=True, help_text="An inactive subscription is sent nothing until made active."
    )
    cursor = models.BigIntegerField(
        default=0,
        help_text="The last change delivered (or skipped, not being of its kinds): the "
        "next delivery is the first change after it.",
    )
    # Part of each delivery id, so that the deliveries of a replay have ids of their own.
    replays = models.PositiveIntegerField(default=0, editable=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OK)
    failures = models.PositiveIntegerField(
        default=0, help_text="Failed attempts in a row at the change waiting to be delivered."
    )
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="The next attempt after a failure, not before."
    )
    last_error = models.CharField(max_length=500, blank=True)
    last_delivered_at = models.DateTimeField(null=True, blank=True)
    # Which worker delivers for it, until when (factbase.webhooks.pump): one at a time.
    claim = models.UUIDField(null=True, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ("id",)
        indexes = [models.Index(fields=["active", "cursor"], name="webhooks_sub_due")]

    def __str__(self) -> str:
        return f"webhook {self.pk} → {self.target_url}"

    @property
    def secret_hint(self) -> str:
        return masked(self.secret)


class Outcome(models.TextChoices):
    DELIVERED = "delivered", "delivered"
    FAILED = "failed", "failed"


class DeliveryAttempt(models.Model):
    """One POST of one change to one subscription: when, what came back, how long it took."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="attempts"
    )
    delivery = models.UUIDField(
        help_text="The delivery id: the same for every attempt at one change (until a replay)."
    )
    cursor = models.BigIntegerField(help_text="The change's cursor in the feed.")
    kind = models.CharField(max_length=64)
    record_id = models.BigIntegerField("record id")
    action = models.CharField(max_length=10)
    attempt = models.PositiveIntegerField(help_text="1 for the first attempt at this change.")
    at = models.DateTimeField(db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField("status code", null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField("duration (ms)")

    class Meta:
        ordering = ("-at", "-id")
        indexes = [
            models.Index(fields=["subscription", "-id"], name="webhooks_attempt_sub"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} change {self.cursor} to webhook {self.subscription_id}"
