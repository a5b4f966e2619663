"""Snapshots: the whole database as canonical CSV files and a Frictionless descriptor.

- `export.export_snapshot(out, format="zip"|"dir")` writes one, read in one transaction;
- `importer.import_snapshot(path, dry_run=..., replace=...)` checks one and loads it;
- `diff.diff_snapshots(old, new, emit)` compares two, table by table, as streams.

`tables` says which tables and columns a snapshot holds, `formats` their text forms,
`rules` evaluates the models' constraints on a row. See docs/snapshots.md.
"""
