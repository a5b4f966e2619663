"""Likely duplicates: the records a new company, product or person may be a second copy
of, before it is saved; and the pairs of stored records that look like one thing twice.

A stored record is a likely duplicate of the names given (the new record's name and its
aliases) when one of its own names (its name or an alias):

- is the same once folded (factbase.resolution.names.fold: "Mistral AI SAS", "Mistral"
  and "mistral-ai" are one name; "DeepSeek" and "Deep Seek" too): score 1, "same name
  once folded";
- or begins with the other's whole words ("Mistral" and "Mistral Chat"), or, on
  PostgreSQL, resembles it (pg_trgm trigram similarity of the folded names of at least
  SIMILARITY_THRESHOLD), and has the same numbers (GPT-4 is not GPT-5): score the
  trigram similarity of the folded names, "similar name".

On PostgreSQL the candidates are found through the trigram indexes of the name and
alias tables, then scored here on their folded names; on SQLite (no trigrams) only the
first two rules apply. Products are compared within their company, and people's names
keep their last words (factbase.resolution.rules says why).
"""

from dataclasses import dataclass

from django.db import connections, router, transaction
from django.db.models import Q

from factbase.core.kinds import alias_relation
from factbase.core.models import Merge

from . import names, sql
from .rules import Rules, rules_for

# How alike two folded names must be to be reported as similar (pg_trgm similarity, 0..1):
# "Mistral" and "Mistral Chat" are 0.62, "Company 1" and "Company 2" would be 0.67 but
# differ in a number, "OpenAI" and "Anthropic" are 0.
SIMILARITY_THRESHOLD = 0.5
# A folded name shorter than this does not count as the beginning of another ("le" of "le
# chat").
MIN_PREFIX = 3
# Candidates read from each table before scoring: the closest by trigram similarity on
# PostgreSQL.
CANDIDATES = 200
# On PostgreSQL, the pairs page finds the names that are the same once folded among every
# record, and the names close to those of the newest records only (with their aliases):
# the duplicates arrive with new records, and each name looked up in the trigram index
# costs milliseconds, where a table of 100,000 names compared with itself would take
# minutes.
PAIRS_NEWEST = 50
PAIRS_READ = 2000  # candidate pairs read from each query at most

SAME = "same name once folded"
SIMILAR = "similar name"


@dataclass(frozen=True)
class Candidate:
    """A stored record the new one may duplicate: `matched` is its name or alias that
    looks like `given`, one of the new record's names."""

    record: object
    matched: str
    given: str
    score: float
    why: str


@dataclass(frozen=True)
class Pair:
    """Two stored records that look like one: `first_name` and `second_name` are the
    names (or aliases) of each that compare best."""

    first: object
    second: object
    first_name: str
    second_name: str
    score: float
    why: str


def compare(given: str, other: str, rules: Rules) -> tuple[float, str] | None:
    """How `other` compares with `given` (two names, as typed): (score, why) when it is a
    likely duplicate, else None."""
    a = names.fold(given, drop_suffixes=rules.drop_suffixes)
    b = names.fold(other, drop_suffixes=rules.drop_suffixes)
    if names.same_key(a) == names.same_key(b):
        return 1.0, SAME
    if names.numbers(a) != names.numbers(b):
        return None
    score = round(names.similarity(a, b), 3)
    begins = names.begins(a, b, min_length=MIN_PREFIX) or names.begins(b, a, min_length=MIN_PREFIX)
    if begins or score >= SIMILARITY_THRESHOLD:
        return score, SIMILAR
    return None


def _shown_fields(model, rules: Rules) -> list[str]:
    own = {f.name for f in model._meta.concrete_fields}
    return [name for name in ("name", "slug", rules.scope) if name and name in own]


def likely_duplicates(
    model, name: str, aliases=(), exclude_pk=None, limit: int = 10, *, scope=None
) -> list[Candidate]:
    """The records of `model` that a record named `name` (with `aliases`) likely
    duplicates, the most alike first. `scope` is the record within which to look for a
    kind compared within one (a product's company, Rules.scope); `exclude_pk` leaves a
    record out (the one being edited). Two queries: the names, the aliases."""
    rules = rules_for(model)
    given = [text.strip() for text in dict.fromkeys([name, *aliases]) if text and text.strip()]
    if not given:
        return []
    best: dict[int, Candidate] = {}
    for record, matched in _hits(model, given, rules, scope, exclude_pk):
        for text in given:
            found = compare(text, matched, rules)
            if found is None:
                continue
            score, why = found
            kept = best.get(record.pk)
            if kept is None or score > kept.score:
                best[record.pk] = Candidate(record, matched, text, score, why)
    ranked = sorted(best.values(), key=lambda c: (-c.score, c.record.name, c.record.pk))
    return ranked[:limit]


