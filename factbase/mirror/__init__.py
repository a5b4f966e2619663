"""Mirroring: this database kept a copy of another Factbase (`manage.py mirror --from URL`).

A mirror starts from a snapshot of the origin (starting.py), then follows the origin's
change feed (`/api/v1/changes/?after=<cursor>`), applying each change through the services
in commit order (applying.py), a page at a time, each page in one transaction with the
cursor it reaches (following.py). docs/scaling.md, "Mirroring", says how to run one.

- client.py: the origin's API over HTTP, and what its failures say;
- changes.py: a feed entry read and checked, its values as the models hold them (values.py);
- reasons.py: the history reason of an applied change; errors.py: why it stops;
- models.py: where each origin's feed was left (MirrorOrigin).
"""
