"""What a merge and its undo share in writing: the reason the editor gives, checked before
anything is written, the history reason every write carries (the most telling prefix that
leaves room for it), and the save of the fields a row changes, whose refusal names the row."""

from django.core.exceptions import ValidationError

from ...reasons import MAX_LENGTH, reason_text
from ..saving import error_dict, record_save
from .errors import MergeInvalid

MERGE = "Merge"  # the shortest history reason prefix of a merge's writes


def _history_reason(reason: str, prefixes: list[str]) -> str:
    """The history reason of every write: the first prefix, the most telling, that leaves
    room for the editor's reason (check_reason made sure that the last one does)."""
    for prefix in prefixes:
        if len(prefix) + 2 + len(reason) <= MAX_LENGTH:
            return f"{prefix}: {reason}"
    return reason_text(reason, prefix=prefixes[-1])  # raises: it does not fit


def check_reason(reason: str, prefix: str = MERGE) -> str:
    if not (reason or "").strip():
        raise MergeInvalid({"reason": ["Say why: the reason is kept in every record's history."]})
    try:
        reason_text(reason, prefix=prefix)
    except ValidationError as error:
        raise MergeInvalid({"reason": error.messages}) from error
    return reason.strip()


def _write(row, fields: list[str], *, user, reason: str, refused) -> None:
    """Save the fields a merge or its undo changed on `row`; a refusal, named for the row."""
    try:
        record_save(row, fields=fields, user=user, reason=reason)
    except ValidationError as error:
        raise refused(
            [
                f"{key}: {message}" if key != "non_field_errors" else message
                for key, values in error_dict(error).items()
                for message in values
            ]
        ) from error
