"""The admin index's dashboard: the work waiting (unverified facts, facts without
citations, citations whose quote no longer matches, and what the apps add, such as open
conflicts between metrics), who changed facts in the last 7 days, the latest snapshot, and
the editor's own recent changes. Each number links to the admin list that shows its rows.

It must stay fast on a million metrics, so:

- The figures every editor shares are computed once and kept in Django's cache for
  CACHE_SECONDS (each process's memory, or Redis when REDIS_URL is set); the page says
  when they were counted. The editor's own changes and the latest snapshot are read on
  every visit: one indexed query each.
- On PostgreSQL a table the planner puts above ESTIMATE_ABOVE rows is not counted: its
  unverified facts are the planner's estimate (shown "about"; the planner knows how a
  status column is spread), and its facts without citations are not counted here, since
  the planner's guess at an anti-join can be off by a whole table; the link still leads
  to the list. Smaller tables are counted exactly, in one statement.
- Every count runs within a budget: PostgreSQL cancels a statement that runs past
  BUDGET_MS, and that figure reads "not counted" until the cache expires. A count an app
  adds is about its model's table and is not tried when that table is large: finding open
  conflicts is a self-join of the metrics (25 s on a million), and PostgreSQL cancels a
  large sort only long after its budget.
- Citations whose quote no longer matches are found by the test `check_citations` runs
  (`Citation.check_against_source`) written in SQL: not at its offsets (`char_start`,
  `char_end`) in the source's stored text. `manage.py check_citations` lists them all.
"""

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import OperationalError, connection, transaction
from django.db.models import Count, F, Model, Q, QuerySet, Value
from django.db.models.functions import Greatest, Length, Substr
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

from factbase.api.pagination import planner_rows
from factbase.core.choices import Status
from factbase.core.counts import ESTIMATE_ABOVE, count_each, table_sizes
from factbase.core.kinds import fact_kinds, kinds
from factbase.core.models import Citation, Snapshot

from .cited import without_citations

CACHE_KEY = "factbase:admin-dashboard"
CACHE_SECONDS = 300
BUDGET_MS = 250
WEEK = datetime.timedelta(days=7)
RECENT = 10  # the editor's own changes shown
LINKED = 100  # mismatched citations named in the link to their list
ACTIONS = {"+": "added", "~": "changed", "-": "deleted"}


@dataclass(frozen=True)
class Waiting:
    """Work an app adds to the dashboard: `count()` (exact, run within the budget) rows
    listed at the admin URL `url_name`, shown to those who may view `model`."""

    label: str
    model: type[Model]
    url_name: str
    count: Callable[[], int]


_WAITING: list[Waiting] = []


def add_waiting(item: Waiting) -> None:
    """Called from an app's ready(): the shared admin imports no domain app."""
    if all(other.label != item.label for other in _WAITING):
        _WAITING.append(item)


# Counting within a budget.


def within_budget(work: Callable):
    """`work()`, or None when PostgreSQL cancelled it for running past BUDGET_MS. The
    limit is set for a savepoint only and put back after, so nothing else inherits it.
    SQLite has no statement timeout; its databases are small."""
    if connection.vendor != "postgresql":
        return work()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('statement_timeout'),"
                " set_config('statement_timeout', %s, true)",
                [f"{BUDGET_MS}ms"],
            )
            previous = cursor.fetchone()[0]
            result = work()
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [previous])
            return result
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != "57014":  # query_canceled
            raise
        return None


# The shared figures, cached.


def mismatched_citations() -> QuerySet:
    """Citations whose quote does not stand at its offsets in the source's stored text:
    those `check_against_source` fails (both offsets, as far apart as the quote is long,
    and text[char_start:char_end] == quote), in SQL."""
    span = F("char_end") - F("char_start")
    at_offsets = Substr("source__text", F("char_start") + 1, Greatest(span, Value(0)))
    return (
        Citation.objects.exclude(source__text="")
        .annotate(at_offsets=at_offsets, span=span, quote_length=Length("quote"))
        .filter(
            Q(char_start=None)
            | Q(char_end=None)
            | ~Q(span=F("quote_length"))
            | ~Q(quote=F("at_offsets"))
        )
    )


def _mismatched() -> tuple[int, list[int]]:
    ids = list(mismatched_citations().order_by("pk").values_list("pk", flat=True)[: LINKED + 1])
    total = len(ids) if len(ids) <= LINKED else mismatched_citations().count()
    return total, ids[:LINKED]


def _week(since: datetime.datetime) -> list[tuple[int | None, str, int]]:
    """(user id, kind, changes) from the facts' history tables since `since`."""
    parts = [
        kind.history.objects.filter(history_date__gte=since)
        .order_by()
        .values("history_user_id")
        .annotate(kind=Value(fact_type), changes=Count("*"))
        .values_list("history_user_id", "kind", "changes")
        for fact_type, kind in fact_kinds().items()
    ]
    return list(parts[0].union(*parts[1:], all=True)) if parts else []


