"""Conflicting metrics: two claims about the same thing that cannot both be true.

Two metrics conflict when all of these hold:

- Same thing measured: the same metric type, the same subject (company or product), the
  same region and the same platform. An empty region matches only an empty region and no
  platform only no platform: "worldwide" and "not said" are not the same claim.
- Same time: neither has a relative window and their dated periods overlap (from
  `period_start` to `period_until`); or both have the same window from the same anchor
  ("within 14 days of launch" and "within 14 days of launch"), whatever dates they carry,
  since the window says when. A metric without a period and without a window could be
  about any time, so it conflicts with nothing; nor does a windowed metric with an
  unwindowed one (a launch window and a calendar month measure different things).
- Values that cannot both be true: each value is an interval, and the two do not meet.
  exactly v is [v, v]; approximately v is [v*(1-10%), v*(1+10%)] (TOLERANCE); at least v
  is [v, ∞); at most v is (-∞, v]; a range is [v, high]. Bounds are inclusive, so
  "at least 100" and "at most 100" agree on 100.
- Money in the same currency; in different currencies only when both carry a US dollar
  value, compared in dollars (`value_usd`, and `value_high` times the rate for a range).
  Without it the two cannot be compared and are not a conflict.

A conflict is open while neither claim is disputed or retracted: an editor resolves it by
marking the claim they keep verified and the other disputed (`metric_conflict_resolve`),
which records both in the metrics' history with the reason.

Detection is one SQL self-join of the metrics table on the columns above, the same on
SQLite and PostgreSQL; a page of conflicts costs a fixed number of queries.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connections, router, transaction
from django.db.models import QuerySet

from factbase.core.choices import Qualifier, Status
from factbase.core.feed import hold
from factbase.core.models import format_number
from factbase.core.reasons import reason_text
from factbase.core.services import clock, facts_set_status

from .models import Metric

TOLERANCE = Decimal("0.10")  # of an approximate value, either way
RESOLVED = (Status.DISPUTED, Status.RETRACTED)

_LOW = f"""CASE WHEN {{m}}.qualifier = 'at_most' THEN NULL
    WHEN {{m}}.qualifier = 'approximate' THEN {{m}}.{{value}} * {1 - TOLERANCE}
    ELSE {{m}}.{{value}} END"""
_HIGH = f"""CASE WHEN {{m}}.qualifier = 'at_least' THEN NULL
    WHEN {{m}}.qualifier = 'range' THEN {{m}}.value_high{{rate}}
    WHEN {{m}}.qualifier = 'approximate' THEN {{m}}.{{value}} * {1 + TOLERANCE}
    ELSE {{m}}.{{value}} END"""


def _bounds(alias: str, *, usd: bool) -> tuple[str, str]:
    value = "value_usd" if usd else "value"
    rate = f" * {alias}.usd_rate" if usd else ""
    return (
        _LOW.format(m=alias, value=value),
        _HIGH.format(m=alias, value=value, rate=rate),
    )


def _disjoint(*, usd: bool) -> str:
    """The two value intervals do not meet. A NULL bound is infinite: its comparison is
    NULL, which never makes the pair a conflict."""
    a_low, a_high = _bounds("a", usd=usd)
    b_low, b_high = _bounds("b", usd=usd)
    return f"(({a_high}) < ({b_low}) OR ({b_high}) < ({a_low}))"


def _pairs_sql(restrict: str) -> str:
    table = connections[router.db_for_read(Metric)].ops.quote_name(Metric._meta.db_table)
    # COALESCE(x, 0) = COALESCE(y, 0) is "equal, NULL equal to NULL" (ids start at 1),
    # written as plain equality so that PostgreSQL can hash- or merge-join on it.
    return f"""
        SELECT a.id AS a_id, b.id AS b_id FROM {table} a
        JOIN {table} b
          ON b.metric_type_id = a.metric_type_id
         AND b.region = a.region
         AND COALESCE(b.company_id, 0) = COALESCE(a.company_id, 0)
         AND COALESCE(b.product_id, 0) = COALESCE(a.product_id, 0)
         AND COALESCE(b.platform_id, 0) = COALESCE(a.platform_id, 0)
         AND b.id > a.id
        WHERE a.status NOT IN (%s, %s) AND b.status NOT IN (%s, %s)
          AND (
            (a.window_days IS NULL AND b.window_days IS NULL
             AND a.period_start <= b.period_until AND b.period_start <= a.period_until)
            OR (a.window_days = b.window_days AND a.window_anchor = b.window_anchor
                AND COALESCE(a.anchor_event_id, 0) = COALESCE(b.anchor_event_id, 0))
          )
          AND (
            (a.currency = b.currency AND {_disjoint(usd=False)})
            OR (a.currency <> b.currency
                AND a.value_usd IS NOT NULL AND b.value_usd IS NOT NULL
                AND {_disjoint(usd=True)})
          )
          {restrict}
    """


def describe(metric: Metric, *, usd: bool = False) -> str:
    """A metric's value in words: "at least 1,000,000", "between 10 and 20 EUR"."""
    value, high = metric.value, metric.value_high
    if usd:
        value, high = metric.value_usd, high * metric.usd_rate if high is not None else None
    words = {
        Qualifier.EXACT: "exactly {v}",
        Qualifier.APPROXIMATE: "about {v}",
        Qualifier.AT_LEAST: "at least {v}",
        Qualifier.AT_MOST: "at most {v}",
        Qualifier.RANGE: "between {v} and {h}",
    }[metric.qualifier]
    text = words.format(v=format_number(value), h=format_number(high))
    currency = "USD" if usd else metric.currency
    return f"{text} {currency}".strip()