def _hits(model, given: list[str], rules: Rules, scope, exclude_pk):
    """(record, its name or alias) for each stored name the database finds near one of
    `given`: every likely duplicate is among them; compare() decides."""
    using = router.db_for_read(model)
    sql.prepare(using)
    shown = _shown_fields(model, rules)
    records = model._default_manager.using(using).only(*shown)
    scoped = {rules.scope: scope} if rules.scope and scope is not None else {}
    records = records.filter(**scoped)
    if exclude_pk is not None:
        records = records.exclude(pk=exclude_pk)
    yield from ((r, r.name) for r in _near(records, "name", given, rules, using))
    relation = alias_relation(model)
    if relation is None:
        return
    owner = relation.field.name
    rows = relation.related_model._default_manager.using(using)
    rows = rows.filter(**{f"{owner}__{k}": v for k, v in scoped.items()})
    if exclude_pk is not None:
        rows = rows.exclude(**{owner: exclude_pk})
    rows = rows.select_related(owner).only("name", owner, *(f"{owner}__{f}" for f in shown))
    yield from ((getattr(row, owner), row.name) for row in _near(rows, "name", given, rules, using))


def _near(queryset, column: str, given: list[str], rules: Rules, using: str):
    """The rows of `queryset` whose `column` may be a likely duplicate of one of `given`."""
    folded = [names.fold(text, drop_suffixes=rules.drop_suffixes) for text in given]
    words = [f for f in dict.fromkeys(folded) if names.trigrams(f)]
    prefixes = list(
        dict.fromkeys(p for f in words for p in names.word_prefixes(f, min_length=MIN_PREFIX))
    )
    if sql.vendor(using) == "postgresql":
        texts = list(dict.fromkeys([*given, *prefixes]))
        near = sql.Resembles(column, texts, words)
        likeness = sql.Likeness(column, texts, words)
        return queryset.filter(near).annotate(likeness=likeness).order_by("-likeness")[:CANDIDATES]
    drop = rules.drop_suffixes
    condition = Q(**{"_key__in": [names.same_key(f) for f in folded]})
    if prefixes:
        condition |= Q(_folded__in=prefixes)
    for f in words:
        if len(f) >= MIN_PREFIX:
            condition |= Q(_folded__startswith=f + " ")
    queryset = queryset.alias(
        _key=sql.NameKey(column, drop), _folded=sql.Folded(column, drop)
    ).filter(condition)
    return queryset.order_by("pk")[:CANDIDATES]


# --- pairs ----------------------------------------------------------------------------


def duplicate_pairs(model, limit: int = 100) -> list[Pair]:
    """Pairs of stored records of `model` that are likely one thing entered twice, the
    most alike first, without the pairs of a merge that stands. On both databases, the
    records whose names or aliases are the same once folded; on PostgreSQL also those
    close (trigram similarity) to a name or alias of the PAIRS_NEWEST newest records.
    The same few queries however many pairs there are."""
    rules = rules_for(model)
    using = router.db_for_read(model)
    sql.prepare(using)
    if sql.vendor(using) == "postgresql":
        candidates = _pair_candidates_postgresql(model, rules, using)
    else:
        candidates = _pair_candidates_sqlite(model, rules, using)
    merged = _standing_merges(model, using)
    candidates = {pair for pair in candidates if frozenset(pair) not in merged}
    if not candidates:
        return []
    ids = {pk for pair in candidates for pk in pair}
    shown = _shown_fields(model, rules)
    records = model._default_manager.using(using).only(*shown).in_bulk(ids)
    all_names = {pk: [record.name] for pk, record in records.items()}
    relation = alias_relation(model)
    if relation is not None:
        owner = relation.field.attname
        rows = relation.related_model._default_manager.using(using)
        for pk, alias in rows.filter(**{f"{owner}__in": ids}).values_list(owner, "name"):
            all_names.setdefault(pk, []).append(alias)
    pairs = []
    for a, b in candidates:
        if a not in records or b not in records:
            continue
        if rules.scope and getattr(records[a], f"{rules.scope}_id", None) != getattr(
            records[b], f"{rules.scope}_id", None
        ):
            continue
        best = None
        for x in all_names[a]:
            for y in all_names[b]:
                found = compare(x, y, rules)
                if found is not None and (best is None or found[0] > best[0]):
                    best = (*found, x, y)
        if best is not None:
            score, why, x, y = best
            pairs.append(Pair(records[a], records[b], x, y, score, why))
    pairs.sort(key=lambda p: (-p.score, p.first.name, p.first.pk, p.second.pk))
    return pairs[:limit]


def _standing_merges(model, using: str) -> set[frozenset]:
    rows = Merge.objects.using(using).filter(
        content_type__app_label=model._meta.app_label,
        content_type__model=model._meta.model_name,
        undone_at__isnull=True,
    )
    return {frozenset(pair) for pair in rows.values_list("merged_id", "kept_id")}


