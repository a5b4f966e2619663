"""Related records on a record's admin page: read-only panels under the form, each a short
table of the records linked to this one (a company's products, a person's quotes), every
row linked to its own page, with a link to all of them in their list when there are more
than a panel shows.

An admin declares its panels as `related_panels`, a list of `Panel`s, and its charts by
`get_charts()`; `RelatedPanelsMixin` draws both under the form. A panel costs a fixed
number of queries however many rows it has: its first rows with the count of all of
them (and one query for each list prefetched).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db.models import Count, QuerySet, Window
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from factbase.core.kinds import fact_kinds
from factbase.core.selectors import name_relations

PAGE_SIZE = 20  # rows a panel shows before its link to all of them


def admin_url(record) -> str:
    """The admin page of `record`, or "" when it has none."""
    if record is None:
        return ""
    opts = record._meta
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])
    except NoReverseMatch:
        return ""


def changelist_url(model, query: dict) -> str:
    """The admin list of `model` filtered by `query`, or "" when it has none."""
    opts = model._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    except NoReverseMatch:
        return ""
    return f"{url}?{urlencode(query)}" if query else url


def truncate(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def fact_prefetch(name: str = "fact") -> GenericPrefetch:
    """Each citation's fact with what its name is made of: one query per kind of fact
    among the rows, not one per row."""
    querysets = [
        kind.model._default_manager.select_related(*name_relations(kind.model))
        for kind in fact_kinds().values()
    ]
    return GenericPrefetch(name, querysets)


def record_link(record, missing: str = "") -> str:
    """A record by its kind and name, linked to its admin page; `missing` when it is gone."""
    if record is None:
        return missing
    label = f"{record._meta.verbose_name}: {record}"
    url = admin_url(record)
    return format_html('<a href="{}">{}</a>', url, label) if url else label


def _read(row, path: str | Callable):
    """`path` of `row`: a callable of the row, or attributes joined by dots, each called
    when it is a method (`get_status_display`)."""
    if callable(path):
        return path(row)
    value = row
    for name in path.split("."):
        value = getattr(value, name, None)
        if callable(value):
            value = value()
        if value is None:
            return None
    return value


@dataclass(frozen=True)
class Column:
    """A column of a panel: its heading, what it shows of a row (an attribute path or a
    callable) and, when `link` is given, the record it links to (the path of a related
    record, or "." for the row itself)."""

    label: str
    value: str | Callable
    link: str | Callable | None = None

    def cell(self, row) -> tuple[str, str]:
        value = _read(row, self.value)
        text = "" if value is None else str(value)
        if self.link is None:
            return text, ""
        target = row if self.link == "." else _read(row, self.link)
        return text, admin_url(target)


STATUS = Column("status", "get_status_display")


@dataclass
class PanelRows:
    """A panel as its template reads it."""

    title: str
    headings: list[str]
    rows: list[dict]
    total: int
    all_url: str
    grouped: bool

    @property
    def more(self) -> bool:
        return self.total > len(self.rows)


@dataclass(frozen=True)
class Panel:
    """Records of `model` ("app_label.Model") related to the record of the page.

    By default the rows are those whose `lookup` (a field path: "company", "companies")
    is the record, and "all N" leads to the model's admin list filtered the same way.
    `rows` (the record → a queryset or a list) and `list_query` (the record → the list's
    GET parameters) replace either when the relation is not one field."""

    title: str
    model: str
    columns: tuple[Column, ...]
    lookup: str = ""
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
    order_by: tuple[str, ...] = ()
    group_by: str | Callable | None = None  # a subheading over the rows it changes at
    rows: Callable[[Any], QuerySet | list] | None = None
    list_query: Callable[[Any], dict] | None = None
    list_url: Callable[[Any], str] | None = None  # instead of the model's admin list
    per_page: int = PAGE_SIZE

    @property
    def related_model(self):
        return apps.get_model(self.model)

    def queryset(self, record):
        if self.rows is not None:
            rows = self.rows(record)
        else:
            rows = self.related_model._default_manager.filter(**{self.lookup: record.pk})
        if isinstance(rows, QuerySet):
            if self.select_related:
                rows = rows.select_related(*self.select_related)
            if self.prefetch_related:
                rows = rows.prefetch_related(*self.prefetch_related)
            if self.order_by:
                rows = rows.order_by(*self.order_by)
        return rows

    def all_url(self, record) -> str:
        if self.list_url is not None:
            return self.list_url(record)
        if self.list_query is not None:
            query = self.list_query(record)
        else:
            query = {f"{self.lookup}__id__exact": record.pk}
        return changelist_url(self.related_model, query)

    def read(self, record) -> PanelRows:
        rows = self.queryset(record)
        if isinstance(rows, QuerySet):
            # The page and the count of all the rows in one query: COUNT(*) OVER () is
            # computed before the LIMIT.
            page = list(rows.annotate(panel_total=Window(Count("pk")))[: self.per_page])
            total = page[0].panel_total if page else 0
        else:
            page, total = list(rows)[: self.per_page], len(rows)
        return PanelRows(
            title=self.title,
            headings=[column.label for column in self.columns],
            rows=[self._row(row) for row in page],
            total=total,
            all_url=self.all_url(record),
            grouped=self.group_by is not None,
        )

    def _row(self, row) -> dict:
        group = _read(row, self.group_by) if self.group_by is not None else None
        status = getattr(row, "status", "")
        return {
            "cells": [column.cell(row) for column in self.columns],
            "group": "" if group is None else str(group),
            "status": status if isinstance(status, str) else "",
        }

    def visible_to(self, user) -> bool:
        opts = self.related_model._meta
        return user.has_perm(f"{opts.app_label}.view_{opts.model_name}")


class RelatedPanelsMixin:
    """Draws an admin's `related_panels` and `get_charts()` under its change form, on the
    page of a stored record (not when adding one, nor on a past version's page)."""

    related_panels: list[Panel] = []
    change_form_template = "admin/factbase/related_change_form.html"

    def get_related_panels(self, request, obj) -> list[Panel]:
        return [panel for panel in self.related_panels if panel.visible_to(request.user)]

    def get_charts(self, request, obj) -> list:
        """Charts drawn above the panels (factbase.admin.charts); none by default."""
        return []

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and not add:
            context["related_panels"] = [
                panel.read(obj) for panel in self.get_related_panels(request, obj)
            ]
            context["charts"] = self.get_charts(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)
