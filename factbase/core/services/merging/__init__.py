"""Merging a record into another that is the same real thing (a company entered twice), and
undoing it.

A merge moves to the kept record every row that refers to the merged one (its products,
roles, metrics, investments, parties, aliases, citations, quotes attributed to a person...)
and the lists that name it (an event's companies), keeps the merged record's name as an
alias, then deletes the merged record; each of these writes goes through the services,
with history and one reason. What would collide on the kept record is found before
anything is written, and refuses the merge, naming each collision for the editor to
resolve first. The `Merge` row records every change made (`moves`, JSON), which is what an
undo puts back. factbase.core.merges reads what standing merges leave behind (where an old
id or slug lives now).

- relations.py: every way other rows refer to a model's records, read from the models;
- rows.py: the rows a plan names (a row, a conflict, a relation's moves) and writes;
- conflicts.py: what would collide on the kept record, or break a rule once moved;
- plan.py: what a merge would do, read before anything is written (merge_plan);
- writes.py: the reason check, the history reason and the row save a merge and its undo share;
- apply.py: carrying a merge out (record_merge);
- undo.py: putting back what a merge did (merge_undo);
- moves.py: what a `Merge` row stores of what it did, and its counts (merge_counts);
- errors.py: what a merge or an undo raises when it is asked wrongly or cannot be made.
"""

from .apply import record_merge
from .errors import MergeConflict, MergeInvalid, UndoRefused
from .moves import merge_counts
from .plan import SHOWN_ROWS, merge_plan
from .relations import relations
from .undo import merge_undo

__all__ = [
    "SHOWN_ROWS",
    "MergeConflict",
    "MergeInvalid",
    "UndoRefused",
    "merge_counts",
    "merge_plan",
    "merge_undo",
    "record_merge",
    "relations",
]
