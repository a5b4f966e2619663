"""Metrics drawn as timelines on admin pages, as SVG made on the server: no script, no
library, nothing loaded from elsewhere, and readable without JavaScript.

A chart shows one metric type: each claim a point at its value and period (the middle of
the period, with a line across it when it spans more than a day; a window from a launch
or an event placed from that date), one series (a colour in the legend) per subject,
region, platform and currency. What the value claims stays visible: "at least" and "at
most" are open markers with an arrow towards where the value may lie, a range is a
vertical interval, an approximate value has a dashed ring. Disputed and retracted claims
are drawn apart, hollow and grey, and not joined to their series' line. Ranks run from 1
at the top. Every point links to its metric's admin page; under each chart, the same
data from the API (CSV and JSON) and, folded, a table of the claims for those who do not
see the drawing.

`subject_charts()` draws a company's or a product's metrics, one chart per type;
`type_charts()` one metric type across its subjects, for one region or all.
"""

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import count
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse

from factbase.core.choices import Qualifier, Status
from factbase.core.codes import region_name
from factbase.core.quantities import format_number

from .related import admin_url

MAX_POINTS = 500  # claims a chart draws: the latest; the API has them all

WIDTH, PLOT_HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 72, 20, 16, 36  # margins around the plot: axis labels
LEGEND_ROW = 18
# Colours told apart with the common forms of colour blindness (Okabe and Ito); grey is
# kept for disputed and retracted claims.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#332288")
APART = (Status.DISPUTED, Status.RETRACTED)
GREY = "#8a8a8a"
DODGE = 6  # pixels between the series' points of the same period
ARROW = 14  # length of an "at least" / "at most" arrow, in pixels

_ids = count(1)


@dataclass
class Series:
    label: str
    color: str
    points: list = field(default_factory=list)
    legend_y: float = 0

    @property
    def legend_box_y(self) -> float:
        return self.legend_y - 10

    @property
    def line(self) -> str:
        """The polyline joining its claims in time, those drawn apart left out."""
        held = sorted((p for p in self.points if not p.apart), key=lambda p: p.x)
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in held) if len(held) > 1 else ""


@dataclass
class Point:
    metric: object
    series: Series
    start: datetime.date
    end: datetime.date
    x: float = 0
    x0: float = 0
    x1: float = 0
    y: float = 0
    y_high: float | None = None
    arrow: str = ""  # an SVG path: the arrow of an open-ended claim

    @property
    def apart(self) -> bool:
        return self.metric.status in APART

    @property
    def qualifier(self) -> str:
        return self.metric.qualifier

    @property
    def open(self) -> bool:
        return self.qualifier in (Qualifier.AT_LEAST, Qualifier.AT_MOST)

    @property
    def is_range(self) -> bool:
        return self.qualifier == Qualifier.RANGE and self.y_high is not None

    @property
    def approximate(self) -> bool:
        return self.qualifier == Qualifier.APPROXIMATE

    @property
    def spans(self) -> bool:
        return self.x1 - self.x0 >= 2

    @property
    def url(self) -> str:
        return admin_url(self.metric)

    # Colours as SVG attributes, not styles: the drawing reads the same without the
    # stylesheet (a saved page, a feed reader).
    @property
    def stroke(self) -> str:
        return GREY if self.apart else self.series.color

    @property
    def fill(self) -> str:
        if self.apart or self.open:
            return "none" if self.apart else "#fff"
        return self.series.color

    @property
    def cap_x(self) -> float:
        return self.x - 4

    @property
    def label(self) -> str:
        m = self.metric
        when = m.period_display or m.window_display
        parts = [f"{m.value_display}", when, self.series.label, m.get_status_display()]
        return " · ".join(part for part in parts if part)


@dataclass
class Chart:
    id: str
    title: str
    description: str
    rank: bool
    series: list[Series]
    points: list[Point]
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    undated: list
    csv_url: str
    json_url: str
    height: float
    regions: list[tuple[str, str, bool]] = field(default_factory=list)  # code, name, chosen

    width = WIDTH
    left, right, top = LEFT, WIDTH - RIGHT, TOP
    bottom = TOP + PLOT_HEIGHT

    @property
    def rows(self) -> list[tuple]:
        """The claims in the table under the chart, each with its admin page: drawn ones
        in time, then those without a date."""
        drawn = sorted(self.points, key=lambda p: (p.start, p.metric.pk))
        metrics = [p.metric for p in drawn] + list(self.undated)
        return [(metric, admin_url(metric)) for metric in metrics]

    @property
    def tick_label_x(self) -> int:
        return self.left - 6

    @property
    def tick_end_y(self) -> int:
        return self.bottom + 5

    @property
    def x_label_y(self) -> int:
        return self.bottom + 18

    @property
    def legend_x(self) -> int:
        return self.left + 18


