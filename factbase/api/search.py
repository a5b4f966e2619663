"""Text search (`q=`): indexed on PostgreSQL, a plain contains on SQLite.

Each FilterSet declares what its search covers (`search_fields`, `search_names`); this
module builds the query, and the `*_search_indexes` migrations the indexes it uses.
"""

import re
import unicodedata
from functools import lru_cache

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import BooleanField, F, Func, Q, Subquery
from django.db.models.constants import LOOKUP_SEP

from factbase.core.prepared import prepared_cursor

# Text search (`q=`) on PostgreSQL, in two tiers. Precise: every word begins a word of the
# record's own columns in `search_fields` (one full-text document per kind) or of a related
# name that a `relation__column` path reaches (a full-text document of that column). Only
# when no record matches precisely, similar: every word resembles a word of the record's
# name (`search_names`) or of such a related name (pg_trgm word similarity), which forgives
# typos. Migrations (`*/migrations/*_search_indexes.py`) index exactly the expressions built
# here, over `f_unaccent`, an IMMUTABLE `unaccent`: the documents (`<table>_search`, and
# `<table>_<column>_search` for a related name) and the trigrams of each name
# (`<table>_<column>_trgm`). The planner uses an index only for the very expression it
# holds: change both or neither (tests/api/test_search.py checks that every one is used).

SEARCH_WORD = re.compile(r"[^\W_]+")
SEARCH_MAX_WORDS = 10
SEARCH_MAX_LENGTH = 1000  # characters of `q=`: a sentence pasted, not a document
SEARCH_TEXT_LIMIT = 100_000  # characters of a document, so that a tsvector stays under 1 MB


def search_words(value: str) -> list[str]:
    """The words of a query (runs of letters and digits), the first SEARCH_MAX_WORDS. In
    composed form (NFC): a keyboard that sends "í" as "i" and a combining accent (macOS
    does) would otherwise split the word at the accent."""
    return SEARCH_WORD.findall(unicodedata.normalize("NFC", value))[:SEARCH_MAX_WORDS]


def search_document_sql(columns: list[str]) -> str:
    """The full-text document of these columns (SQL column references), as indexed."""
    text = " || ' ' || ".join(f"COALESCE({column}, '')" for column in columns)
    return f"to_tsvector('simple'::regconfig, f_unaccent(left({text}, {SEARCH_TEXT_LIMIT})))"


# A word as a quoted prefix in tsquery syntax, once unaccented: unaccent turns some letters
# into quotes or brackets ("ŉ" into "'n", "⑴" into "(1)"), which must stay inside the quotes.
TSQUERY_PREFIX_SQL = r"'''' || replace(replace(f_unaccent(%s), '\', '\\'), '''', '''''') || ''':*'"


class DocumentMatches(Func):
    """Every word begins a word of the columns, accents and case folded:
    `<document> @@ to_tsquery('simple', 'w1':* & 'w2':*)`, the words unaccented."""

    output_field = BooleanField()

    def __init__(self, columns, words):
        super().__init__(*(F(column) for column in columns))
        self.words = words

    def as_sql(self, compiler, connection, **extra_context):
        columns, params = [], []
        for expression in self.get_source_expressions():
            sql, column_params = compiler.compile(expression)
            columns.append(sql)
            params.extend(column_params)
        query = " || ' & ' || ".join(TSQUERY_PREFIX_SQL for _ in self.words)
        sql = f"{search_document_sql(columns)} @@ to_tsquery('simple'::regconfig, {query})"
        return sql, (*params, *self.words)


class ResemblesWord(Func):
    """The word resembles a word of the column, accents and case folded: pg_trgm's
    `f_unaccent(column) %> f_unaccent(word)`, a word similarity of at least
    pg_trgm.word_similarity_threshold (0.6 by default)."""

    output_field = BooleanField()

    def __init__(self, column, word):
        super().__init__(F(column))
        self.word = word

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.get_source_expressions()[0])
        return f"f_unaccent({column}) %%> f_unaccent(%s)", (*params, self.word)


def related_model(model, relation: list[str]):
    for name in relation:
        model = model._meta.get_field(name).related_model
    return model


class InIds(Func):
    """`column = ANY(ARRAY(<ids>))`: the ids are gathered first, on their own, then looked up
    in the column's index. With `IN (<ids>)` the planner may join instead, and read the
    column's table whole when it expects many ids."""

    output_field = BooleanField()

    def __init__(self, column, ids):
        super().__init__(F(column), Subquery(ids))

    def as_sql(self, compiler, connection, **extra_context):
        column, ids = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        ids_sql, ids_params = compiler.compile(ids)
        return f"{column_sql} = ANY(ARRAY{ids_sql})", (*column_params, *ids_params)


def linked_ids(model, relation: list[str], rows):
    """The ids of the records of `model` whose `relation` path leads to one of `rows`, each
    step read from the table that holds its key: back along a foreign key (a company's
    aliases), the key of the rows reached; forward (a product's company), the rows whose key
    is among the ids reached."""
    models = [model]
    for name in relation:
        models.append(models[-1]._meta.get_field(name).related_model)
    column = "pk"  # `rows` holds the ids reached so far in this column
    for owner, name, reached in reversed(list(zip(models[:-1], relation, models[1:], strict=True))):
        field = owner._meta.get_field(name)
        ids = rows.order_by().values(column)
        if field.one_to_many:
            if column != "pk":
                rows = reached._default_manager.filter(InIds("pk", ids))
            column = field.field.attname
        else:
            condition = InIds(name, ids) if field.many_to_one else Q(**{f"{name}__in": ids})
            rows, column = owner._default_manager.filter(condition), "pk"
    return rows.order_by().values(column)


