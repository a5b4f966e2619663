"""The import: every row of a file written through the services, all or none.

Each row becomes the input of the kind's serializer (factbase.imports.rows), is validated
by it as the API validates a POST (a new record) or a PATCH (a row with an `id`), and is
written by `services.record_write`: the model's rules, the citations checked against the
source's stored text, the audit fields, a version and a history row with the editor and
the reason `import <file name>`. A row that changes nothing writes nothing (`unchanged`).

The whole file is one transaction, recorded at one instant: time travel shows the
database before the import or after it, never halfway, as every reader saw it. A record
is changed by one row of a file at most. Each row is written in a savepoint of its own, so that
a refused row leaves nothing behind and the rows after it are still checked: the report
names every row that fails. The transaction commits only when every row passed and this
is not a dry run; otherwise it is rolled back, and nothing was written. A dry run is thus
the real import, undone: what it reports is what the import would do.

Rows are read, written and forgotten one at a time; the report keeps counts and a capped
list of rows (factbase.imports.report), so memory does not grow with the file.
"""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DatabaseError, router, transaction
from django.utils.text import slugify
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from factbase.api.fields import CELLS_AS_TEXT, RecordRefField
from factbase.api.shape import read_queryset
from factbase.core.feed import batch
from factbase.core.ids import is_digits
from factbase.core.kinds import alias_relation
from factbase.core.reasons import reason_text
from factbase.core.services import (
    RecordInvalid,
    one_version_per_listing,
    record_write,
    written_in_block,
)
from factbase.resolution.duplicates import likely_duplicates_of

from .columns import Plan, kind_columns
from .kinds import kind_named, serializer_of
from .lookups import RecordCache
from .reading import FileProblem, Problem, Row, Table, error_messages, path_text, read_table
from .report import ERROR, NEW, UNCHANGED, UPDATE, Created, Outcome, Report
from .rows import CITATION_HEADERS, RowInput, bind, from_cells, from_object, label_names

NAME_SHOWN = 40  # characters of a file's name in a history reason (which holds 100)
SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def import_reason(file_name: str, reason: str = "") -> str:
    """The history reason of an import's writes: `import <file name>`, then the editor's
    reason if any. A ValidationError when the editor's does not fit."""
    name = file_name if len(file_name) <= NAME_SHOWN else file_name[: NAME_SHOWN - 1] + "…"
    prefix = f"import {name}".strip()
    return reason_text(reason, prefix=prefix)


