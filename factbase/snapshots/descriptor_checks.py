"""The import's checks of datapackage.json, before any data file is read: the format
version, the migrations (app by app: none this database lacks), and one resource per
table, at its path, with its size, hash and row count, and the table's columns in order.
They say whether the files can be checked against it at all (check_descriptor gives the
Plan the rest of the import fills)."""

from factbase.core.kinds import record_apps

from .descriptor import DESCRIPTOR, FORMAT
from .errors import SnapshotFileError
from .export import applied_migrations
from .plan import Plan
from .problems import Problems, file_problem
from .tables import Table


def check_descriptor(source, tables, connection, problems) -> Plan | None:
    """The descriptor's checks; None when the files cannot be checked against it."""
    try:
        descriptor = source.descriptor()
    except SnapshotFileError as error:
        file_problem(problems, DESCRIPTOR, error)
        return None
    meta = descriptor.get("factbase")
    if not isinstance(meta, dict):
        meta = {}
    if not _check_format(meta, problems):
        return None
    _check_migrations(meta, connection, problems)
    if problems:
        return None
    resources = _described_resources(descriptor)
    _check_resources(source, tables, resources, problems)
    return Plan(descriptor=descriptor, resources=resources)


def _check_format(meta: dict, problems: Problems) -> bool:
    """Whether the descriptor says the format this version reads."""
    if meta.get("format") == FORMAT:
        return True
    problems.add(
        DESCRIPTOR,
        None,
        "factbase.format",
        f"format {meta.get('format')!r} is not {FORMAT!r}: this is not a snapshot this "
        "version of Factbase can read.",
    )
    return False


def _check_migrations(meta: dict, connection, problems: Problems) -> None:
    """The snapshot's migrations, app by app: each one this database must have applied.
    A snapshot from before later migrations loads when its tables still have the same
    columns (checked next, table by table) and its rows obey today's rules (checked row
    by row): a migration that only adds an index or a rule does not orphan the snapshots
    taken before it. One this database has not applied (a newer version's) is refused."""
    theirs = meta.get("migrations")
    if not isinstance(theirs, dict):
        theirs = {}
    applied = applied_migrations(connection)
    for app in record_apps():
        unknown = sorted(set(theirs.get(app, [])) - set(applied.get(app, [])))
        if unknown:
            problems.add(
                DESCRIPTOR,
                None,
                "factbase.migrations",
                f"the snapshot was taken at a schema of app {app!r} that this database "
                f"has not reached: the snapshot has {', '.join(unknown)}, this database "
                "has not. Migrate this database first (or load it with the version of "
                "Factbase that took it).",
            )


def _described_resources(descriptor: dict) -> dict[str, dict]:
    """The descriptor's resources by name (those without a name ignored)."""
    resources = {}
    for resource in descriptor.get("resources") or []:
        if isinstance(resource, dict) and isinstance(resource.get("name"), str):
            resources[resource["name"]] = resource
    return resources


def _check_resources(source, tables, resources: dict[str, dict], problems: Problems) -> None:
    """One resource per table, none other."""
    expected = {t.name for t in tables}
    for name in sorted(set(resources) - expected):
        problems.add(DESCRIPTOR, None, None, f"resource {name!r} is not a table Factbase has.")
    for table in tables:
        resource = resources.get(table.name)
        if resource is None:
            problems.add(DESCRIPTOR, None, None, f"resource {table.name!r} is missing.")
            continue
        _check_resource(source, table, resource, problems)
        _check_fields(table, resource, problems)


def _check_resource(source, table: Table, resource: dict, problems: Problems) -> None:
    """A table's resource: its path, its file, what it says of the file."""
    if resource.get("path") != table.path:
        problems.add(
            DESCRIPTOR,
            None,
            None,
            f"resource {table.name!r} should be at {table.path}, not {resource.get('path')!r}.",
        )
    if not source.exists(table.path):
        problems.add(table.path, None, None, "the file is missing.")
    for key in ("bytes", "hash", "rows"):
        if key not in resource:
            problems.add(DESCRIPTOR, None, None, f"resource {table.name!r} has no {key!r}.")


def _check_fields(table: Table, resource: dict, problems: Problems) -> None:
    """The resource's fields: the table's columns, names and types, in order."""
    fields = ((resource.get("schema") or {}).get("fields")) or []
    described = [(f.get("name"), f.get("type")) for f in fields if isinstance(f, dict)]
    wanted = [(c.name, c.kind) for c in table.columns]
    if described == wanted:
        return
    have, want = dict(described), dict(wanted)
    before = problems.count
    for name, kind in wanted:
        if name not in have:
            problems.add(table.path, 1, name, "column missing from the descriptor.")
        elif have[name] != kind:
            problems.add(table.path, 1, name, f"described as {have[name]}, should be {kind}.")
    for name, _ in described:
        if name not in want:
            problems.add(table.path, 1, name, "no such column in this table.")
    if problems.count == before:
        problems.add(table.path, 1, None, "the columns are not in the expected order.")
