"""What a subscription and a delivery attempt show through the API, and what a write
takes. The rules are the model's (factbase.webhooks.targets), checked again by the
services."""

from rest_framework import serializers

from factbase.api.fields import StrictCharField
from factbase.api.serializers import FIELD_MAPPING, InputSerializer, reject_unknown
from factbase.core.ids import id_from

from ..models import DeliveryAttempt, Subscription
from ..signing import SECRET_MAX, SECRET_MIN
from ..targets import validate_kinds


class CursorField(serializers.CharField):
    """A cursor as the change feed gives it: a string of digits."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return str(value)


class SubscriptionSerializer(serializers.ModelSerializer):
    kinds = serializers.ListField(
        child=StrictCharField(max_length=64),
        required=False,
        max_length=100,
        validators=[validate_kinds],
        help_text="The kinds of record whose changes are sent (the change log's `kind`: "
        "`companies`, `metrics`...); empty or left out: every kind.",
    )
    secret = StrictCharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=SECRET_MAX,
        trim_whitespace=False,
        help_text=f"The key deliveries are signed with, {SECRET_MIN} to {SECRET_MAX} "
        "characters; made when not given. Shown once, in the answer to the creation.",
    )
    secret_hint = serializers.CharField(
        read_only=True, help_text="The secret's last characters, to tell secrets apart."
    )
    cursor = CursorField(
        help_text="The last change delivered: the next delivery is the first change after "
        "it in the feed (`/api/v1/changes/?after=<cursor>`)."
    )
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    updated_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    # Its target URL a string and `active` true or false (factbase.api.fields).
    serializer_field_mapping = FIELD_MAPPING

    class Meta:
        model = Subscription
        fields = (
            "id",
            "target_url",
            "kinds",
            "active",
            "secret",
            "secret_hint",
            "state",
            "cursor",
            "failures",
            "next_attempt_at",
            "last_error",
            "last_delivered_at",
            "created_at",
            "created_by",
            "updated_at",
            "updated_by",
        )
        read_only_fields = (
            "state",
            "failures",
            "next_attempt_at",
            "last_error",
            "last_delivered_at",
            "created_at",
            "updated_at",
        )

    def to_internal_value(self, data):
        reject_unknown(self, data)
        return super().to_internal_value(data)


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    """The answer to a creation: the one time the secret is shown in full."""

    secret = serializers.CharField(
        read_only=True,
        help_text="The key deliveries are signed with. Keep it: it is not shown again.",
    )


class CursorInput(serializers.CharField):
    """A cursor sent by a client: a string, as the feed gives it (`"1234"`, not 1234)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ReplaySerializer(InputSerializer):
    after = CursorInput(
        max_length=20,
        help_text="A cursor (a change's `cursor` in the feed, or `0` for the first): every "
        "change after it is delivered again, in order.",
    )

    def validate_after(self, value: str) -> int:
        cursor = id_from(value)
        if cursor is None:
            raise serializers.ValidationError("Give a cursor: a change's `cursor`, or 0.")
        return cursor


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    cursor = CursorField(help_text="The change's cursor in the feed.")

    class Meta:
        model = DeliveryAttempt
        fields = (
            "id",
            "delivery",
            "cursor",
            "kind",
            "record_id",
            "action",
            "attempt",
            "at",
            "outcome",
            "status_code",
            "error",
            "duration_ms",
        )
        read_only_fields = fields
