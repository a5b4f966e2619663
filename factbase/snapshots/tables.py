"""Which tables a snapshot holds, their columns, types, keys and rules, from the models.

Every model of the factbase, companies and events apps is a table: the records, the
many-to-many tables Django creates, the django-simple-history tables and their
many-to-many tables. A model can opt out with a `snapshot_exclude = True` class attribute
(for records about snapshots themselves); its history and many-to-many tables go with it.
One more table, `users`, holds the id and username of the users those tables name (the
audit and history columns: every foreign key to the user model, found by
`user_references`); nothing else of a user is exported, and no other user.

The tables come in dependency order: a table comes after the tables its enforced foreign
keys point to (and citations after every fact table, so the facts they cite are known).
"""

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import CheckConstraint, UniqueConstraint

from factbase.core import validation
from factbase.core.kinds import record_apps
from factbase.core.models import history_model_of

from . import formats
from .rules import compile_condition

USERS = "users"
PSEUDONYM_PREFIX = "user-"
CITATIONS = "factbase_citation"

# The ranges PostgreSQL's column types allow (a snapshot must load into PostgreSQL): the
# ranges every write is held to (factbase.core.validation), Django's own.
INTEGER_RANGES = validation.INTEGER_RANGES
STRING_TYPES = {"CharField", "TextField", "SlugField", "URLField", "EmailField"}


@dataclass
class Column:
    name: str  # in the CSV header
    db_column: str
    kind: str  # one of formats.KINDS
    nullable: bool
    attname: str = ""  # on the model, for reading through the ORM
    role: str = ""  # "user": an id in users.csv; "content_type": "app_label.model"
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_digits: int | None = None
    decimal_places: int | None = None
    description: str = ""
    # The values a record's column may hold (its field's choices), for the tables of
    # records; a history keeps values that were choices when written.
    choices: frozenset | None = None

    @functools.cached_property
    def parse(self) -> Callable[[str], object]:
        if self.kind == "integer":
            return formats.integer_parser(self.minimum, self.maximum)
        if self.kind == "number":
            return formats.number_parser(self.max_digits, self.decimal_places)
        if self.kind == "boolean":
            return formats.parse_boolean
        if self.kind == "date":
            return formats.parse_date
        if self.kind == "datetime":
            return formats.parse_datetime
        if self.role == "content_type":
            return parse_content_type
        if self.choices is not None:
            return formats.choice_parser(self.max_length, self.choices)
        return formats.string_parser(self.max_length)

    def table_schema(self) -> dict:
        descriptor: dict = {"name": self.name, "type": self.kind}
        if self.description:
            descriptor["description"] = self.description
        if self.kind == "boolean":
            descriptor["trueValues"] = ["true"]
            descriptor["falseValues"] = ["false"]
        elif self.kind == "datetime":
            descriptor["format"] = formats.DATETIME_FORMAT
        constraints: dict = {"required": not self.nullable}
        if self.max_length is not None:
            constraints["maxLength"] = self.max_length
        if self.minimum is not None:
            constraints["minimum"] = self.minimum
        if self.maximum is not None:
            constraints["maximum"] = self.maximum
        if self.role == "content_type":
            constraints["pattern"] = CONTENT_TYPE_PATTERN
        descriptor["constraints"] = constraints
        return descriptor


CONTENT_TYPE_PATTERN = "[a-z0-9_]+\\.[a-z0-9_]+"
_CONTENT_TYPE = re.compile(CONTENT_TYPE_PATTERN).fullmatch


def parse_content_type(text: str) -> str:
    if not _CONTENT_TYPE(text):
        raise ValueError(f"not a content type (app_label.model): {text!r}")
    return text


@dataclass
class ForeignKey:
    column: str  # CSV column
    table: str  # the table it points to
    target: str  # the column there
    enforced: bool  # the database holds the constraint; otherwise (history) it may dangle


@dataclass
class Unique:
    name: str
    columns: list[str]
    positions: list[int]
    condition: Callable | None = None


@dataclass
class Check:
    name: str
    columns: list[str]
    predicate: Callable
    message: str


