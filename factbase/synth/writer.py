"""Writing generated rows in bulk, with their history.

Rows are appended after the largest id in use in each table (and in its history table,
which keeps the ids of deleted records). They are written in chunks: COPY on PostgreSQL,
`executemany` on SQLite. Each created record gets its "+" history row, copied from the
written row by one INSERT ... SELECT per table, with the change reason "synth" and its
`created_at` as history date; many-to-many rows get their historical copies attached to
that history row, the state the record was created in. Sequences are moved past the new
ids at the end. On PostgreSQL, large loads drop the plain indexes and the foreign keys of
the tables they fill, and build and check them again at the end.
"""

from operator import itemgetter

from django.core.management.color import no_style
from django.db import models

from factbase.core.models import history_model_of

from .sizes import SynthError

CHANGE_REASON = "synth"
CHUNK = 20_000  # rows buffered per table before they are written
DEFER_UPKEEP_FROM = 100_000  # rows; below that, index and foreign key upkeep is quick


class Writer:
    """Writes rows of models to the database connection, in bulk."""

    def __init__(self, connection, cursor, reason: str = CHANGE_REASON):
        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        self.cursor = cursor
        self.reason = reason
        self.rows: dict[str, int] = {}
        self.models: list[type[models.Model]] = []
        self.deferred: list[str] = []  # statements that restore what defer_upkeep dropped

    def scalar(self, sql: str, params=()):
        self.cursor.execute(sql, params)
        row = self.cursor.fetchone()
        return row[0] if row else None

    def last_id(self, model) -> int:
        """The largest id used so far in the table: new rows are numbered after it."""
        qn = self.connection.ops.quote_name
        table, pk = model._meta.db_table, model._meta.pk.column
        last = self.scalar(f"SELECT MAX({qn(pk)}) FROM {qn(table)}") or 0
        history = history_model_of(model)
        if history is not None:
            # Ids of deleted records live on in their history.
            history_table = qn(history._meta.db_table)
            last = max(last, self.scalar(f"SELECT MAX({qn(pk)}) FROM {history_table}") or 0)
        if self.postgres:
            sequence = self.scalar(
                "SELECT pg_sequence_last_value(pg_get_serial_sequence(%s, %s))", [qn(table), pk]
            )
            last = max(last, sequence or 0)
        else:
            has_sequences = self.scalar(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_sequence'"
            )
            if has_sequences:
                sequence = self.scalar("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                last = max(last, sequence or 0)
        return last

    def register(self, model) -> None:
        self.models.append(model)
        self.rows.setdefault(model._meta.db_table, 0)

    def lock(self, tables: list[str]) -> None:
        """Keep other writers from taking the ids we number rows with, until commit."""
        if self.postgres and tables:
            qn = self.connection.ops.quote_name
            names = ", ".join(qn(t) for t in tables)
            self.cursor.execute(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")

    def write(self, table: "Table", rows: list[tuple]) -> None:
        qn = self.connection.ops.quote_name
        columns = ", ".join(qn(c) for c in table.columns)
        if self.postgres:
            sql = f"COPY {qn(table.db_table)} ({columns}) FROM STDIN"
            with self.cursor.copy(sql) as copy:
                write_row = copy.write_row
                for row in rows:
                    write_row(row)
        else:
            if table.converters:
                rows = [
                    tuple(
                        c(v) if c and v is not None else v
                        for c, v in zip(table.converters, r, strict=True)
                    )
                    for r in rows
                ]
            marks = ", ".join("?" * len(table.columns))
            sql = f"INSERT INTO {qn(table.db_table)} ({columns}) VALUES ({marks})"
            self.connection.connection.executemany(sql, rows)
        self.rows[table.db_table] += len(rows)

    def copy_history(self, table: "Table", *, edit: bool = False) -> None:
        """One "+" history row per row written to `table`, dated at its creation; or with
        `edit`, one "~" row per row, dated at its last update."""
        history_model = history_model_of(table.model)
        self.register(history_model)
        start = self.last_id(history_model)
        qn = self.connection.ops.quote_name
        pk = qn(table.model._meta.pk.column)
        source_columns = set(table.columns)
        columns, expressions, params = [], [], []
        for f in history_model._meta.concrete_fields:
            columns.append(qn(f.column))
            if f.primary_key:
                expressions.append(f"{pk} - {table.start} + {start}")
            elif f.name == "history_date":
                expressions.append(qn("updated_at" if edit else "created_at"))
            elif f.name == "history_type":
                expressions.append("%s")
                params.append("~" if edit else "+")
            elif f.name == "history_change_reason":
                expressions.append("%s")
                params.append(self.reason)
            elif f.name in ("history_user", "change_seq"):
                # change_seq: numbered in the order of time once all is written (run.py).
                expressions.append("NULL")
            elif f.column in source_columns:
                expressions.append(qn(f.column))
            else:
                raise SynthError(f"{history_model.__name__}.{f.name} has no source column")
        self.cursor.execute(
            f"INSERT INTO {qn(history_model._meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(expressions)} FROM {qn(table.db_table)} "
            f"WHERE {pk} > %s",
            [*params, table.start],
        )
        self.rows[history_model._meta.db_table] += self.cursor.rowcount
        if not edit:
            table.history_start = start

    def edit(self, table: "Table", version: int, note: str) -> None:
        """Edit every row written to `table`: a new note, one more version, updated 30
        days after the previous version; with its "~" history row."""
        qn = self.connection.ops.quote_name
        days = 30 * (version - 1)
        if self.postgres:
            updated = f"{qn('created_at')} + interval '{days} days'"
        else:
            updated = f"datetime({qn('created_at')}, '+{days} days')"
        self.cursor.execute(
            f"UPDATE {qn(table.db_table)} SET {qn('version')} = %s, {qn('note')} = %s, "
            f"{qn('updated_at')} = {updated} WHERE {qn(table.model._meta.pk.column)} > %s",
            [version, note, table.start],
        )
        self.copy_history(table, edit=True)

    def copy_m2m_history(self, owner: "Table", through: "Table", m2m: models.ManyToManyField):
        """The historical copies of many-to-many rows, attached to the owner's "+" row."""
        history_model = getattr(history_model_of(owner.model), m2m.name).model
        self.register(history_model)
        start = self.last_id(history_model)
        qn = self.connection.ops.quote_name
        owner_column = qn(m2m.m2m_column_name())
        through_pk = qn(through.model._meta.pk.column)
        source_columns = set(through.columns)
        columns, expressions = [], []
        for f in history_model._meta.concrete_fields:
            columns.append(qn(f.column))
            if f.primary_key:
                expressions.append(f"{through_pk} - {through.start} + {start}")
            elif f.name == "history":
                expressions.append(f"{owner_column} - {owner.start} + {owner.history_start}")
            elif f.column in source_columns:
                expressions.append(qn(f.column))
            else:
                raise SynthError(f"{history_model.__name__}.{f.name} has no source column")
        self.cursor.execute(
            f"INSERT INTO {qn(history_model._meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(expressions)} FROM {qn(through.db_table)} WHERE {through_pk} > %s",
            [through.start],
        )
        self.rows[history_model._meta.db_table] += self.cursor.rowcount

    def defer_upkeep(self, expected: dict) -> None:
        """On PostgreSQL, before loads that are large and at least the size of their
        table (`expected`: model -> rows about to be added), drop the tables' plain
        indexes and foreign keys, for `finish` to build and check again: one sorted index
        build, and one join per foreign key, are much faster than a million inserts at
        random places in each index and a million one-row lookups. Primary keys, unique
        and CHECK constraints stay; a failed run rolls the drops back with the rest."""
        if not self.postgres:
            return
        qn = self.connection.ops.quote_name
        drops = []
        for model, rows in expected.items():
            if rows < DEFER_UPKEEP_FROM:
                continue
            table = qn(model._meta.db_table)
            # Counting stops at `rows`: cheap whatever the size of the table.
            existing = self.scalar(
                f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} LIMIT %s) AS rows", [rows]
            )
            if existing >= rows:
                continue
            self.cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = %s::regclass "
                "AND NOT i.indisunique AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
                "ORDER BY 1",
                [table],
            )
            for name, definition in self.cursor.fetchall():
                drops.append(f"DROP INDEX {name}")
                self.deferred.append(definition)
            self.cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY 1",
                [table],
            )
            for name, definition in self.cursor.fetchall():
                constraint = f"ALTER TABLE {table} {{}} CONSTRAINT {qn(name)}"
                drops.append(constraint.format("DROP"))
                self.deferred.append(f"{constraint.format('ADD')} {definition}")
        if drops:
            # A table with foreign key checks pending (from earlier in the caller's
            # transaction) cannot be altered: run them, then defer again, as Django's
            # foreign keys are until commit.
            self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for statement in drops:
                self.cursor.execute(statement)
            self.cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def finish(self) -> None:
        for sql in self.connection.ops.sequence_reset_sql(no_style(), self.models):
            self.cursor.execute(sql)
        if self.postgres:
            if self.deferred:
                # Pending foreign key checks (of the tables that kept theirs) run now
                # rather than at commit: a table with checks pending cannot be altered.
                self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                self.cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for statement in self.deferred:
                self.cursor.execute(statement)
            qn = self.connection.ops.quote_name
            for model in self.models:
                self.cursor.execute(f"ANALYZE {qn(model._meta.db_table)}")


