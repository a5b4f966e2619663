"""The rows a merge plan names and the rows it writes: a row as the plan's answer names it,
a conflict that refuses the merge, what the merge does to one relation's rows; and, kept
for the writes, each row that moves (with the relations it moves by) and each list that
names the merged record."""

from dataclasses import dataclass, field

from django.db import models

from .relations import Relation


@dataclass
class Row:
    model: str  # "events.metric"
    id: int
    label: str

    @classmethod
    def of(cls, row: models.Model, label: str | None = None) -> "Row":
        return cls(row._meta.label_lower, row.pk, str(row) if label is None else label)


@dataclass
class Conflict:
    """Why the merge cannot be made as things stand: `kind` is "duplicate" (the kept
    record already has the same row: the same role twice), "unique" (a rule that allows
    one such row: the same company twice in a partnership) or "invalid" (the row would
    break another rule: an investment in itself). `rows` are the row moved and, where
    there is one, the row it collides with."""

    kind: str
    relation: str
    rows: list[Row]
    detail: str


@dataclass
class RelationMoves:
    """What a merge does to one relation's rows: `moved` to the kept record (for a list,
    the rows that list the kept record instead); `dropped` (already on the kept record: an
    alias, a citation) go with the merged record."""

    relation: Relation
    moved: list[Row] = field(default_factory=list)
    dropped: list[Row] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.moved)


@dataclass
class _Moving:
    row: models.Model
    fields: list[Relation] = field(default_factory=list)
    label: str = ""


@dataclass
class _Link:
    row: models.Model
    relation: Relation
    kept_added: bool  # False: it listed the kept record already