def compact(value: float) -> str:
    """An axis label: 1.5M, 250k, 3B."""
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def nice_ticks(low: float, high: float, wanted: int = 5) -> list[float]:
    """Round values from low to high, about `wanted` of them, on steps of 1, 2 or 5."""
    span = high - low
    if span <= 0:
        return [low]
    raw = span / wanted
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    ticks, value = [], first
    while value <= high + step * 1e-9:
        ticks.append(value)
        value += step
    return ticks


def dates_of(metric) -> tuple[datetime.date, datetime.date] | None:
    """The days a claim is about: its period, or its window from the launch or event it
    is relative to; None when neither is known."""
    if metric.period_start is not None:
        return metric.period_start, metric.period_until or metric.period_start
    if metric.window_days is not None:
        if metric.window_anchor == "launch":
            anchor = metric.product.launched_on if metric.product_id else None
        else:
            anchor = metric.anchor_event.occurred_on if metric.anchor_event_id else None
        if anchor is not None:
            return anchor, anchor + datetime.timedelta(days=metric.window_days)
    return None


def _date_ticks(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """Years, or months when the chart spans less than about two years."""
    if (last - first).days > 800:
        return [datetime.date(y, 1, 1) for y in range(first.year, last.year + 2)]
    months, day = [], datetime.date(first.year, first.month, 1)
    while day <= last + datetime.timedelta(days=31):
        months.append(day)
        day = datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    step = max(1, len(months) // 8)
    return months[::step]


def draw(metric_type, metrics: list, series_key, *, title: str, api_query: dict) -> Chart:
    """One chart of `metrics` of `metric_type`, one series per `series_key(metric)`."""
    rank = metric_type.unit_kind == "rank"
    series: dict[str, Series] = {}
    points, undated = [], []
    for metric in metrics:
        when = dates_of(metric)
        if when is None:
            undated.append(metric)
            continue
        key = series_key(metric)
        if key not in series:
            series[key] = Series(key, PALETTE[len(series) % len(PALETTE)])
        point = Point(metric, series[key], *when)
        series[key].points.append(point)
        points.append(point)

    first = min((p.start for p in points), default=datetime.date.today())
    last = max((p.end for p in points), default=first)
    if (last - first).days < 60:  # a few days would fill the width: give them room
        first, last = first - datetime.timedelta(days=30), last + datetime.timedelta(days=30)
    days = (last - first).days

    def x_of(day: datetime.date) -> float:
        return LEFT + (day - first).days / days * (WIDTH - RIGHT - LEFT)

    values = [float(v) for m in metrics for v in (m.value, m.value_high) if v is not None]
    if rank:
        low, high = 1.0, max([*values, 2.0])
    else:
        low, high = min([0.0, *values]), max([*values, 1.0]) * 1.05
    ticks = nice_ticks(low, high)
    if rank:
        ticks = sorted({max(1, round(t)) for t in ticks} | {1})
    else:
        high = max(high, ticks[-1])

    def y_of(value) -> float:
        share = (float(value) - low) / (high - low)
        # Ranks run downwards: 1, the best, at the top.
        return TOP + share * PLOT_HEIGHT if rank else TOP + PLOT_HEIGHT - share * PLOT_HEIGHT

    order = {key: index for index, key in enumerate(series)}
    for point in points:
        point.x0, point.x1 = x_of(point.start), x_of(point.end)
        # Series side by side within the period, so that equal claims of several
        # regions ("at least 101st" in three countries) do not hide one another.
        dodge = (order[point.series.label] - (len(series) - 1) / 2) * DODGE
        middle = (point.x0 + point.x1) / 2
        point.x = min(max(middle + dodge, point.x0), point.x1) if point.spans else middle
        point.y = y_of(point.metric.value)
        if point.qualifier == Qualifier.RANGE and point.metric.value_high is not None:
            point.y_high = y_of(point.metric.value_high)
        if point.open:
            # Towards the values the claim allows: larger for "at least", whichever way
            # the axis runs.
            larger = -1 if not rank else 1
            sign = larger if point.qualifier == Qualifier.AT_LEAST else -larger
            tip = point.y + sign * ARROW
            point.arrow = (
                f"M{point.x:.1f},{point.y + sign * 5:.1f} V{tip:.1f} "
                f"M{point.x - 4:.1f},{tip - sign * 5:.1f} L{point.x:.1f},{tip:.1f} "
                f"L{point.x + 4:.1f},{tip - sign * 5:.1f}"
            )

    for index, each in enumerate(series.values()):
        each.legend_y = TOP + PLOT_HEIGHT + BOTTOM + 8 + index * LEGEND_ROW
    height = TOP + PLOT_HEIGHT + BOTTOM + 8 + max(len(series), 1) * LEGEND_ROW
    apart = sum(p.apart for p in points)
    description = (
        f"{len(points)} claims of {metric_type.name.lower()}"
        + (f" from {first:%b %Y} to {last:%b %Y}" if points else "")
        + f", in {len(series)} series"
        + (f"; {apart} disputed or retracted, drawn hollow and grey" if apart else "")
        + ("; ranks, 1 at the top" if rank else "")
        + (f"; {len(undated)} without a date, listed below" if undated else "")
        + "."
    )
    api = reverse("events-api:metric-list")
    query = {**api_query, "metric_type": metric_type.slug}
    return Chart(
        id=f"chart-{next(_ids)}",
        title=title,
        description=description,
        rank=rank,
        series=list(series.values()),
        points=points,
        x_ticks=[
            (x_of(day), f"{day:%b %Y}" if days <= 800 else str(day.year))
            for day in _date_ticks(first, last)
            if first <= day <= last
        ],
        y_ticks=[(y_of(t), format_number(Decimal(t)) if rank else compact(t)) for t in ticks],
        undated=undated,
        csv_url=f"{api}?{urlencode({**query, 'format': 'csv'})}",
        json_url=f"{api}?{urlencode(query)}",
        height=height,
    )


def _claims(metrics: QuerySet) -> QuerySet:
    """What a chart reads of each claim, in one query: the latest MAX_POINTS."""
    return metrics.select_related(
        "metric_type", "company", "product", "platform", "anchor_event"
    ).order_by("-period_start", "-id")[:MAX_POINTS]


def _where(metric, *, subject: bool) -> str:
    parts = [str(metric.subject)] if subject else []
    parts.append(region_name(metric.region) or "region not said")
    if metric.platform_id:
        parts.append(metric.platform.name)
    if metric.currency:
        parts.append(metric.currency)
    return ", ".join(parts)


def subject_charts(metrics: QuerySet, *, api_query: dict) -> list[Chart]:
    """A company's or a product's `metrics`, one chart per metric type; a series per
    region and platform (and per subject when there are several: a company's and its
    products')."""
    claims = list(_claims(metrics))
    by_type = defaultdict(list)
    for metric in claims:
        by_type[metric.metric_type].append(metric)
    charts = []
    for metric_type, group in sorted(by_type.items(), key=lambda item: item[0].name):
        several = len({m.subject for m in group}) > 1
        charts.append(
            draw(
                metric_type,
                group,
                lambda m, several=several: _where(m, subject=several),
                title=metric_type.name,
                api_query=api_query,
            )
        )
    return charts


def type_charts(metric_type, *, region: str = "") -> list[Chart]:
    """One metric type across its subjects (downloads of Le Chat, of ChatGPT...), in one
    region when `region` is one of those in use, else in all of them."""
    metrics = metric_type.metrics.all()
    # Regions named by their sources: "not said" is no region to choose.
    in_use = sorted(set(metrics.order_by().values_list("region", flat=True)) - {""})
    region = region if region in in_use else ""
    if region:
        metrics = metrics.filter(region=region)
    title = metric_type.name + (f" in {region_name(region)}" if region else ", all regions")
    chart = draw(
        metric_type,
        list(_claims(metrics)),
        lambda m: _where(m, subject=True),
        title=title,
        api_query={"region": region} if region else {},
    )
    names = sorted((region_name(code), code) for code in in_use)
    chart.regions = [(code, name, code == region) for name, code in names]
    return [chart]
