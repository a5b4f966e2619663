"""Validation of what a write changes, for every tracked record.

What the database guarantees of a stored row (its foreign keys exist, its unique and
check constraints hold) is not asked of it again for the values it still holds:
full_clean() queries only for what a write changes. A record read from the database
remembers its row as read (from_db); the services take the row read under the lock as the
stored one. The check constraints that remain are asked in one query, not one each.
"""

from contextlib import nullcontext, suppress
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

from django.core.exceptions import FieldError, ValidationError
from django.db import DatabaseError, connections, models, router, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import (
    DEFERRED,
    BooleanField,
    CheckConstraint,
    F,
    Q,
    UniqueConstraint,
    Value,
)
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE

from .text import invisible_text_problem


class ChangeValidation:
    """Mixed into TrackedModel: full_clean() that asks the database only about changes."""

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # The row now holds the values written: all loaded fields, or `update_fields`.
        written = kwargs.get("update_fields")
        stored = {} if written is None else self._stored_values()
        for field in self._meta.concrete_fields:
            if field.attname in self.__dict__ and (
                written is None or field.name in written or field.attname in written
            ):
                stored[field.attname] = self.__dict__[field.attname]
        self._stored_row = (list(stored), list(stored.values()))

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_row = (field_names, values)
        return instance

    def take_stored_row(self, other: "ChangeValidation") -> None:
        """Take `other`'s row as read (a fresher read of this record) as the stored one."""
        self._stored_row = getattr(other, "_stored_row", None)

    def unchanged_fields(self) -> set[str]:
        """The concrete fields (by name and attname) whose value is the stored row's; none
        for a record not stored yet."""
        stored = self._stored_values()
        if not stored or self._state.adding:
            return set()
        if not _same(stored.get(self._meta.pk.attname, DEFERRED), self.pk):
            return set()
        unchanged = set()
        for field in self._meta.concrete_fields:
            value = stored.get(field.attname, DEFERRED)
            if value is not DEFERRED and _same(self.__dict__.get(field.attname, DEFERRED), value):
                unchanged |= {field.name, field.attname}
        return unchanged

    def _stored_values(self) -> dict:
        """The stored row, by attname, as far as it is known (see from_db)."""
        names, values = getattr(self, "_stored_row", None) or ((), ())
        return dict(zip(names, values, strict=True)) if len(names) == len(values) else {}

    def clean_fields(self, exclude=None):
        # A foreign key that exists (see _existing_references) is validated but for the
        # query asking whether it does.
        exclude = set(exclude or ())
        known = self._existing_references() - exclude
        errors = {}
        try:
            super().clean_fields(exclude=exclude | known)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for name in known:
            field = self._meta.get_field(name)
            try:
                value = field.to_python(getattr(self, field.attname))
                models.Field.validate(field, value, self)  # ForeignKey.validate's own checks
                field.run_validators(value)
                setattr(self, field.attname, value)
            except ValidationError as error:
                errors[name] = error.error_list
        using = self._state.db or router.db_for_write(type(self))
        for field in self._meta.concrete_fields:
            if field.name not in exclude and field.name not in errors:
                value = getattr(self, field.attname)
                problem, code = portable_value_problem(field, value, using), "not_portable"
                if not problem:
                    problem, code = text_problem(field, value), "invisible_text"
                if problem:
                    errors[field.name] = [ValidationError(problem, code=code)]
        if errors:
            raise ValidationError(errors)

    def _existing_references(self) -> set[str]:
        """Foreign keys known to exist: the stored row's (the database's foreign key
        holds them), or a record read from the database along with this one."""
        unchanged = self.unchanged_fields()
        known = set()
        for field in self._meta.concrete_fields:
            if not isinstance(field, models.ForeignKey) or field.remote_field.parent_link:
                continue
            value = self.__dict__.get(field.attname)
            if value is None or value is DEFERRED or field.get_limit_choices_to():
                continue
            if field.name in unchanged or _read_with(self, field, value):
                known.add(field.name)
        return known

    def _get_unique_checks(self, exclude=None, include_meta_constraints=False):
        unique_checks, date_checks = super()._get_unique_checks(
            exclude=exclude, include_meta_constraints=include_meta_constraints
        )
        if include_meta_constraints:  # a formset comparing its rows with each other
            return unique_checks, date_checks
        unchanged = self.unchanged_fields()
        unique_checks = [
            (model, names) for model, names in unique_checks if not set(names) <= unchanged
        ]
        date_checks = [
            (model, kind, name, unique_for)
            for model, kind, name, unique_for in date_checks
            if not {name, unique_for} <= unchanged
        ]
        return unique_checks, date_checks

    def validate_constraints(self, exclude=None):
        # As Model.validate_constraints, without the constraints that only read unchanged
        # fields, and with the check constraints asked in one query.
        unchanged = self.unchanged_fields()
        using = router.db_for_write(self.__class__, instance=self)
        errors = {}
        for model, rules in self.get_constraints():
            rules = [rule for rule in rules if not _reads_only(rule, unchanged)]
            passed = _check_constraints(self, model, rules, exclude, using)
            for constraint in rules:
                try:
                    if id(constraint) in passed:
                        if not passed[id(constraint)]:
                            raise ValidationError(
                                constraint.get_violation_error_message(),
                                code=constraint.violation_error_code,
                            )
                    else:
                        constraint.validate(model, self, exclude=exclude, using=using)
                except ValidationError as error:
                    if getattr(error, "code", None) == "unique" and len(constraint.fields) == 1:
                        errors.setdefault(constraint.fields[0], []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


# Values compared with the stored row: immutable ones (a dict or a list could have been
# changed in place, in the row as read too).
SCALARS = (type(None), bool, int, float, str, bytes, Decimal, date, datetime, time, timedelta, UUID)


# What every database the project runs on stores as given: PostgreSQL's integer columns
# (Django's own ranges, which the PostgreSQL backend keeps), and the 15 significant
# digits SQLite keeps of a decimal (it stores them as floating point). A database
# moves to another by snapshot (docs/snapshots.md): a value one of them would refuse or
# change is refused on both.
INTEGER_RANGES = BaseDatabaseOperations.integer_field_ranges
SQLITE_DIGITS = 15


def portable_value_problem(field, value, using: str) -> str | None:
    """What is wrong with `value` for `field` on the database `using`, beyond Django's own
    validation: an integer outside PostgreSQL's range for its column (SQLite takes any
    64-bit integer), or on SQLite a decimal of more significant digits than it keeps (it
    would come back rounded: past the column's digits, unreadable). None if nothing."""
    if value is None or field.is_relation:
        return None
    internal = field.get_internal_type()
    if internal in INTEGER_RANGES and isinstance(value, int):
        low, high = INTEGER_RANGES[internal]
        if value < low:
            return f"Ensure this value is greater than or equal to {low}."
        if value > high:
            return f"Ensure this value is less than or equal to {high}."
    if internal == "DecimalField" and connections[using].vendor == "sqlite":
        return sqlite_digits_problem(value)
    return None


def text_problem(field, value) -> str | None:
    """What is wrong with a text typed for `field` that its own validation lets through:
    it shows nothing, or a name starts or ends with an invisible character. Fields of
    choices are checked against their choices."""
    if not isinstance(value, str) or field.choices:
        return None
    internal = field.get_internal_type()
    if internal not in ("CharField", "TextField"):
        return None
    return invisible_text_problem(value, one_line=internal == "CharField")


def sqlite_digits_problem(value) -> str | None:
    """Why SQLite cannot keep the decimal `value` as it is (more significant digits than
    it keeps), or None."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return None
    digits = len(value.normalize().as_tuple().digits)
    if digits <= SQLITE_DIGITS:
        return None
    return (
        f"This database (SQLite) keeps {SQLITE_DIGITS} significant digits of a number, "
        f"and this one has {digits}: give at most {SQLITE_DIGITS}, or run Factbase on "
        "PostgreSQL, which keeps every digit."
    )


def _same(value, stored) -> bool:
    """The same value, of the same type: when in doubt, a value counts as changed."""
    return type(value) is type(stored) and type(value) in SCALARS and value == stored


def _read_with(instance, field, value) -> bool:
    """The record `field` refers to was read from the database with `instance` (a join,
    or the record the API looked up by id), and is the one its value names."""
    if not field.is_cached(instance):
        return False
    related = field.get_cached_value(instance)
    return (
        related is not None
        and not related._state.adding
        and related._meta.concrete_model is field.related_model._meta.concrete_model
        and getattr(related, field.target_field.attname) == value
    )


def _reads_only(constraint, unchanged: set[str]) -> bool:
    """The constraint reads only fields in `unchanged`: the stored row satisfies it, since
    the database checked it there. Unknown kinds of constraint never do."""
    if isinstance(constraint, CheckConstraint):
        names = Q(constraint.condition).referenced_base_fields
    elif isinstance(constraint, UniqueConstraint) and not constraint.expressions:
        names = set(constraint.fields)
        if constraint.condition is not None:
            names |= Q(constraint.condition).referenced_base_fields
    else:
        return False
    return bool(unchanged) and names <= unchanged


def _check_constraints(instance, model, rules, exclude, using) -> dict[int, bool]:
    """Whether `instance` satisfies each of the check constraints among `rules` (by their
    id()), asked of the database in one query (CheckConstraint.validate asks one each). Those
    that read an excluded field are left out, as CheckConstraint.validate skips them; so
    are all of them if the query fails, for validate() to ask one by one."""
    checks = [rule for rule in rules if isinstance(rule, CheckConstraint)]
    values = instance._get_field_expression_map(meta=model._meta, exclude=exclude)
    passed = {}
    for constraint in checks:
        with suppress(_AskTheDatabase):
            # NULL (unknown) passes, as in the database.
            passed[id(constraint)] = _holds(constraint.condition, values) is not False
    checks = [rule for rule in checks if id(rule) not in passed]
    connection = connections[using]
    if len(checks) < 2 or not connection.features.supports_comparing_boolean_expr:
        return passed
    query = Query(None)
    for name, value in values.items():
        query.add_annotation(
            value if hasattr(value, "resolve_expression") else Value(value), name, select=False
        )
    asked = []
    for index, constraint in enumerate(checks):
        # As Q.check(): a condition that is NULL (unknown) passes, as in the database.
        condition = Coalesce(Q(constraint.condition), True, output_field=BooleanField())
        try:
            query.add_annotation(condition, f"_check_{index}")
        except FieldError:  # it reads an excluded field
            continue
        asked.append(constraint)
    if not asked:
        return passed
    try:
        with transaction.atomic(using=using) if connection.in_atomic_block else nullcontext():
            row = query.get_compiler(using=using).execute_sql(SINGLE)
    except DatabaseError:
        return passed
    passed.update({id(constraint): bool(ok) for constraint, ok in zip(asked, row, strict=True)})
    return passed


class _AskTheDatabase(Exception):
    """A condition _holds() does not evaluate: the database is asked."""


# The lookups a check condition is evaluated with in Python, as SQL evaluates them: a
# comparison with NULL is unknown (None).
_COMPARISONS = {
    "exact": lambda value, other: value == other,
    "in": lambda value, other: value in other,
    "gt": lambda value, other: value > other,
    "gte": lambda value, other: value >= other,
    "lt": lambda value, other: value < other,
    "lte": lambda value, other: value <= other,
}


def _holds(condition: Q, values: dict):
    """Whether `condition` holds for the record's `values` (a field expression map):
    True, False, or None for unknown, in SQL's three-valued logic; _AskTheDatabase when it
    reads an expression, a transform or a lookup other than those of _COMPARISONS and
    isnull. The rules of Factbase's models are such conditions: asking the database for
    each of them costs a query with every country and currency code as a parameter."""
    results = []
    for child in condition.children:
        if isinstance(child, Q):
            results.append(_holds(child, values))
            continue
        results.append(_leaf(child, values))
    if condition.connector == Q.AND:
        result = False if False in results else (None if None in results else True)
    elif condition.connector == Q.OR:
        result = True if True in results else (None if None in results else False)
    else:
        raise _AskTheDatabase
    return (None if result is None else not result) if condition.negated else result


def _leaf(child, values: dict):
    """One `(lookup, value)` of a condition, in SQL's three-valued logic (see _holds)."""
    if not isinstance(child, tuple):
        raise _AskTheDatabase  # a lookup expression
    path, other = child
    name, _, lookup = path.partition("__")
    value = _plain(values.get(name, _AskTheDatabase))
    lookup = lookup or "exact"
    if lookup == "exact" and other is None:
        lookup, other = "isnull", True  # as the ORM reads `field=None` (a literal)
    if isinstance(other, F):
        other = _plain(values.get(other.name, _AskTheDatabase))
    elif hasattr(other, "resolve_expression"):
        raise _AskTheDatabase
    if lookup == "isnull" and isinstance(other, bool):
        return (value is None) == other
    elif value is None or other is None:
        if lookup not in _COMPARISONS:
            raise _AskTheDatabase
        return None  # a comparison with NULL
    elif lookup == "in" and isinstance(other, list | tuple | set | frozenset):
        if not all(_alike(value, item) for item in other):
            raise _AskTheDatabase
        return value in other
    elif lookup in _COMPARISONS and lookup != "in" and _alike(value, other):
        if isinstance(value, str) and lookup != "exact":
            raise _AskTheDatabase  # text is ordered by the database's collation
        return _COMPARISONS[lookup](value, other)
    else:
        raise _AskTheDatabase  # another lookup, or values the database would convert


def _alike(value, other) -> bool:
    """Values Python compares as the database does: numbers (not booleans), or two values
    of the same type. A date and a datetime, or a number and its text, are the
    database's to compare (it converts them)."""
    numbers = (int, Decimal)
    if isinstance(value, numbers) and isinstance(other, numbers):
        return not isinstance(value, bool) and not isinstance(other, bool)
    return type(value) is type(other) or (isinstance(value, str) and isinstance(other, str))


def _plain(value):
    """A value of the field expression map as Python holds it, or _AskTheDatabase."""
    if value is _AskTheDatabase:
        raise _AskTheDatabase
    if isinstance(value, Value):
        return value.value
    if hasattr(value, "resolve_expression"):
        raise _AskTheDatabase
    return value