def shared_figures() -> dict:
    """Everything the dashboard shows every editor alike, from the cache or counted now."""
    figures = cache.get(CACHE_KEY)
    if figures is None:
        figures = count_figures()
        cache.set(CACHE_KEY, figures, CACHE_SECONDS)
    return figures


def count_figures() -> dict:
    facts = fact_kinds()
    models = [kind.model for kind in facts.values()]
    sizes = table_sizes(list(dict.fromkeys([*models, *(item.model for item in _WAITING)])))
    ContentType.objects.get_for_models(*models)  # one query, then cached for without_citations
    counted, unverified, estimated = {}, {}, set()
    for fact_type, kind in facts.items():
        rows = kind.model._default_manager.all()
        pending = rows.filter(status=Status.UNVERIFIED)
        if sizes[kind.model] > ESTIMATE_ABOVE:
            unverified[fact_type] = planner_rows(pending)
            estimated.add(fact_type)
        else:
            counted[f"unverified:{fact_type}"] = pending
            counted[f"uncited:{fact_type}"] = without_citations(rows)
    exact = within_budget(lambda: count_each(counted))
    exact = exact if exact is not None else {}
    now = timezone.now()
    week = within_budget(lambda: _week(now - WEEK))
    names = {}
    if week:
        users = {user_id for user_id, _, _ in week if user_id is not None}
        model = get_user_model()
        names = {
            user.pk: user.get_username() for user in model._default_manager.filter(pk__in=users)
        }
    return {
        "counted_at": now,
        "facts": {
            fact_type: {
                "unverified": unverified.get(fact_type, exact.get(f"unverified:{fact_type}")),
                "estimated": fact_type in estimated,
                "uncited": exact.get(f"uncited:{fact_type}"),
            }
            for fact_type in facts
        },
        # PostgreSQL cancels a large sort or join only seconds after its budget: an app's
        # count over a large table (the conflicts' self-join) is not tried at all.
        "waiting": {
            item.label: within_budget(item.count) if sizes[item.model] <= ESTIMATE_ABOVE else None
            for item in _WAITING
        },
        "mismatched": within_budget(_mismatched),
        "since": now - WEEK,
        "week": week,
        "names": names,
    }


# What one editor sees.


@dataclass
class Figure:
    label: str
    count: int | None  # None: not counted (see the module's docstring)
    url: str = ""
    estimated: bool = False
    note: str = ""

    def html(self) -> str:
        """The number linked to its list ("about" an estimate), or "not counted"."""
        if self.count is None:
            shown = mark_safe('<span class="quiet">not counted</span>')
            if self.url:
                shown = format_html('{} <a href="{}">list</a>', shown, self.url)
        else:
            text = f"about {self.count:,}" if self.estimated else f"{self.count:,}"
            shown = format_html('<a href="{}">{}</a>', self.url, text) if self.url else text
        if self.note:
            shown = format_html('{} <span class="quiet">({})</span>', shown, self.note)
        return shown


@dataclass
class Editor:
    name: str
    total: int = 0
    kinds: list[Figure] = field(default_factory=list)


@dataclass
class OwnChange:
    label: str
    action: str
    when: datetime.datetime
    reason: str
    url: str


@functools.cache
def own_changes_sql() -> tuple[str, tuple[str, ...]]:
    """The query of an editor's last changes across every kind's history, and the kinds'
    names. Built once (compiling a query for each of twenty-odd tables costs more than
    running them); each part takes two parameters, its kind's name and the editor's id."""
    parts, names = [], []
    columns = ["history_id", "id", "history_date", "history_type", "history_change_reason"]
    for kind in kinds():
        parent = kind.parent_field.attname if kind.parent_field else None
        rows = kind.history.objects.filter(history_user_id=0).order_by("-history_date")
        rows = rows.values(*columns, *([parent] if parent else []))[:RECENT]
        sql, _ = rows.query.sql_with_params()  # its one parameter: the editor's id
        # Typed, so that PostgreSQL can unite a parent's id with another kind's NULL.
        parent_column = f"t.{connection.ops.quote_name(parent)}" if parent else "NULL"
        parts.append(
            "SELECT %s, t.history_id, t.id, t.history_date, t.history_type,"
            f" t.history_change_reason, CAST({parent_column} AS BIGINT) FROM ({sql}) AS t"
        )
        names.append(kind.name)
    sql = " UNION ALL ".join(parts) + f" ORDER BY 4 DESC, 2 DESC LIMIT {RECENT}"
    return sql, tuple(names)


def admin_url(model: type[Model], view: str, *args, query: dict | None = None) -> str:
    """The admin URL of `model`'s `view`, with `query`; empty when it has no admin."""
    opts = model._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)
    except NoReverseMatch:
        return ""
    return f"{url}?{urlencode(query)}" if query else url


