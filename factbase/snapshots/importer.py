"""Loading a snapshot: check everything, then write everything in one transaction.

Checking reads every file once, as a stream, before anything is written: the descriptor
(format version, migrations, files and columns), each file's size, SHA-256 and row count,
and every cell (its type, and the rules the database holds: NOT NULL, lengths, integer
ranges, decimal digits, primary keys unique and increasing, UNIQUE constraints, foreign
keys against the ids of the snapshot's own tables, and the models' CHECK constraints,
evaluated in Python, see rules.py). The descriptor's checks are in descriptor_checks.py;
each file's in checker.py, where the row checks are built once per table, as small
validators (row_validator.py), and then run on every record. The ids of the referenced
tables are kept (as runs of consecutive ids, ids.py); the values of unique columns go to
a temporary SQLite file (seen_keys.py), so memory stays flat however large a table is;
nothing else is kept.

Writing happens only when nothing was found wrong, in one transaction, in dependency
order: COPY FROM STDIN on PostgreSQL (the file's bytes as they are, when no id needs
mapping), executemany on other databases. Sequences are then moved past the ids loaded
(writer.py).

The target must be empty: no row in any snapshot table, except the platforms and metric
types that `migrate` seeds, with their history, as long as they are untouched (only the
seeded slugs, version 1, and only their "Initial vocabulary" creation in history): these
are replaced by the snapshot's own. With `replace`, whatever the tables hold is deleted
first, in the same transaction.
"""

import time

from django.db import DEFAULT_DB_ALIAS, connections

from .checker import Checker
from .descriptor_checks import check_descriptor
from .errors import SnapshotFileError
from .plan import ImportReport, Progress
from .problems import Problems, SnapshotInvalid
from .source import Source
from .tables import snapshot_tables
from .upgrades import upgraded
from .writer import Writer, occupied_tables


def import_snapshot(
    path,
    *,
    using: str = DEFAULT_DB_ALIAS,
    dry_run: bool = False,
    replace: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check the snapshot at `path` (a ZIP file or a folder) and, unless `dry_run`, load
    it. Raises SnapshotInvalid, listing the problems, when it cannot be loaded; then
    nothing was written. `progress(phase, table, rows, bytes, seconds)` is called after
    each table is checked ("checked") and loaded ("loaded")."""
    started = time.monotonic()
    connection = connections[using]
    tables = snapshot_tables()
    report = ImportReport(dry_run=dry_run, replaced=replace)
    problems = Problems()
    try:
        # A snapshot taken before a migration that added columns is read as today's.
        source = upgraded(Source(path), connection)
    except SnapshotFileError as error:
        problems.add(str(path), None, None, str(error))
        raise SnapshotInvalid(problems) from error
    with source:
        plan = check_descriptor(source, tables, connection, problems)
        if not replace:
            occupied = occupied_tables(connection, tables)
            if occupied:
                problems.add(
                    "(database)",
                    None,
                    None,
                    "The database is not empty: it has rows in "
                    + ", ".join(occupied[:8])
                    + (f" and {len(occupied) - 8} more tables" if len(occupied) > 8 else "")
                    + ". Load into an empty database, or use --replace to delete what "
                    "the tables hold and load the snapshot in its place.",
                )
                if not dry_run:
                    raise SnapshotInvalid(problems)
        if plan is None:
            raise SnapshotInvalid(problems)
        checker = Checker(source, plan, problems, report, progress, connection.vendor)
        for table in tables:
            checker.check(table)
        if problems:
            raise SnapshotInvalid(problems)
        report.tables, report.rows, report.bytes = len(tables), plan.rows, plan.bytes
        if not dry_run:
            Writer(connection, source, plan, tables, report, progress, replace).run()
    report.seconds = time.monotonic() - started
    return report
