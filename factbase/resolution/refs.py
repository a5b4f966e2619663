"""One resolver for a record named by the user: in a filter (`?company=Mistral`), in a
write (`"company": "mistral-ai"`).

A value names a record of a kind by, in this order:

1. its id (digits) or its slug;
2. for kinds with aliases (companies, products, people), its name or one of its aliases,
   exactly, accents and case aside ("mistral" and "MÎSTRAL" for the alias "Mistral"); a
   value that names two records this way is ambiguous (AmbiguousRef);
3. the id or slug a record had before it was merged into another (a Merge that stands,
   not undone): the record it was merged into, followed on when that one was merged in
   turn (A into B, B into C: C).

What names no record is left out of the answer, for the caller to report.
"""

import functools

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import Case, IntegerField, Q, Value, When

from factbase.core.ids import id_from, is_digits
from factbase.core.kinds import alias_relation
from factbase.core.merges import merged_targets
from factbase.core.models import history_model_of
from factbase.core.prepared import id_array, prepared_cursor
from factbase.core.text import fold_case

from . import sql


class AmbiguousRef(ValueError):
    """A value names more than one record by name or alias. `candidates`: (id, name,
    slug) of each."""

    def __init__(self, model, value: str, candidates: list[tuple]):
        self.value, self.candidates = value, candidates
        kind = model._meta.verbose_name
        shown = ", ".join(f"{name} ({slug or pk})" for pk, name, slug in candidates)
        super().__init__(
            f"{value!r} is the name or an alias of more than one {kind}: {shown}. "
            "Give its slug or id instead."
        )


def has_field(model, name: str) -> bool:
    return any(f.name == name for f in model._meta.concrete_fields)


def resolve_refs(model, values, *, keys: bool = True) -> dict[str, int]:
    """Each of `values` (strings; an int is read as its digits) that names a record of
    `model`, mapped to that record's id; the others are left out. `keys=False` skips the
    first step (ids and slugs), for a caller that has looked them up already.

    Queries: one for ids and slugs; then, only for what is still unresolved, one for
    names and aliases and one or two for merges. Raises AmbiguousRef."""
    using = router.db_for_read(model)
    values = [str(value) for value in dict.fromkeys(values)]
    ids = {v: id_from(v) for v in values if id_from(v) is not None}
    # PostgreSQL refuses NUL in text: such a value names nothing.
    texts = {v for v in values if not is_digits(v) and "\x00" not in v}
    found: dict[str, int] = {}
    if keys:
        found.update(_by_key(model, ids, texts, using))
    rest = {v for v in texts if v not in found}
    if rest and alias_relation(model) is not None:
        found.update(by_name(model, rest, using=using))
    rest_ids = {v: pk for v, pk in ids.items() if v not in found}
    rest_texts = {v for v in texts if v not in found}
    if rest_ids or rest_texts:
        found.update(merged_targets(model, rest_ids, rest_texts, using=using))
    return found


def _by_key(model, ids: dict[str, int], texts: set[str], using: str) -> dict[str, int]:
    slug = has_field(model, "slug")
    if not ids and not (slug and texts):
        return {}
    connection = connections[using]
    if connection.vendor == "postgresql":
        # A filter by slug runs this on every list request: one statement per kind,
        # prepared on the connection, rather than a query the ORM builds each time.
        with prepared_cursor(connection) as cursor:
            params = [id_array(set(ids.values())), *([list(texts)] if slug else [])]
            cursor.execute(_key_statement(model), params)
            rows = cursor.fetchall()
    else:
        condition = Q(pk__in=set(ids.values())) if ids else Q()
        if slug and texts:
            condition |= Q(slug__in=texts)
        rows = model._default_manager.using(using).filter(condition)
        rows = list(rows.values_list("pk", *(["slug"] if slug else [])))
    existing = {row[0] for row in rows}
    by_slug = {row[1]: row[0] for row in rows} if slug else {}
    found = {value: pk for value, pk in ids.items() if pk in existing}
    found.update({value: by_slug[value] for value in texts if value in by_slug})
    return found