def matching_ids(model, own: Q | None, related: list[list[str]], match):
    """The ids of the records that satisfy `own`, or whose related row (a `relation__column`
    path) satisfies `match(column)`; None when there is nothing to match.

    Each related table is searched on its own, through its index, and the ids joined in a
    UNION ALL: an OR of subqueries would make the planner read every record."""
    ids = [model._default_manager.filter(own).order_by().values("pk")] if own is not None else []
    for *relation, column in related:
        rows = related_model(model, relation)._default_manager.filter(match(column))
        ids.append(linked_ids(model, relation, rows))
    return ids[0].union(*ids[1:], all=True) if ids else None


def search_tiers(model, filterset, words: list[str]):
    """The ids that match precisely, and those whose names resemble the words (None when
    the kind has no name to compare); None, None when there is nothing to search."""
    own = [path for path in filterset.search_fields if LOOKUP_SEP not in path]
    related = [path.split(LOOKUP_SEP) for path in filterset.search_fields if LOOKUP_SEP in path]
    if not words or not (own or related):
        return None, None

    def resembles(column):
        return Q(*(ResemblesWord(column, word) for word in words))

    precise = matching_ids(
        model,
        Q(DocumentMatches(own, words)) if own else None,
        related,
        lambda column: Q(DocumentMatches([column], words)),
    )
    names = [resembles(column) for column in filterset.search_names]
    similar = matching_ids(model, Q(*names, _connector=Q.OR) if names else None, related, resembles)
    return precise, similar


# How many records a search names by their ids: up to this many matches, the ids found
# are the condition of the list's queries (its page, its count), which then read the
# primary key's index instead of running the search again; past it, the search stays a
# subquery of each.
SEARCH_IDS_AT_MOST = 1000


def search_condition(model, filterset, value: str, using: str) -> Q:
    """The records `value` finds (see the comment above), as a condition on their ids."""
    words = search_words(value)
    statements = _tier_statements(model, type(filterset), len(words))
    if statements is None:
        return Q(pk__in=[])
    # Asked apart rather than in the query: each query then stays simple enough for the
    # planner to estimate, and the similar names are not read when they are not needed.
    for index, statement in enumerate(statements):
        if statement is None:
            break
        ids = statement.ids(words, using)
        if len(ids) > SEARCH_IDS_AT_MOST:
            return Q(InIds("pk", search_tiers(model, filterset, words)[index]))
        if ids:
            return Q(pk__in=sorted(set(ids)))  # once each: a record matches by two names
    return Q(pk__in=[])


class TierStatement:
    """A tier's query (its first SEARCH_IDS_AT_MOST + 1 ids) as SQL, built and compiled
    by the ORM once per kind and number of words, then prepared on each connection
    (factbase.core.prepared): a search otherwise builds and compiles, and PostgreSQL
    plans, a UNION of a full-text or trigram condition per searched table for every
    request. The ORM builds it from stand-ins for the words; `slots` says which of its
    values is which word."""

    def __init__(self, tier, stand_ins: list[str]):
        query = tier[: SEARCH_IDS_AT_MOST + 1].query
        self.sql, params = query.get_compiler(DEFAULT_DB_ALIAS).as_sql()
        self.params = tuple(params)
        self.slots = tuple(
            stand_ins.index(param) if param in stand_ins else None for param in params
        )

    def values(self, words: list[str]) -> list:
        """The statement's values for a search of `words`."""
        return [
            param if slot is None else words[slot]
            for param, slot in zip(self.params, self.slots, strict=True)
        ]

    def ids(self, words: list[str], using: str) -> list[int]:
        with prepared_cursor(connections[using]) as cursor:
            cursor.execute(self.sql, self.values(words))
            return [pk for (pk,) in cursor.fetchall()]


@lru_cache(maxsize=256)
def _tier_statements(model, filterset_class, count: int) -> tuple | None:
    """The statements of the tiers (precise, similar) of a search of `count` words; None
    when there is nothing to search. The stand-ins cannot be words (a NUL is no letter)
    and are told apart from any other value by it."""
    stand_ins = [f"\x00word {index}" for index in range(count)]
    tiers = search_tiers(model, filterset_class, stand_ins)
    if tiers[0] is None:
        return None
    return tuple(None if tier is None else TierStatement(tier, stand_ins) for tier in tiers)


def search(queryset, filterset, value: str):
    """The rows of `queryset` that match `value`: indexed word search on PostgreSQL (see
    `search_condition`); on SQLite, the text as typed contained in any of the FilterSet's
    `search_fields`. Matches through to-many relations (aliases) run in a subquery, so no
    row repeats. The text in composed form (NFC), as search_words reads it."""
    value = unicodedata.normalize("NFC", value.strip())
    if not value:
        return queryset
    if connections[queryset.db].vendor == "postgresql":
        return queryset.filter(search_condition(queryset.model, filterset, value, queryset.db))
    condition = Q()
    for path in filterset.search_fields:
        condition |= Q(**{f"{path}__icontains": value})
    return queryset.filter(pk__in=queryset.model.objects.filter(condition).values("pk"))
