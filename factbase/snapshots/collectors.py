"""What the import collects from the rows on the way, run as row checks: the users it maps
by username, and the content types it maps by label (with the citations of records the
snapshot does not hold, warned of)."""

from collections.abc import Callable


class UserNames:
    """users.csv: each user's id and username, collected for the import to map."""

    def __init__(self, pk_position: int, name_position: int, users: list):
        self.pk_position = pk_position
        self.name_position = name_position
        self.users = users

    def __call__(self, line: int, row: list) -> None:
        self.users.append((row[self.pk_position], row[self.name_position]))


class ContentTypes:
    """The content types a table names, collected into `labels` (the import maps them).
    With `targets` (label -> the ids of that model's table; a table that is not one of
    the snapshot's is absent), each (label, object id) is looked up there, and a missing
    target is `warn(line, message)`ed: citations of facts outside the snapshot are
    allowed, but said."""

    def __init__(
        self,
        position: int,
        labels: set,
        object_position: int | None = None,
        targets: dict | None = None,
        warn: Callable[[int, str], None] | None = None,
    ):
        self.position = position
        self.labels = labels
        self.object_position = object_position
        self.targets = targets
        self.warn = warn

    def __call__(self, line: int, row: list) -> None:
        label = row[self.position]
        if label is None:
            return
        self.labels.add(label)
        if self.targets is None:
            return
        ids = self.targets.get(label)
        if ids is None:
            self.warn(line, f"{label} is not a Factbase table.")
        elif row[self.object_position] not in ids:
            self.warn(
                line,
                f"cites {label} {row[self.object_position]}, which the snapshot does not hold.",
            )
