"""Snapshots: the whole database as canonical CSV files and a Frictionless descriptor.

- `export.export_snapshot(out, format="zip"|"dir")` writes one, read in one transaction;
- `importer.import_snapshot(path, dry_run=..., replace=...)` checks one and loads it;
- `diff.diff_snapshots(old, new, emit)` compares two, table by table, as streams.

`tables` says which tables and columns a snapshot holds, `formats` their text forms,
`rules` evaluates the models' constraints on a row. See docs/snapshots.md.

The files: `descriptor` builds datapackage.json, `readme` README.txt, `targets` writes
them (ZIP or folder); `source` opens a snapshot to read, within `limits`, raising
`errors`; `reader` streams a CSV file's records, `hashing` counts and hashes bytes.

The import: `descriptor_checks`, then `checker` for each file, whose row checks are
`row_parser`, `key_checks` (with `ids` and `seen_keys`), `rule_checks` and
`collectors`, run by `row_validator`; what they find is `problems`, what they learn the
`plan`, which `writer` loads (through `converters` where the bytes cannot go as they are).
"""