@functools.cache
def _key_statement(model) -> str:
    """The id (and slug) of the records of `model` among some ids (`= ANY` of an array)
    or, for a kind with slugs, some slugs (a second array)."""
    qn = connections[DEFAULT_DB_ALIAS].ops.quote_name
    table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
    if not has_field(model, "slug"):
        return f"SELECT {pk} FROM {table} WHERE {pk} = ANY(%s::bigint[])"
    slug = qn(model._meta.get_field("slug").column)
    return (
        f"SELECT {pk}, {slug} FROM {table} "
        f"WHERE {pk} = ANY(%s::bigint[]) OR {slug} = ANY(%s::text[])"
    )


def name_sources(model, *, history: bool = False) -> list[tuple]:
    """The tables a record's names are read from, as (queryset, column of the record's
    id): the records' own names and their aliases; with `history`, every name and alias
    they have had (their history tables)."""
    relation = alias_relation(model)
    sources = []
    for owner_model, id_column in (
        (model, "pk" if not history else "id"),
        *(((relation.related_model, relation.field.attname),) if relation else ()),
    ):
        target = history_model_of(owner_model) if history else owner_model
        sources.append((target._default_manager.all(), id_column))
    return sources


def by_name(model, texts, *, using: str | None = None, history: bool = False) -> dict[str, int]:
    """Each of `texts` that is the name or an alias of exactly one record of `model`,
    accents and case aside, mapped to its id. Raises AmbiguousRef for one that names
    several. One query (the names and the aliases in a UNION); two more to name the
    candidates of an ambiguous value."""
    using = using or router.db_for_read(model)
    sql.prepare(using)
    folded = asked_names(texts)
    if not folded:
        return {}
    matches: dict[str, set[int]] = {}
    for owner, key in _name_rows(model, folded, using, history):
        matches.setdefault(key, set()).add(owner)
    found = {}
    for text in texts:
        owners = matches.get(fold_case(text), set())
        if len(owners) > 1:
            rows = model._default_manager.using(using).filter(pk__in=owners).order_by("pk")
            slug = "slug" if has_field(model, "slug") else "pk"
            raise AmbiguousRef(model, text, list(rows.values_list("pk", "name", slug)))
        if owners:
            found[text] = next(iter(owners))
    return found


def asked_names(texts) -> dict[str, str]:
    """The values to look up, once each: their fold_case (accents and case aside) -> the
    first of them given, without the spaces around it. SQLite compares fold_case, which
    drops those spaces; PostgreSQL compares the value as sent, so it is sent stripped, for
    both databases to answer alike (" Mistral" names the alias "Mistral"). A blank value
    names nothing and is not asked for."""
    folded: dict[str, str] = {}
    for text in texts:
        key = fold_case(text)
        if key:
            folded.setdefault(key, text.strip())
    return folded


def _name_rows(model, folded: dict[str, str], using: str, history: bool):
    """(record id, folded value) for each name or alias that is one of the values."""
    queries = []
    postgresql = sql.vendor(using) == "postgresql"
    keys = list(folded)
    for queryset, id_column in name_sources(model, history=history):
        queryset = queryset.using(using).order_by()
        if postgresql:
            # Which value each row holds is told by the database: its unaccent() is not
            # Python's.
            matches = [sql.SameText("name", folded[key]) for key in keys]
            condition = Q(*matches, _connector=Q.OR)
            which = Case(
                *(When(match, then=Value(i)) for i, match in enumerate(matches)),
                output_field=IntegerField(),
            )
            queries.append(queryset.filter(condition).annotate(_which=which))
            queries[-1] = queries[-1].values_list(id_column, "_which")
        else:
            queryset = queryset.alias(_folded=sql.FoldedCase("name"))
            queries.append(queryset.filter(_folded__in=keys).values_list(id_column, "name"))
    rows = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
    for owner, which in rows:
        if owner is None:
            continue
        yield owner, (keys[which] if postgresql else fold_case(which))
