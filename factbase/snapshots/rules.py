"""The models' CHECK and conditional UNIQUE constraints, evaluated in Python on a parsed row.

Asking the database (`CheckConstraint.validate`) costs one query per row and constraint,
and letting the INSERT fail reports only the first bad row. Instead, each condition is
turned into the very WHERE tree Django compiles into the constraint's SQL
(`Query.build_where`, which adds the `IS NOT NULL` terms that negations on nullable
columns need), and that tree is evaluated with SQL's three-valued logic: a comparison with
NULL is unknown (None), and a CHECK fails only when its condition is false. The lookups
the models use are supported; any other makes building the rules fail, so a new kind of
constraint cannot go unchecked silently (the snapshot tests build every table's rules).
"""

import enum
from collections.abc import Callable, Sequence

from django.db.models.expressions import Col
from django.db.models.lookups import Lookup
from django.db.models.sql.query import Query
from django.db.models.sql.where import AND, OR, WhereNode

Row = Sequence
Predicate = Callable[[Row], bool | None]


class UnsupportedConstraint(Exception):
    pass


def _plain(value):
    """TextChoices members hash like their name, not their value: use the value."""
    return value.value if isinstance(value, enum.Enum) else value


def compile_condition(model, condition, index: dict[str, int]) -> tuple[Predicate, list[str]]:
    """A predicate over rows (sequences of parsed values, positions given by `index`, a
    map of column name to position) and the columns it reads."""
    where = Query(model=model, alias_cols=False).build_where(condition)
    columns: list[str] = []
    return _node(where, index, columns), columns


def _position(col, index: dict[str, int], columns: list[str]) -> int:
    if not isinstance(col, Col):
        raise UnsupportedConstraint(f"only plain columns are supported, not {col!r}")
    name = col.target.column
    if name not in index:
        raise UnsupportedConstraint(f"column {name} is not in the snapshot")
    if name not in columns:
        columns.append(name)
    return index[name]


def _node(node, index, columns) -> Predicate:
    if isinstance(node, WhereNode):
        children = [_node(child, index, columns) for child in node.children]
        if node.connector == AND:
            combined = _all(children)
        elif node.connector == OR:
            combined = _any(children)
        else:
            raise UnsupportedConstraint(f"connector {node.connector}")
        if node.negated:
            return lambda row, inner=combined: None if (r := inner(row)) is None else not r
        return combined
    if isinstance(node, Lookup):
        return _lookup(node, index, columns)
    raise UnsupportedConstraint(f"{type(node).__name__} in a constraint")


def _all(children: list[Predicate]) -> Predicate:
    def evaluate(row):
        unknown = False
        for child in children:
            result = child(row)
            if result is False:
                return False
            if result is None:
                unknown = True
        return None if unknown else True

    return evaluate


def _any(children: list[Predicate]) -> Predicate:
    def evaluate(row):
        unknown = False
        for child in children:
            result = child(row)
            if result is True:
                return True
            if result is None:
                unknown = True
        return None if unknown else False

    return evaluate


_COMPARISONS = {
    "exact": lambda a, b: a == b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def _lookup(lookup: Lookup, index, columns) -> Predicate:
    name = lookup.lookup_name
    left = _position(lookup.lhs, index, columns)
    if name == "isnull":
        if lookup.rhs:
            return lambda row: row[left] is None
        return lambda row: row[left] is not None
    if name == "in":
        values = frozenset(_plain(v) for v in lookup.rhs if v is not None)
        return lambda row: None if (v := row[left]) is None else v in values
    compare = _COMPARISONS.get(name)
    if compare is None:
        raise UnsupportedConstraint(f"lookup {name!r}")
    if isinstance(lookup.rhs, Col):
        right = _position(lookup.rhs, index, columns)

        def against_column(row):
            a, b = row[left], row[right]
            return None if a is None or b is None else compare(a, b)

        return against_column
    if hasattr(lookup.rhs, "resolve_expression"):
        raise UnsupportedConstraint(f"expression {lookup.rhs!r}")
    value = _plain(lookup.rhs)
    if value is None:
        return lambda row: None

    def against_value(row):
        a = row[left]
        return None if a is None else compare(a, value)

    return against_value
