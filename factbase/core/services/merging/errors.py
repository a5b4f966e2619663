"""What a merge or an undo raises when it is asked wrongly or cannot be made: the API and
the admin turn each into its answer (a 400 naming the argument, a 409 naming the rows)."""

from typing import TYPE_CHECKING

from ..saving import RecordInvalid

if TYPE_CHECKING:
    from .rows import Conflict


class MergeInvalid(RecordInvalid):
    """A merge or an undo asked wrongly: `errors` names the argument (`keep`, `merge`,
    `reason`) and what is wrong with it."""


class MergeConflict(Exception):
    """Rows of the merged record would collide with the kept record's: the merge is
    refused, nothing written. `conflicts` names each (Conflict)."""

    def __init__(self, conflicts: list["Conflict"]):
        self.conflicts = conflicts
        super().__init__(" ".join(conflict.detail for conflict in conflicts))


class UndoRefused(Exception):
    """A merge that cannot be undone as things stand: `problems` says what to do first."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(" ".join(problems))
