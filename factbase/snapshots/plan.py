"""What an import carries from checking to writing (Plan), and what it tells its caller
(ImportReport, and Progress as the table is checked and loaded)."""

from collections.abc import Callable
from dataclasses import dataclass, field

from .ids import IdSet
from .problems import LIMIT


@dataclass
class ImportReport:
    tables: int = 0
    rows: int = 0
    bytes: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    replaced: bool = False
    users_created: int = 0
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0

    def warn(self, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < LIMIT:
            self.warnings.append(message)


Progress = Callable[[str, str, int, int, float], None]


@dataclass
class Plan:
    """What checking found out, for writing."""

    descriptor: dict
    resources: dict[str, dict]
    users: list[tuple[int, str]] = field(default_factory=list)
    user_ids: IdSet = field(default_factory=IdSet)
    content_types: set[str] = field(default_factory=set)
    dangling_users: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    bytes: int = 0
