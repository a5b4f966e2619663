"""Webhooks: every change of the change feed POSTed to the subscribers' URLs, signed.

- models.py: Subscription (a target URL, the kinds it wants, its secret, its cursor) and
  DeliveryAttempt (the delivery log: one row per attempt);
- targets.py: what a target URL and a list of kinds must be;
- signing.py: the signature a receiver checks (HMAC-SHA256 of "<timestamp>.<body>");
- services.py: every write of a subscription (create, update, delete, replay, retry), with
  who and when;
- changes.py: the changes a subscription has yet to receive, as the change feed shows them;
- sending.py: one POST and its log row;
- pump.py: a subscription's deliveries, in cursor order, one change at a time;
- queue.py: the Celery app and its tasks (dispatch, pump, prune); conf.py: the tunables;
- admin.py, api/: the admin pages and `/api/v1/webhooks/`;
- management/commands/webhooks_worker.py: the worker process.

docs/api.md ("Webhooks") says what a subscriber sees; docs/scaling.md ("Webhooks") how
deliveries run, and why.
"""
