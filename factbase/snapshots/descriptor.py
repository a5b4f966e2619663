"""Building datapackage.json, the Frictionless Data Package descriptor an export writes:
the snapshot's format and migrations, and for each table's file its columns, keys, size,
SHA-256 and row count. What an import checks of it is in descriptor_checks.py."""

import json

from .tables import Table

FORMAT = "factbase-snapshot/1"
DESCRIPTOR = "datapackage.json"
DIALECT = {
    "delimiter": ",",
    "lineTerminator": "\n",
    "quoteChar": '"',
    "doubleQuote": True,
    "header": True,
}


def resource_descriptor(table: Table, *, rows: int, size: int, sha256: str) -> dict:
    schema: dict = {
        "fields": [column.table_schema() for column in table.columns],
        "missingValues": ["\\N"],
        "primaryKey": [table.pk],
    }
    fks = [
        {
            "fields": [fk.column],
            # "" is the resource itself, as the Table Schema spells a self-reference.
            "reference": {
                "resource": "" if fk.table == table.name else fk.table,
                "fields": [fk.target],
            },
        }
        for fk in table.foreign_keys
        if fk.enforced
    ]
    if fks:
        schema["foreignKeys"] = fks
    return {
        "name": table.name,
        "path": table.path,
        "profile": "tabular-data-resource",
        "title": table.title,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": DIALECT,
        "bytes": size,
        "hash": sha256,
        "rows": rows,
        "schema": schema,
    }


def package_descriptor(
    resources: list[dict],
    *,
    created: str,
    migrations: dict,
    version: str,
    pseudonymised: bool = False,
) -> dict:
    return {
        "profile": "tabular-data-package",
        "name": "factbase-snapshot",
        "title": "Factbase snapshot",
        "description": "Every table of a Factbase database at one moment. See README.txt.",
        "created": created,
        "factbase": {
            "format": FORMAT,
            "app_version": version,
            "migrations": migrations,
            "null": "\\N",
            # Absent from snapshots taken before users could be pseudonymised: "real".
            "usernames": "pseudonymised" if pseudonymised else "real",
        },
        "resources": resources,
    }


def dump_descriptor(descriptor: dict) -> bytes:
    return (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode()
