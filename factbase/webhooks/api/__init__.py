"""`/api/v1/webhooks/`: subscriptions through the API (registered in factbase.api.urls)."""
