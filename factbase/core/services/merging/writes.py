"""What a merge and its undo share in writing: the reason the editor gives, checked before
anything is written, the history reason every write carries (the most telling prefix that
leaves room for it), the versions of the records whose answers list the rows they move,
and the save of the fields a row changes, whose refusal names the row."""

from django.core.exceptions import ValidationError

from ...reasons import MAX_LENGTH, reason_text
from ..saving import error_dict, listing_link, listing_record, record_save, record_version
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


def version_listing_records(keep, rows, *, written=(), user, reason: str) -> None:
    """A version (record_version) of `keep`, then of every other record whose answer lists
    one of `rows` (pairs of a row and the fields the merge or undo changes on it) among its
    own rows and is not itself moved: a partnership its parties, a person its roles, a fact
    its citations (a person merged: the quotes attributed to them). Written before the
    rows, at their instant: each version lists the rows it shows changed. A row moved from
    one record to another by its link (an alias) is listed by those two; the kept record
    is `keep`, and the other is deleted (a merge) or restored (an undo) at that instant.
    `written` names the records, as (model, id), that the caller writes anyway (an event
    whose list names the merged record): their own write is their version."""
    record_version(keep, user=user, reason=reason)
    moved = {(type(row), row.pk) for row, _ in rows} | set(written)
    done = {(type(keep), keep.pk)}
    for row, fields in rows:
        listing = listing_record(row)
        if listing is None or listing_link(type(row)) in fields:
            continue
        if listing in moved or listing in done:
            continue
        done.add(listing)
        model, pk = listing
        record_version(model(pk=pk), user=user, reason=reason)