def _pair_candidates_sqlite(model, rules: Rules, using: str) -> set[tuple[int, int]]:
    """Records whose names or aliases share a folded name: each name read once."""
    groups: dict[tuple, set[int]] = {}
    scope = f"{rules.scope}_id" if rules.scope else None
    records = model._default_manager.using(using).order_by()
    fields = ["pk", "name", *([scope] if scope else [])]
    rows = [(row[0], row[1], row[2] if scope else None) for row in records.values_list(*fields)]
    scope_of = {pk: where for pk, _, where in rows}
    relation = alias_relation(model)
    if relation is not None:
        owner = relation.field.attname
        aliases = relation.related_model._default_manager.using(using).order_by()
        rows += [(pk, name, scope_of.get(pk)) for pk, name in aliases.values_list(owner, "name")]
    for pk, name, where in rows:
        key = names.same_key(names.fold(name, drop_suffixes=rules.drop_suffixes))
        groups.setdefault((where, key), set()).add(pk)
    pairs = set()
    for members in groups.values():
        ordered = sorted(members)
        pairs.update((a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :])
    return pairs


def _pair_candidates_postgresql(model, rules: Rules, using: str) -> set[tuple[int, int]]:
    """The pairs whose names (or aliases) have the same key in SQL (every record), and
    those the trigram index finds close to a name or alias of the newest records."""
    quote = connections[using].ops.quote_name
    table = quote(model._meta.db_table)
    scope = quote(f"{rules.scope}_id") if rules.scope else None
    relation = alias_relation(model)
    aliases = quote(relation.related_model._meta.db_table) if relation else None
    owner = quote(relation.field.column) if relation else None

    def names(select: str, where: str = "") -> str:
        """The names and aliases of the records (`where` them), as `select` of r (a
        record) and n (the name's row)."""
        parts = [f"SELECT {select} FROM {table} r, LATERAL (SELECT r.name) n {where}"]
        if relation is not None:
            parts.append(
                f"SELECT {select} FROM {aliases} n JOIN {table} r ON r.id = n.{owner} {where}"
            )
        return " UNION ALL ".join(parts)

    in_scope = "COALESCE(x.scope, 0) = COALESCE(y.scope, 0)" if scope else "TRUE"
    scope_of = f"r.{scope}" if scope else "NULL::bigint"
    key = sql_key("n.name", rules)
    same = (
        f"WITH k AS ({names(f'r.id, {scope_of} AS scope, {key} AS k')}) "
        f"SELECT DISTINCT x.id, y.id FROM k x JOIN k y "
        f"ON x.k = y.k AND x.id < y.id AND {in_scope} LIMIT %s"
    )
    newest = f"WHERE r.id IN (SELECT id FROM {table} ORDER BY id DESC LIMIT %s)"
    near = [
        f"SELECT LEAST(p.id, o.id), GREATEST(p.id, o.id) FROM probe p JOIN {table} o "
        f"ON f_unaccent(o.name) %% f_unaccent(p.name) AND o.id <> p.id"
        + (f" AND o.{scope} = p.scope" if scope else "")
    ]
    if relation is not None:
        near.append(
            f"SELECT LEAST(p.id, a.{owner}), GREATEST(p.id, a.{owner}) FROM probe p "
            f"JOIN {aliases} a ON f_unaccent(a.name) %% f_unaccent(p.name) AND a.{owner} <> p.id"
            + (f" JOIN {table} o ON o.id = a.{owner} AND o.{scope} = p.scope" if scope else "")
        )
    similar = (
        f"WITH probe AS ({names(f'r.id, n.name, {scope_of} AS scope', newest)}) "
        f"SELECT DISTINCT * FROM ({' UNION '.join(near)}) pairs LIMIT %s"
    )
    probes = [PAIRS_NEWEST] * (2 if relation is not None else 1)
    found = set()
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(same, [PAIRS_READ])
        found.update(cursor.fetchall())
        # The index then keeps fewer rows to check: fewer candidates, as many pairs.
        cursor.execute(
            "SELECT set_config('pg_trgm.similarity_threshold', %s, true)",
            [str(SIMILARITY_THRESHOLD)],
        )
        cursor.execute(similar, [*probes, PAIRS_READ])
        found.update(cursor.fetchall())
    return {(a, b) for a, b in found}


def sql_key(column: str, rules: Rules) -> str:
    """names.same_key(names.fold(column)) as PostgreSQL computes it, near enough to
    find the pairs that compare() then checks: accents, case and punctuation aside, the
    words of LEGAL_SUFFIXES dropped from the end (never the first word), no spaces."""
    text = f"btrim(regexp_replace(lower(f_unaccent({column})), '[^[:alnum:]]+', ' ', 'g'))"
    if rules.drop_suffixes:
        suffixes = "|".join(sorted(names.LEGAL_SUFFIXES))
        text = f"regexp_replace({text}, '( ({suffixes}))+$', '')"
    return f"replace({text}, ' ', '')"


def likely_duplicates_of(model, fields: dict, aliases=(), *, exclude_pk=None, limit: int = 10):
    """likely_duplicates() of a record about to be written with these field values (its
    `name`, and for a kind compared within a scope, the scope's record) and aliases."""
    rules = rules_for(model)
    scope = fields.get(rules.scope) if rules.scope else None
    name = fields.get("name") or ""
    return likely_duplicates(model, name, aliases, exclude_pk, limit, scope=scope)
