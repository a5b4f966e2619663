"""The models' CHECK and conditional UNIQUE constraints, evaluated in Python on a parsed row.

Asking the database (`CheckConstraint.validate`) costs one query per row and constraint,
and letting the INSERT fail reports only the first bad row. Instead, each condition is
turned into the very WHERE tree Django compiles into the constraint's SQL
(`Query.build_where`, which adds the `IS NOT NULL` terms that negations on nullable
columns need), and that tree is evaluated with SQL's three-valued logic: a comparison with
NULL is unknown (None), and a CHECK fails only when its condition is false. Each tree is
compiled once into a single Python function (see _Compiler), and a table's rules can be
joined into one (all_hold), which is what an import runs on every row. The lookups
the models use are supported; any other makes building the rules fail, so a new kind of
constraint cannot go unchecked silently (the snapshot tests build every table's rules).
"""

import enum
import itertools
import math
from collections.abc import Callable, Sequence

from django.db.models.expressions import Col
from django.db.models.functions import Floor
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
    compiler = _Compiler(index)
    expression, _ = compiler.node(where)
    return compiler.function(expression), compiler.columns


def all_hold(predicates: Sequence[Predicate]) -> Callable[[Row], bool] | None:
    """One function telling whether none of `predicates` (compiled by compile_condition)
    is false on a row: a table's CHECK constraints in one call when the row passes them
    all, as nearly every row does. None when a predicate was not compiled here."""
    if not all(hasattr(p, "expression") for p in predicates):
        return None
    namespace: dict[str, object] = {"__builtins__": {}}
    for predicate in predicates:
        namespace.update(predicate.constants)
    terms = [f"({predicate.expression}) is not False" for predicate in predicates]
    source = f"lambda r: {' and '.join(terms) or 'True'}"
    return eval(compile(source, "<constraints>", "eval"), namespace)


# The comparisons, as Python writes them.
_OPERATORS = {"exact": "==", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


_compiled = itertools.count()  # conditions compiled so far, to name their values apart


class _Compiler:
    """The WHERE tree as one Python expression over the row `r`, made a function once:
    a predicate is called for every row of a table, and one call with the logic inline
    costs a fraction of a call per node.

    Each node gives its expression and whether it is two-valued (never None: IS NULL, and
    AND, OR and NOT of two-valued terms), which is then written with Python's own `and`,
    `or` and `not`. Other terms follow SQL's three-valued logic as the tree is walked:
    AND is False at its first False term, else unknown (None) if a term was, else True;
    OR the other way round; NOT of unknown is unknown. The values the tree compares with
    are passed in by name (`c<n>_0`, `c<n>_1`, ... in the n-th condition compiled), never
    written into the source; the expression's intermediate results are named `t<n>_0`,
    ... (assignment expressions). The names differ from one condition to the next, so
    that all_hold can join the expressions of several.

    The function keeps its expression and the values it names (`expression`,
    `constants`), for all_hold."""

    def __init__(self, index: dict[str, int]):
        self.index = index
        self.columns: list[str] = []
        self.constants: dict[str, object] = {}
        self.temps = 0
        self.suffix = next(_compiled)

    def function(self, expression: str) -> Predicate:
        namespace = {"__builtins__": {}, **self.constants}
        function = eval(compile(f"lambda r: {expression}", "<constraint>", "eval"), namespace)
        function.expression = expression
        function.constants = self.constants
        return function

    def constant(self, value) -> str:
        name = f"c{self.suffix}_{len(self.constants)}"
        self.constants[name] = value
        return name

    def temp(self) -> str:
        self.temps += 1
        return f"t{self.suffix}_{self.temps - 1}"

    def position(self, col) -> int:
        if not isinstance(col, Col):
            raise UnsupportedConstraint(f"only plain columns are supported, not {col!r}")
        name = col.target.column
        if name not in self.index:
            raise UnsupportedConstraint(f"column {name} is not in the snapshot")
        if name not in self.columns:
            self.columns.append(name)
        return self.index[name]

    def node(self, node) -> tuple[str, bool]:
        """The node's expression, and whether it is two-valued."""
        if isinstance(node, WhereNode):
            children = [self.node(child) for child in node.children]
            if node.connector == AND:
                combined = self.combine(children, stop=False)
            elif node.connector == OR:
                combined = self.combine(children, stop=True)
            else:
                raise UnsupportedConstraint(f"connector {node.connector}")
            return self.negate(*combined) if node.negated else combined
        if isinstance(node, Lookup):
            return self.lookup(node)
        raise UnsupportedConstraint(f"{type(node).__name__} in a constraint")

    def negate(self, expression: str, two_valued: bool) -> tuple[str, bool]:
        if two_valued:
            return f"(not {expression})", True
        t = self.temp()
        return f"(None if ({t} := {expression}) is None else not {t})", False

    def combine(self, children: list[tuple[str, bool]], stop: bool) -> tuple[str, bool]:
        """AND (`stop` False: the value that ends it) or OR (`stop` True) of the terms,
        evaluated in order, up to the first term that is `stop`."""
        if len(children) == 1:
            return children[0]
        if all(two_valued for _, two_valued in children):
            if not children:
                return repr(not stop), True
            return "(" + (" or " if stop else " and ").join(e for e, _ in children) + ")", True
        unknown, tests = [], []
        for expression, two_valued in children:
            if two_valued:
                tests.append(expression if stop else f"(not {expression})")
            else:
                t = self.temp()
                unknown.append(t)
                tests.append(f"({t} := {expression}) is {stop}")
        result = f"(None if {' or '.join(f'{t} is None' for t in unknown)} else {not stop})"
        for test in reversed(tests):
            result = f"({stop} if {test} else {result})"
        return result, False

    def lookup(self, lookup: Lookup) -> tuple[str, bool]:
        name = lookup.lookup_name
        left = self.position(lookup.lhs)
        if name == "isnull":
            return f"(r[{left}] is {'' if lookup.rhs else 'not '}None)", True
        if name == "in":
            values = self.constant(frozenset(_plain(v) for v in lookup.rhs if v is not None))
            t = self.temp()
            return f"(None if ({t} := r[{left}]) is None else {t} in {values})", False
        operator = _OPERATORS.get(name)
        if operator is None:
            raise UnsupportedConstraint(f"lookup {name!r}")
        if isinstance(lookup.rhs, Col):
            right = self.position(lookup.rhs)
            a, b = self.temp(), self.temp()
            return (
                f"(None if ({a} := r[{left}]) is None or ({b} := r[{right}]) is None "
                f"else {a} {operator} {b})"
            ), False
        if isinstance(lookup.rhs, Floor) and isinstance(lookup.rhs.source_expressions[0], Col):
            # A whole number (a rank): the column against its own floor.
            right = self.position(lookup.rhs.source_expressions[0])
            floor = self.constant(math.floor)
            a, b = self.temp(), self.temp()
            return (
                f"(None if ({a} := r[{left}]) is None or ({b} := r[{right}]) is None "
                f"else {a} {operator} {floor}({b}))"
            ), False
        if hasattr(lookup.rhs, "resolve_expression"):
            raise UnsupportedConstraint(f"expression {lookup.rhs!r}")
        value = _plain(lookup.rhs)
        if value is None:
            return "None", False
        t = self.temp()
        return (
            f"(None if ({t} := r[{left}]) is None else {t} {operator} {self.constant(value)})",
            False,
        )