@dataclass
class Conflict:
    """Two open claims that cannot both be true; `claims` in id order."""

    claims: tuple[Metric, Metric]

    @property
    def in_usd(self) -> bool:
        first, second = self.claims
        return first.currency != second.currency

    @property
    def reason(self) -> str:
        first, second = self.claims
        if self.in_usd:
            return (
                f"{describe(first)} ({describe(first, usd=True)}) vs "
                f"{describe(second)} ({describe(second, usd=True)})"
            )
        return f"{describe(first)} vs {describe(second)}"

    @property
    def metric_type(self):
        return self.claims[0].metric_type

    @property
    def subject(self):
        return self.claims[0].subject

    @property
    def region(self) -> str:
        return self.claims[0].region

    @property
    def platform(self):
        return self.claims[0].platform


class MetricConflicts:
    """The open conflicts among a queryset of metrics, in order of their claims' ids.

    Lazy, and sliced like a queryset: `count()` is one query, a slice is one query for
    the pairs and the metrics' own (the selector's joins and prefetched citations)."""

    def __init__(self, queryset: QuerySet | None = None, claims: QuerySet | None = None):
        self.queryset = queryset
        # Where the claims are read from, with what the caller shows of them (the API
        # its serializer's joins and citations).
        self.claims = (
            claims
            if claims is not None
            else Metric.objects.select_related(
                "metric_type", "company", "product", "platform"
            ).prefetch_related("citations__source")
        )

    def _sql(self) -> tuple[str, list]:
        params: list = [*RESOLVED, *RESOLVED]
        restrict = ""
        if self.queryset is not None:
            try:
                inner, inner_params = self.queryset.order_by().values("pk").query.sql_with_params()
            except EmptyResultSet:  # a filter that no row can pass (`id__in=[]`)
                return _pairs_sql("AND 1 = 0"), params
            restrict = f"AND a.id IN ({inner}) AND b.id IN ({inner})"
            params += [*inner_params, *inner_params]
        return _pairs_sql(restrict), params

    def count(self) -> int:
        sql, params = self._sql()
        with connections[router.db_for_read(Metric)].cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) AS pairs", params)
            return cursor.fetchone()[0]

    def __len__(self) -> int:
        return self.count()

    def pairs(self, *, offset: int = 0, limit: int | None = None) -> list[tuple[int, int]]:
        sql, params = self._sql()
        sql += " ORDER BY a.id, b.id"
        if limit is not None:
            sql += " LIMIT %s OFFSET %s"
            params += [limit, offset]
        elif offset:
            raise ValueError("An offset needs a limit.")
        with connections[router.db_for_read(Metric)].cursor() as cursor:
            cursor.execute(sql, params)
            return [tuple(row) for row in cursor.fetchall()]

    def page(self, *, offset: int, limit: int) -> tuple[int, list["Conflict"]]:
        """How many conflicts there are, and those of one page: one query finds both
        (the search is the expensive part, so it is not run twice), one more loads the
        page's metrics. An offset past the end costs a count of its own."""
        sql, params = self._sql()
        sql = f"SELECT a_id, b_id, COUNT(*) OVER () FROM ({sql}) AS pairs"
        sql += " ORDER BY a_id, b_id LIMIT %s OFFSET %s"
        with connections[router.db_for_read(Metric)].cursor() as cursor:
            cursor.execute(sql, [*params, limit, offset])
            rows = cursor.fetchall()
        if not rows:
            return (self.count() if offset else 0), []
        return rows[0][2], self._load([(first, second) for first, second, _ in rows])

    def _load(self, pairs: list[tuple[int, int]]) -> list[Conflict]:
        ids = {pk for pair in pairs for pk in pair}
        metrics = self.claims.in_bulk(ids) if ids else {}
        return [Conflict((metrics[first], metrics[second])) for first, second in pairs]

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("Conflicts are read in slices: conflicts[0:50].")
        start = index.start or 0
        if index.stop is None:
            return self._load(self.pairs(offset=start, limit=2**62) if start else self.pairs())
        return self._load(self.pairs(offset=start, limit=max(index.stop - start, 0)))

    def __iter__(self) -> Iterator[Conflict]:
        return iter(self[0:])