def can_view(user, model: type[Model]) -> bool:
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.view_{opts.model_name}")


class Dashboard:
    """The dashboard for one request's editor: what they may view, linked."""

    def __init__(self, request):
        self.user = request.user
        self.figures = shared_figures()
        self.facts = {
            fact_type: kind
            for fact_type, kind in fact_kinds().items()
            if can_view(self.user, kind.model)
        }

    @property
    def counted_at(self) -> datetime.datetime:
        return self.figures["counted_at"]

    cache_minutes = CACHE_SECONDS // 60

    def unverified(self) -> list[Figure]:
        return [
            Figure(
                kind.model._meta.verbose_name_plural,
                self.figures["facts"][fact_type]["unverified"],
                admin_url(kind.model, "changelist", query={"status__exact": Status.UNVERIFIED}),
                estimated=self.figures["facts"][fact_type]["estimated"],
            )
            for fact_type, kind in self.facts.items()
        ]

    def uncited(self) -> list[Figure]:
        return [
            Figure(
                kind.model._meta.verbose_name_plural,
                self.figures["facts"][fact_type]["uncited"],
                admin_url(kind.model, "changelist", query={"has_citations": "no"}),
            )
            for fact_type, kind in self.facts.items()
        ]

    def waiting(self) -> list[Figure]:
        figures = []
        for item in _WAITING:
            if not can_view(self.user, item.model):
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                url = ""
            figures.append(Figure(item.label, self.figures["waiting"].get(item.label), url))
        if can_view(self.user, Citation):
            found = self.figures["mismatched"]
            total, ids = found if found is not None else (None, [])
            query = {"id__in": ",".join(map(str, ids))} if ids else None
            note = f"the first {LINKED} linked" if total is not None and total > LINKED else ""
            url = admin_url(Citation, "changelist", query=query) if ids else ""
            figures.append(Figure("citations whose quote no longer matches", total, url, note=note))
        return figures

    def week(self) -> list[Editor]:
        """Who changed facts in the last 7 days, most changes first. Each kind links to the
        facts whose latest change is theirs since then."""
        since = self.figures["since"].isoformat()
        editors: dict[int | None, Editor] = {}
        for user_id, fact_type, changes in self.figures["week"] or ():
            if fact_type not in self.facts:
                continue
            name = self.figures["names"].get(user_id) or "no user (commands and imports)"
            editor = editors.setdefault(user_id, Editor(name))
            editor.total += changes
            who = {"updated_by__id__exact": user_id} if user_id else {"updated_by__isnull": "1"}
            query = {**who, "updated_at__gte": since}
            model = self.facts[fact_type].model
            url = admin_url(model, "changelist", query=query)
            editor.kinds.append(Figure(model._meta.verbose_name_plural, changes, url))
        return sorted(editors.values(), key=lambda editor: (-editor.total, editor.name))

    def week_counted(self) -> bool:
        return self.figures["week"] is not None

    def snapshot(self) -> Snapshot | None:
        if not can_view(self.user, Snapshot):
            return None
        return Snapshot.objects.select_related("created_by").order_by("-created_at").first()

    def own_changes(self) -> list[OwnChange]:
        """The editor's last RECENT history rows, across every kind: one query, each
        table read through its history_user_id index."""
        if not self.user.pk:
            return []
        sql, names = own_changes_sql()
        if not names:
            return []
        by_name = {kind.name: kind for kind in kinds()}
        with connection.cursor() as cursor:
            cursor.execute(sql, [value for name in names for value in (name, self.user.pk)])
            rows = cursor.fetchall()
        return [self._own_change(by_name[name], *row) for name, *row in rows]

    def _own_change(self, kind, history_id, pk, when, action, reason, parent_id) -> OwnChange:
        if isinstance(when, str):  # SQLite gives a union's times as text
            when = parse_datetime(when)
            if timezone.is_naive(when):
                when = timezone.make_aware(when, datetime.UTC)
        label = f"{kind.model._meta.verbose_name} {pk}"
        if kind.parent_field is not None and parent_id is not None:
            parent = kind.parent_field.related_model
            label += f" of {parent._meta.verbose_name} {parent_id}"
            url = admin_url(parent, "history", parent_id)
        else:
            url = admin_url(kind.model, "history", pk) if can_view(self.user, kind.model) else ""
        return OwnChange(label, ACTIONS.get(action, action), when, reason or "", url)


def install(site: admin.AdminSite) -> None:
    """Offer the dashboard to the index template as `dashboard`: lazily, so that the other
    admin pages, which share this context, never count anything."""
    each_context = site.each_context

    def with_dashboard(request):
        context = each_context(request)
        context["dashboard"] = SimpleLazyObject(lambda: Dashboard(request))
        return context

    site.each_context = with_dashboard


install(admin.site)