class _Refused(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems


@dataclass
class Options:
    user: object = None
    reason: str = ""  # the history reason (import_reason)
    dry_run: bool = False
    create_missing: bool = False
    # A new company, product or person close to a stored one is refused (a likely
    # duplicate, as the API's create refuses it) unless this says it is another one.
    allow_duplicates: bool = False


def run_import(
    stream,
    *,
    kind: str,
    file_name: str,
    format: str,
    user=None,
    reason: str = "",
    dry_run: bool = False,
    create_missing: bool = False,
    allow_duplicates: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Import `stream` (a binary file; for XLSX a seekable one) as records of `kind`.
    `reason` is the history reason as import_reason() gives it. `progress`, if given, is
    called with the number of rows done, every so often and at the end."""
    options = Options(user, reason, dry_run, create_missing, allow_duplicates)
    importer = Importer(kind, options, file_name=file_name, format=format)
    return importer.run(lambda: read_table(stream, format), progress)


class Importer:
    def __init__(self, kind_name: str, options: Options, *, file_name: str, format: str):
        self.kind = kind_named(kind_name)
        self.model = self.kind.model
        self.serializer_class = serializer_of(self.kind)
        self.columns = kind_columns(self.serializer_class)
        self.options = options
        self.report = Report(self.kind.name, file_name, format, options.dry_run)
        self.cache = RecordCache()
        self.serializer = self.serializer_class(context={"request": None})
        self.cache.install(self.serializer)
        self.plan: Plan | None = None
        self.database = router.db_for_write(self.model)

    def run(self, open_table: Callable[[], Table], progress=None) -> Report:
        started = time.monotonic()
        database = self.database
        # One transaction at one instant, its versions numbered in one pass at the end
        # (factbase.core.feed); a round whose investments it writes gets one version for
        # all of them (services.one_version_per_listing).
        with batch(database), one_version_per_listing(database):
            try:
                table = open_table()
                if table.header is not None:
                    self.plan = self.columns.plan(table.header)
                for done, row in enumerate(table.rows, start=1):
                    self.report.add(self.row(row))
                    if progress is not None and done % 500 == 0:
                        progress(done)
            except FileProblem as problem:
                self.report.problem = problem
            self.report.written = not (self.options.dry_run or self.report.failed)
            if not self.report.written:
                transaction.set_rollback(True, using=database)
                for outcome in self.report.rows:  # the ids of records never kept
                    if outcome.outcome == NEW:
                        outcome.record_id = None
                for created in self.report.created:
                    created.record_id = None
        if progress is not None:
            progress(self.report.total)
        self.report.seconds = time.monotonic() - started
        return self.report

    # --- one row ---------------------------------------------------------------------------

    def row(self, row: Row) -> Outcome:
        given = from_object(row) if self.plan is None else from_cells(row, self.plan, self.columns)
        if given.problems:
            return Outcome(row.line, ERROR, given.key, problems=given.problems)
        instance = None
        try:
            # A savepoint: a refused row leaves nothing behind, in the database or in the
            # records cached for the next rows.
            with self.cache.row(), transaction.atomic(using=self.database):
                try:
                    instance = self.stored(given)
                    return self.write(given, instance)
                except DatabaseError as error:
                    # What validation let through and the database refused (a value out of
                    # its range): this row's error; its savepoint keeps the others going.
                    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
                    raise _Refused(
                        [Problem(None, f"The database refused this row: {first}")]
                    ) from None
        except _Refused as refused:
            self.report.forget_created(row.line)
            label = str(instance) if instance is not None and self.report.keeps_row() else ""
            return Outcome(row.line, ERROR, given.key, label, refused.problems)

    def stored(self, given: RowInput):
        """The record the row updates, read under its lock with its rows and citations;
        None for a new record."""
        if given.key is None:
            if self.plan is not None and self.plan.missing:
                raise _Refused(
                    [
                        Problem(
                            None,
                            f"A new {self.model._meta.verbose_name} needs "
                            f"{self.columns.describe(self.plan.missing)}: this file has no "
                            "such columns. Give the id of the record to update.",
                        )
                    ]
                )
            return None
        found = (
            read_queryset(self.serializer_class)
            .select_for_update(of=("self",))
            .filter(pk=given.key)
            .first()
        )
        name = self.model._meta.verbose_name
        if found is None:
            raise _Refused(
                [Problem("id", f"No {name} {given.key}. To create one, leave its id empty.")]
            )
        if given.version is not None and found.version != given.version:
            raise _Refused(
                [
                    Problem(
                        "version",
                        f"The {name} is at version {found.version}, not {given.version}: it "
                        "changed since this row was exported. Export it again, or empty "
                        "the version cell to write over the change.",
                    )
                ]
            )
        return found

    def write(self, given: RowInput, instance) -> Outcome:
        # A table's cells are text, read by each column's type; a JSON line's values have
        # their own types, as an API body's (factbase.api.fields.typed_input).
        self.serializer.context[CELLS_AS_TEXT] = given.from_cells
        data = bind(given, instance, self.serializer, self.cache)
        if given.problems:
            raise _Refused(given.problems)
        serializer = self.validate(data, instance)
        may_create = serializer.errors and self.options.create_missing
        if may_create and self.create_missing(serializer, data, given):
            serializer = self.validate(data, instance)
        if serializer.errors:
            raise _Refused(self.problems(serializer.errors, given))
        self.check_labels(serializer, given)
        if instance is None and not self.options.allow_duplicates:
            self.check_duplicates(serializer.validated_data)
        fields, m2m, children = serializer.split()
        before = None if instance is None else instance.version
        again = instance is not None and written_in_block(instance)
        try:
            record = record_write(
                instance if instance is not None else self.model(),
                fields=fields,
                m2m=m2m,
                children=children,
                user=self.options.user,
                reason=self.options.reason,
                locked=instance is not None,
            )
        except RecordInvalid as error:
            raise _Refused(self.problems(serializer.api_errors(error.errors), given)) from None
        outcome = NEW if instance is None else UPDATE if record.version != before else UNCHANGED
        if again and outcome == UPDATE:
            # Its two versions would share the file's one instant, by which history and
            # time travel tell versions apart. A row that repeats it unchanged is fine.
            raise _Refused(
                [
                    Problem(
                        "id",
                        f"An earlier row of this file changes {self.model._meta.verbose_name} "
                        f"{record.pk} already: give each record's changes in one row.",
                    )
                ]
            )
        label = str(record) if self.report.keeps_row() else ""
        return Outcome(given.line, outcome, record.pk, label)

    def check_duplicates(self, data: dict, model=None, column: str = "name") -> None:
        """A new record (of the kind imported, or `model`) whose name or an alias is close
        to a stored record's (one an earlier row of the file created, too) is refused,
        naming the records it is likely a duplicate of (factbase.resolution)."""
        model = model or self.model
        if alias_relation(model) is None:
            return
        aliases = [row["name"] for row in data.get("aliases", ()) if row.get("name")]
        candidates = likely_duplicates_of(model, data, aliases)
        if candidates:
            named = "; ".join(
                f"{c.record.name} ({getattr(c.record, 'slug', c.record.pk)}): {c.why}"
                for c in candidates
            )
            raise _Refused(
                [
                    Problem(
                        column,
                        f"Likely a duplicate of {named}. If it is another "
                        f"{model._meta.verbose_name}, import with duplicates allowed.",
                    )
                ]
            )

    def validate(self, data: dict, instance):
        """The kind's serializer, validating `data` as a POST (no instance) or a PATCH.
        One serializer serves every row: building its fields costs more than most rows."""
        serializer = self.serializer
        for name in ("_validated_data", "_errors", "_data"):
            serializer.__dict__.pop(name, None)
        serializer.instance, serializer.partial = instance, instance is not None
        serializer.initial_data = data
        serializer.is_valid()
        return serializer

    # --- references ------------------------------------------------------------------------

    def check_labels(self, serializer, given: RowInput) -> None:
        """A slug given beside an id must name the record the id names."""
        problems = []
        for check in given.checks:
            value = serializer.validated_data.get(check.field)
            field = serializer.fields[check.field]
            if isinstance(field, RecordRefField):
                if value is not None and not label_names(field, check.labels[0], value):
                    # What the chosen column gave (an id, a slug, an alias), and the
                    # record's slug when that is not it.
                    chosen, slug = str(given.data[check.field]), getattr(value, "slug", value)
                    named = chosen if chosen == str(slug) else f"{chosen} ({slug})"
                    problems.append(
                        Problem(
                            check.column,
                            f"{check.labels[0]!r} is not {given.columns[check.field]} {named}: "
                            "give one of them, or make them agree.",
                        )
                    )
            else:
                slugs = sorted(getattr(record, "slug", str(record.pk)) for record in value)
                if slugs != sorted(check.labels):
                    problems.append(
                        Problem(
                            check.column,
                            f"Names {', '.join(sorted(check.labels)) or 'none'}, but "
                            f"{given.columns[check.field]} names {', '.join(slugs) or 'none'}: "
                            "give one of them, or make them agree.",
                        )
                    )
        if problems:
            raise _Refused(problems)

    def create_missing(self, serializer, data: dict, given: RowInput) -> bool:
        """Create the related records the row names by a slug that no record has (with
        `create_missing`), its child rows' too (a partnership's parties, a person's
        roles); whether any was."""
        created = False
        for name, messages in serializer.errors.items():
            field = serializer.fields.get(name)
            column = given.columns.get(name, name)
            if isinstance(field, serializers.ListSerializer):
                # DRF gives the rows' errors by their index (the valid rows left out); an
                # error of the whole list is under a key of its own, not a row's.
                rows = list(data.get(name) or ())
                for index, row_errors in messages.items():
                    row = rows[index] if isinstance(index, int) and index < len(rows) else None
                    if not isinstance(row_errors, dict) or not isinstance(row, dict):
                        continue
                    for sub, sub_messages in row_errors.items():
                        sub_field = field.child.fields.get(sub)
                        created |= self.create_named(
                            sub_field, sub_messages, [row.get(sub)], None, given.line, column
                        )
                continue
            if isinstance(field, serializers.ManyRelatedField):
                field, values = field.child_relation, list(data.get(name) or ())
            else:
                values = [data.get(name)]
            created |= self.create_named(
                field, messages, values, given.names.get(name), given.line, column
            )
        return created

    def create_named(self, field, messages, values, name, line: int, column: str) -> bool:
        """Create a record for each of `values` that `field` (a reference) found nothing
        by (`messages` say so), named by a slug; whether any was."""
        if not isinstance(field, RecordRefField) or not any(
            getattr(message, "code", None) == "does_not_exist" for message in messages
        ):
            return False
        model = field.related_model
        if not any(f.name == "slug" for f in model._meta.fields):
            return False
        created = False
        for value in values:
            if not isinstance(value, str) or is_digits(value) or self.exists(field, value):
                continue
            self.create(model, value, name, line, column=column)
            created = True
        return created

    def exists(self, field, value: str) -> bool:
        try:
            field.to_internal_value(value)
        except ValidationError:
            return False
        return True

    def create(self, model, label: str, name: str | None, line: int, *, column: str) -> None:
        """A record made from what a row calls it: its slug (the label, or the label made
        into a slug) and name (the name column beside it, else the label); a required
        choice takes "other" where that is one."""
        slug = label if SLUG.fullmatch(label) else slugify(label)
        fields = {"slug": slug}
        if any(f.name == "name" for f in model._meta.fields):
            fields["name"] = name or label
        for model_field in model._meta.concrete_fields:
            values = [value for value, _ in model_field.choices or ()]
            if (
                model_field.name not in fields
                and values
                and not model_field.blank
                and not model_field.has_default()
                and "other" in values
            ):
                fields[model_field.name] = "other"
        kind = model._meta.verbose_name
        if not self.options.allow_duplicates:
            # A record made on request is a new record like any other: a likely duplicate
            # of a stored one is refused, as a row creating it would be.
            self.check_duplicates(fields, model, column)
        try:
            record = record_write(
                model(), fields=fields, user=self.options.user, reason=self.options.reason
            )
        except RecordInvalid as error:
            why = "; ".join(
                f"{key}: {' '.join(map(str, value))}" for key, value in error.errors.items()
            )
            raise _Refused(
                [Problem(column, f"No {kind} {label!r}, and none can be made from it: {why}.")]
            ) from None
        self.report.created_record(Created(kind, record.pk, slug, line))

    # --- errors to columns -----------------------------------------------------------------

    def problems(self, errors: dict, given: RowInput) -> list[Problem]:
        found = []
        for path, message in error_messages(errors):
            found.append(self.problem(path, message, given))
        return found

    def problem(self, path: tuple, message: str, given: RowInput) -> Problem:
        head = path[0] if path else "non_field_errors"
        if head == "non_field_errors":
            return Problem(None, message)
        if not given.from_cells:
            return Problem(path_text(path), message)
        column = given.columns.get(head, head)
        rest = path[1:]
        if head == "citations" and rest and rest[0] == given.citation_index:
            # The citation the row adds, from its own columns.
            part = rest[1] if len(rest) > 1 else "non_field_errors"
            if part in CITATION_HEADERS:
                return Problem(CITATION_HEADERS[part], message)
            inner = "" if part == "non_field_errors" else f"{path_text(rest[1:])}: "
            return Problem("citation_quote", f"{inner}{message}")
        if rest and isinstance(rest[0], int):
            inner = f"{path_text(rest[1:])}: " if len(rest) > 1 else ""
            return Problem(column, f"item {rest[0] + 1}: {inner}{message}")
        return Problem(column, message)