def metric_conflicts(
    queryset: QuerySet | None = None, claims: QuerySet | None = None
) -> MetricConflicts:
    """The open conflicts among `queryset` (all metrics when None): both claims of each
    pair must be in it. Their claims are read from `claims`."""
    return MetricConflicts(queryset, claims)


@transaction.atomic
def metric_conflict_resolve(*, keep: Metric, dispute: Metric, user=None, reason: str) -> None:
    """Resolve the open conflict between `keep` and `dispute`: `keep` is marked verified
    and `dispute` disputed, each with a history record naming `user` and `reason`, in one
    transaction. Raises ValidationError, changing nothing, when the two are not an open
    conflict, when the reason is missing, or when `keep` has no citation to verify it by."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why this claim is kept and the other disputed."})
    try:
        reason_text(reason)
    except ValidationError as error:
        raise ValidationError({"reason": error.messages}) from error
    pair = Metric.objects.filter(pk__in=[keep.pk, dispute.pk])
    # Locked first: two editors resolving the same conflict at once resolve it once.
    list(pair.select_for_update().order_by("pk").values_list("pk"))
    if keep.pk == dispute.pk or not metric_conflicts(pair).count():
        raise ValidationError(
            {"dispute": f"Metrics {keep.pk} and {dispute.pk} are not an open conflict."}
        )
    # Both claims at one instant, taken where writers queue: between two, `as_of` would
    # show the kept claim verified beside the other, still verified, and the conflict open.
    hold(pair.db)
    with clock.one_instant():
        try:
            facts_set_status(
                pair.filter(pk=keep.pk), status=Status.VERIFIED, user=user, reason=reason
            )
        except ValidationError as error:
            raise ValidationError({"keep": error.messages}) from error
        facts_set_status(
            pair.filter(pk=dispute.pk), status=Status.DISPUTED, user=user, reason=reason
        )
