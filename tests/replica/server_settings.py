"""The settings of the server test_live_replica.py starts: the project's, with each SQL
statement logged with the alias of the database it went to (Django logs them with DEBUG
on, at the DEBUG level of `django.db.backends`)."""

from factbase.settings import *  # noqa: F403
from factbase.settings import LOGGING

LOGGING = {
    **LOGGING,
    "loggers": {
        "django.db.backends": {"level": "DEBUG", "handlers": ["console"], "propagate": False}
    },
}