class Table:
    """The new rows of one model: numbered after the ids in use, buffered, written in
    chunks. Rows are given as field attnames; fields left out take their default."""

    def __init__(self, writer: Writer, model):
        self.writer = writer
        self.model = model
        self.db_table = model._meta.db_table
        fields = model._meta.concrete_fields
        self.columns = [f.column for f in fields]
        self.defaults = {}
        for f in fields:
            # Callable defaults (the clock for created_at) must be given.
            if not f.primary_key and not (f.has_default() and callable(f.default)):
                self.defaults[f.attname] = f.get_default()
        self.getter = itemgetter(*[f.attname for f in fields])
        self.converters = None
        if not writer.postgres:
            connection = writer.connection
            converters = [
                (lambda v, f=f: f.get_db_prep_save(v, connection))
                if f.get_internal_type() in {"DateTimeField", "DecimalField"}
                else None
                for f in fields
            ]
            if any(converters):
                self.converters = converters
        self.start = writer.last_id(model)
        self.last = self.start
        self.buffer: list[tuple] = []
        self.history_start = 0
        writer.register(model)

    def next_id(self) -> int:
        self.last += 1
        return self.last

    def add(self, **values) -> None:
        self.buffer.append(self.getter({**self.defaults, **values}))

    def flush(self) -> None:
        if self.buffer:
            self.writer.write(self, self.buffer)
            self.buffer = []

    @property
    def count(self) -> int:
        return self.last - self.start
