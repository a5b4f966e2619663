"""The admin. Every save, delete and bulk action goes through `factbase.core.services`, so the
admin writes the same history, with the editor as author, as the API and commands.

- base.py: TrackedAdmin, the admin of any tracked record (and AUDIT_FIELDS, partial_date);
- forms.py: its forms (the reason, the version opened);
- facts.py: FactAdmin, for fact records (citations inline, status actions);
- sources.py, snapshots.py: the admin of sources and citations, and of snapshots.

The domain apps build their admins on TrackedAdmin and FactAdmin, imported from here.
"""

from . import snapshots, sources  # noqa: F401  (they register their admins)
from .base import AUDIT_FIELDS, TrackedAdmin, partial_date
from .facts import FactAdmin

__all__ = ["AUDIT_FIELDS", "FactAdmin", "TrackedAdmin", "partial_date"]
