"""Writes. Every create, update and delete of every record goes through these functions,
so each one is validated, stamped with who and when, and recorded in history, in one
transaction. The API, the admin and the management commands all call them.

- saving.py: one record (record_save), the version check and the citation rule;
- writing.py: a record with its lists and child rows (record_write);
- deleting.py: deletes and status changes;
- clock.py: the instant writes are recorded at (now, or the past a loader sets).
"""

from .deleting import facts_set_status, m2m_referrers, record_delete, records_delete
from .saving import (
    RecordInvalid,
    VersionConflict,
    error_dict,
    fact_require_citation,
    record_save,
)
from .writing import record_write

__all__ = [
    "RecordInvalid",
    "VersionConflict",
    "error_dict",
    "fact_require_citation",
    "facts_set_status",
    "m2m_referrers",
    "record_delete",
    "record_save",
    "record_write",
    "records_delete",
]
