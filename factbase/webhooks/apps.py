from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Subscriptions to the change feed and their delivery log: configuration and
    operations, not records, so not a kind, without history and not in snapshots (who
    changed a subscription is in the admin's log, factbase.webhooks.services)."""

    name = "factbase.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
    default_auto_field = "django.db.models.BigAutoField"
