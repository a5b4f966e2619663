"""Writes. Every create, update and delete of every record goes through these functions,
so each one is validated, stamped with who and when, and recorded in history, in one
transaction. The API, the admin and the management commands all call them.

- saving.py: one record (record_save), the version check and the citation rule, and a
  version of a record whose rows another write changes (record_version), once for a
  block of many such writes (one_version_per_listing);
- writing.py: a record with its lists and child rows (record_write);
- deleting.py: deletes and status changes;
- merging/: merging a record into another that is the same real thing, and its undo;
- clock.py: the instant writes are recorded at (now, or the past a loader sets).
"""

from .deleting import facts_set_status, m2m_referrers, record_delete, records_delete
from .merging import (
    MergeConflict,
    MergeInvalid,
    UndoRefused,
    merge_plan,
    merge_undo,
    record_merge,
)
from .saving import (
    RecordInvalid,
    VersionConflict,
    citation_leaves_verified_fact,
    error_dict,
    fact_require_citation,
    one_version_per_listing,
    record_save,
    record_version,
    written_in_block,
)
from .writing import record_write

__all__ = [
    "MergeConflict",
    "MergeInvalid",
    "RecordInvalid",
    "UndoRefused",
    "VersionConflict",
    "citation_leaves_verified_fact",
    "error_dict",
    "fact_require_citation",
    "facts_set_status",
    "m2m_referrers",
    "merge_plan",
    "merge_undo",
    "one_version_per_listing",
    "record_delete",
    "record_merge",
    "record_save",
    "record_version",
    "record_write",
    "records_delete",
    "written_in_block",
]