@dataclass
class Table:
    name: str
    model: type[models.Model]
    columns: list[Column]
    pk: str
    title: str = ""
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    uniques: list[Unique] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    history: type[models.Model] | None = None  # the history model of a record model
    is_history: bool = False

    @property
    def db_table(self) -> str:
        return self.model._meta.db_table

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @functools.cached_property
    def index(self) -> dict[str, int]:
        """Column position by CSV name and by database column."""
        positions = {c.name: i for i, c in enumerate(self.columns)}
        positions.update({c.db_column: i for i, c in enumerate(self.columns)})
        return positions

    @property
    def path(self) -> str:
        return f"data/{self.name}.csv"


def snapshot_models() -> list[type[models.Model]]:
    found = []
    for label in record_apps():
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            meta = model._meta
            if meta.proxy or not meta.managed or _excluded(model):
                continue
            found.append(model)
    return found


def _excluded(model) -> bool:
    """Whether the model opted out, or is the history or a many-to-many table of one that
    did: those hold the same rows and must go with it."""
    while model:
        if getattr(model, "snapshot_exclude", False):
            return True
        model = getattr(model, "instance_type", None) or model._meta.auto_created
    return False


def _is_history(model) -> bool:
    return hasattr(model, "instance_type") or model.__name__.startswith("Historical")


def _describe(f) -> str:
    text = str(f.verbose_name)
    if f.help_text:
        text = f"{text}: {f.help_text}"
    return text


def _column(f, tables: dict[type, str], user_model) -> tuple[Column, ForeignKey | None]:
    internal = f.get_internal_type()
    fk = None
    if f.is_relation:
        related = f.related_model
        target = f.target_field
        if related is user_model:
            column = Column(f.column, f.column, "integer", f.null, f.attname, role="user")
            fk = ForeignKey(f.column, USERS, "id", f.db_constraint)
        elif related is ContentType:
            column = Column(f.name, f.column, "string", f.null, f.attname, role="content_type")
            column.description = "The model, as app_label.model (a natural key, not an id)."
            return column, None
        elif related in tables:
            column = Column(f.column, f.column, "integer", f.null, f.attname)
            fk = ForeignKey(f.column, tables[related], target.column, f.db_constraint)
        else:
            raise ImproperlyConfigured(
                f"{f.model.__name__}.{f.name} refers to {related.__name__}, which snapshots "
                "do not hold."
            )
        internal = target.get_internal_type()
        column.minimum, column.maximum = INTEGER_RANGES.get(internal, (None, None))
        column.description = f"Refers to {fk.table}.{fk.target}" + (
            "." if fk.enforced else "; not enforced: may name a record since deleted."
        )
        return column, fk
    column = Column(f.column, f.column, "string", f.null, f.attname, description=_describe(f))
    if internal in INTEGER_RANGES:
        column.kind = "integer"
        column.minimum, column.maximum = INTEGER_RANGES[internal]
    elif internal == "DecimalField":
        column.kind = "number"
        column.max_digits, column.decimal_places = f.max_digits, f.decimal_places
    elif internal == "BooleanField":
        column.kind = "boolean"
    elif internal == "DateField":
        column.kind = "date"
    elif internal == "DateTimeField":
        column.kind = "datetime"
    elif internal in STRING_TYPES:
        if internal != "TextField":
            column.max_length = f.max_length
    else:
        raise ImproperlyConfigured(
            f"{f.model.__name__}.{f.name}: snapshots do not know how to write a {internal}."
        )
    return column, None


