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
    Each must name a Factbase table (`known`, labels): one that names none is reported
    (`report(line, column, message)`), as the import would make a content type of it
    that no page or answer could read. With `targets` (label -> the ids of that model's
    table), each (label, object id) is looked up there, and a missing target is
    `warn(line, message)`ed: citations of facts outside the snapshot are allowed, but
    said."""

    def __init__(
        self,
        position: int,
        column: str,
        labels: set,
        known,
        report: Callable[[int, str, str], None],
        object_position: int | None = None,
        targets: dict | None = None,
        warn: Callable[[int, str], None] | None = None,
    ):
        self.position = position
        self.column = column
        self.labels = labels
        self.known = known
        self.report = report
        self.object_position = object_position
        self.targets = targets
        self.warn = warn

    def __call__(self, line: int, row: list) -> None:
        label = row[self.position]
        if label is None:
            return
        if label not in self.known:
            self.report(line, self.column, f"{label} is not a Factbase table.")
            return
        self.labels.add(label)
        if self.targets is None:
            return
        ids = self.targets.get(label, ())
        if row[self.object_position] not in ids:
            self.warn(
                line,
                f"cites {label} {row[self.object_position]}, which the snapshot does not hold.",
            )
