"""The import's checks of datapackage.json, before any data file is read: the format
version, the migrations (app by app, against this database's), and one resource per
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
    """The snapshot's migrations, app by app, against those this database has applied."""
    theirs = meta.get("migrations")
    if not isinstance(theirs, dict):
        theirs = {}
    applied = applied_migrations(connection)
    for app in record_apps():
        ours = applied.get(app, [])
        if sorted(theirs.get(app, [])) != ours:
            problems.add(
                DESCRIPTOR,
                None,
                "factbase.migrations",
                f"the snapshot was taken at another schema of app {app!r}: "
                + "; ".join(_migration_differences(theirs.get(app, []), ours))
                + ". Load it into a database at the same migrations.",
            )


def _migration_differences(theirs, ours) -> list[str]:
    missing = sorted(set(theirs) - set(ours))
    extra = sorted(set(ours) - set(theirs))
    detail = []
    if missing:
        detail.append(f"the snapshot has {', '.join(missing)}, this database has not")
    if extra:
        detail.append(f"this database has {', '.join(extra)}, the snapshot has not")
    return detail


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