def _table(model, tables: dict[type, str], user_model) -> Table:
    meta = model._meta
    columns, fks = [], []
    for f in meta.concrete_fields:
        column, fk = _column(f, tables, user_model)
        if f.choices and column.kind == "string" and not _is_history(model):
            column.choices = frozenset(
                [str(value) for value, _label in f.flatchoices] + ([""] if f.blank else [])
            )
        columns.append(column)
        if fk:
            fks.append(fk)
    table = Table(
        name=tables[model],
        model=model,
        columns=columns,
        pk=meta.pk.column,
        title=str(meta.verbose_name),
        foreign_keys=fks,
        history=history_model_of(model),
        is_history=_is_history(model),
    )
    index = table.index
    by_name = {f.name: f for f in meta.concrete_fields}

    def unique(name, field_names, condition=None):
        cols = [by_name[n].column for n in field_names]
        predicate = None
        if condition is not None:
            predicate, _ = compile_condition(model, condition, index)
        table.uniques.append(Unique(name, cols, [index[c] for c in cols], predicate))

    for f in meta.concrete_fields:
        if f.unique and not f.primary_key:
            unique(f"{meta.db_table}_{f.column}_key", [f.name])
    for names in meta.unique_together:
        unique(f"{meta.db_table}_{'_'.join(names)}_uniq", list(names))
    for constraint in meta.constraints:
        if isinstance(constraint, UniqueConstraint):
            if constraint.expressions or not constraint.fields:
                raise ImproperlyConfigured(f"{constraint.name}: only field uniques are checked")
            unique(constraint.name, list(constraint.fields), constraint.condition)
        elif isinstance(constraint, CheckConstraint):
            predicate, cols = compile_condition(model, constraint.condition, index)
            message = constraint.get_violation_error_message()
            table.checks.append(Check(constraint.name, cols, predicate, message))
    return table


def _users_table(user_model) -> Table:
    username = user_model._meta.get_field(user_model.USERNAME_FIELD)
    return Table(
        name=USERS,
        model=user_model,
        columns=[
            Column("id", "id", "integer", False, "id", minimum=1),
            Column(
                "username",
                username.column,
                "string",
                False,
                username.attname,
                max_length=username.max_length,
                description=(
                    "Imports map users by username. A pseudonymised snapshot holds "
                    f"{PSEUDONYM_PREFIX}<id> instead."
                ),
            ),
        ],
        pk="id",
        title="user",
        uniques=[Unique("username", [username.column], [1])],
    )


def pseudonym(user_id: int) -> str:
    """The username a pseudonymised snapshot gives a user: fixed by the id alone, so that
    the same data always gives the same bytes."""
    return f"{PSEUDONYM_PREFIX}{user_id}"


def user_references(tables=None) -> list[tuple[Table, Column]]:
    """Every column of the snapshot's tables holding a user's id: the foreign keys to the
    user model (audit columns, history_user_id, any other), enforced or not. A snapshot
    holds exactly the users these name."""
    tables = snapshot_tables() if tables is None else tables
    return [
        (table, column)
        for table in tables
        if table.name != USERS
        for column in table.columns
        if column.role == "user"
    ]


@functools.cache
def snapshot_tables() -> tuple[Table, ...]:
    user_model = get_user_model()
    found = snapshot_models()
    names = {model: model._meta.db_table for model in found}
    tables = [_users_table(user_model)] + [_table(model, names, user_model) for model in found]
    return tuple(_dependency_order(tables))


def tables_by_name() -> dict[str, Table]:
    return {table.name: table for table in snapshot_tables()}


def _dependency_order(tables: list[Table]) -> list[Table]:
    """Referenced tables first; among tables free to go, users, then records, then
    history, each alphabetically."""
    by_name = {t.name: t for t in tables}
    needs: dict[str, set[str]] = {}
    for t in tables:
        needs[t.name] = {fk.table for fk in t.foreign_keys if fk.enforced} - {t.name}
        if t.name == CITATIONS:
            needs[t.name] |= {
                o.name for o in tables if not o.is_history and o.name not in (t.name, USERS)
            }
    order: list[Table] = []
    done: set[str] = set()

    def rank(name: str):
        table = by_name[name]
        return (name != USERS, table.is_history, name)

    while len(order) < len(tables):
        ready = sorted((n for n in needs if n not in done and needs[n] <= done), key=rank)
        if not ready:
            raise ImproperlyConfigured(f"foreign keys form a cycle among {set(needs) - done}")
        order.append(by_name[ready[0]])
        done.add(ready[0])
    return order
