"""How a record's history reads in the admin: each version with its number, its time in UTC
to the second, who and why, and what it changed; what a creation or a restore set; the
citations added, changed or removed on the record; and, before a revert, what it would
change (fields and rows)."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.text import capfirst
from simple_history.manager import SIMPLE_HISTORY_REVERSE_ATTR_NAME
from simple_history.utils import get_m2m_reverse_field_name

from factbase.api.history import child_changes
from factbase.core.models import Citation, FactModel, history_model_of
from factbase.core.quantities import format_number
from factbase.core.services.saving import STAMPED_FIELDS

EMPTY = "—"  # an absent value: never "None", never a blank that reads as a missing cell


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class Entry:
    """One row of a history page: a version of the record, or a change to one of its
    citations (`citation` then names it)."""

    version: int | None
    when: str
    action: str
    user: str
    reason: str
    changes: list[Change] = field(default_factory=list)
    history_id: int | None = None  # for a version of the record: its revert page
    citation: str = ""
    values_set: bool = False  # `changes` are the values it set (a creation, a restore)
    rows_only: bool = False  # `changes` name the citations a version changed, a word each


def utc_text(moment: datetime.datetime | None) -> str:
    """A time as every history page shows it: UTC, to the second."""
    if moment is None:
        return EMPTY
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def shown_fields(model) -> list:
    """The fields a history shows: all but the id, the link of a citation to its fact and
    what every write stamps (the version and time have their own columns)."""
    hidden = {*STAMPED_FIELDS, "content_type", "object_id"} if model is Citation else STAMPED_FIELDS
    concrete = [
        f for f in model._meta.concrete_fields if not f.primary_key and f.name not in hidden
    ]
    return [*concrete, *model._meta.many_to_many]


def row_values(model, row) -> dict:
    """What a record holds, by field name: a history row's or the record's own, foreign
    keys as ids, many-to-many lists as sets of ids (as the history keeps them)."""
    values = {}
    history_m2m = {f.name for f in getattr(row, "_history_m2m_fields", ())}
    for f in shown_fields(model):
        if not f.many_to_many:
            values[f.name] = getattr(row, f.attname)
        elif f.name in history_m2m:  # the history row's own copy of the list
            target = f"{get_m2m_reverse_field_name(f)}_id"
            values[f.name] = {getattr(item, target) for item in getattr(row, f.name).all()}
        elif isinstance(row, model):
            values[f.name] = set(getattr(row, f.name).values_list("pk", flat=True))
    return values


class Labels:
    """Reads the records that values name (foreign keys, lists), each model once."""

    def __init__(self, model, value_sets: list[dict]):
        wanted: dict[type[models.Model], set] = {}
        for f in shown_fields(model):
            if f.is_relation:
                for values in value_sets:
                    value = values.get(f.name)
                    ids = value if isinstance(value, set) else {value}
                    wanted.setdefault(f.related_model, set()).update(ids - {None})
        self.records = {
            related: related._default_manager.in_bulk(ids) for related, ids in wanted.items()
        }

    def text(self, f, value) -> str:
        if value is None or value == "" or value == set():
            return EMPTY
        if f.is_relation:
            ids = sorted(value) if isinstance(value, set) else [value]
            return ", ".join(self.record_text(f.related_model, pk) for pk in ids)
        if f.choices:
            return str(dict(f.flatchoices).get(value, value))
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, datetime.datetime):
            return utc_text(value)
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return format_number(value)  # as every admin page writes it: 600,000,000
        return str(value)

    def record_text(self, related, pk) -> str:
        record = self.records.get(related, {}).get(pk)
        if record is None:
            return f"{related._meta.verbose_name} {pk} (deleted)"
        return str(record)


def changes_between(model, old: dict | None, new: dict, labels: Labels) -> list[Change]:
    """What `new` holds that `old` did not; with no `old` (a creation, a restore), every
    value `new` sets."""
    changes = []
    for f in shown_fields(model):
        if f.name not in new:
            continue
        before = EMPTY if old is None else labels.text(f, old.get(f.name))
        after = labels.text(f, new[f.name])
        if old is None and after == EMPTY:
            continue  # nothing set
        if old is None or old.get(f.name) != new[f.name]:
            changes.append(Change(capfirst(f.verbose_name), before, after))
    return changes


def _action(row, previous) -> str:
    if row.history_type == "+":
        return "Restored" if previous is not None else "Created"
    return "Deleted" if row.history_type == "-" else "Changed"


def _previous_rows(rows: list, older: list) -> dict:
    """Each history row's predecessor (by history_id), from rows newest first and the rows
    of the same records before them."""
    chains: dict = {}
    for row in sorted([*rows, *older], key=lambda r: (r.history_date, r.history_id)):
        chains.setdefault(row.id, []).append(row)
    previous = {}
    for chain in chains.values():
        for before, after in zip(chain, chain[1:], strict=False):
            previous[after.history_id] = before
    return previous


def history_entries(model, pk, page_rows: list, newer_row=None) -> list[Entry]:
    """The rows of one page of a record's history, newest first: its versions (`page_rows`,
    newest first) and, for a fact, the changes to its citations made from the oldest of
    them until `newer_row` (the next version, on the page before), or until now."""
    if not page_rows:
        return []
    oldest = page_rows[-1]
    history = history_model_of(model)._default_manager
    older = list(
        history.filter(id=pk)
        .filter(
            Q(history_date__lt=oldest.history_date)
            | Q(history_date=oldest.history_date, history_id__lt=oldest.history_id)
        )
        .order_by("-history_date", "-history_id")[:1]
    )
    citation_rows, citation_older, previous, here = [], [], {}, None
    if issubclass(model, FactModel):
        content_type = ContentType.objects.get_for_model(model).pk

        def here(row) -> bool:
            return (row.content_type_id, row.object_id) == (content_type, pk)

        # Every version of the citations the fact ever had, on other facts too: one that a
        # merge moved here (or its undo moved away) is added (or removed) here.
        ever = Citation.history.filter(content_type_id=content_type, object_id=pk)
        citations = Citation.history.filter(id__in=ever.values("id")).select_related("history_user")
        if newer_row is not None:
            citations = citations.filter(history_date__lt=newer_row.history_date)
        every = list(citations.order_by("-history_date", "-history_id"))
        previous = _previous_rows(every, [])
        every = [
            r
            for r in every
            if here(r) or (r.history_id in previous and here(previous[r.history_id]))
        ]
        start = oldest.history_date if older else None  # the first page shows them all
        citation_rows = [r for r in every if start is None or r.history_date >= start]
        citation_older = [r for r in every if r not in citation_rows]
    labels = Labels(model, [row_values(model, r) for r in [*page_rows, *older]])
    citation_labels = Labels(
        Citation, [row_values(Citation, r) for r in [*citation_rows, *citation_older]]
    )
    versions = _record_entries(model, page_rows, _previous_rows(page_rows, older), labels)
    written = _rows_written(model, pk, page_rows)
    for row, entry in zip(page_rows, versions, strict=True):
        entry.changes += written.get(row.history_id, [])
    cited = _citation_entries(citation_rows, previous, citation_labels, here)
    _name_cited(versions, page_rows, cited, citation_rows)
    merged = sorted(
        [*zip(page_rows, versions, strict=True), *zip(citation_rows, cited, strict=True)],
        key=lambda pair: (pair[0].history_date, bool(pair[1].citation)),
        reverse=True,
    )
    return [entry for _, entry in merged]


def _name_cited(versions, page_rows, cited, citation_rows) -> None:
    """A version that changes nothing of the record's own but its citations (a citation
    written or deleted on its own is a version of its fact: services.version_listing)
    names them, rather than showing no change: `Citation 12: added`; each also has its
    entry, with what it holds."""
    at: dict = {}
    for row, entry in zip(citation_rows, cited, strict=True):
        at.setdefault(row.history_date, []).append(entry)
    for row, entry in zip(page_rows, versions, strict=True):
        if entry.changes or row.history_type != "~" or row.history_date not in at:
            continue
        entry.changes = [
            Change(cited.citation, EMPTY, cited.action.removeprefix("Citation "))
            for cited in reversed(at[row.history_date])
        ]
        entry.rows_only = True


def _rows_written(model, pk, rows) -> dict[int, list[Change]]:
    """The rows of the record's lists (a company's aliases and identifiers, a round's
    investments) that each of its versions `rows` wrote, as the API's history finds them
    (child_changes): each a change named for its row, from what it held to what it holds.
    A fact's citations are left out: they are entries of their own."""
    written: dict[int, list[Change]] = {}
    for history_id, changes in child_changes(model, pk, rows).items():
        for change in changes:
            if change["field"] == "citations":
                continue
            child = model._meta.get_field(change["field"]).related_model
            row = change["new"] or change["old"]
            label = f"{capfirst(child._meta.verbose_name)} {row['id']}"
            written.setdefault(history_id, []).append(
                Change(label, _row_text(change["old"]), _row_text(change["new"]))
            )
    return written


def _row_text(values: dict | None) -> str:
    """A row's values as the API's history gives them, its id aside: `name: Zed`."""
    if values is None:
        return EMPTY
    shown = [
        f"{name}: {EMPTY if value in (None, '') else value}"
        for name, value in values.items()
        if name != "id"
    ]
    return "; ".join(shown) or EMPTY


def _record_entries(model, rows, previous, labels) -> list[Entry]:
    entries = []
    for row in rows:
        entry = _entry(model, row, previous.get(row.history_id), labels)
        entry.history_id = row.history_id
        entries.append(entry)
    return entries


# What a citation's change is to its fact.
CITATION_ACTIONS = {
    "Created": "added",
    "Changed": "changed",
    "Deleted": "removed",
    "Restored": "restored",
}


def _citation_entries(rows, previous, labels, here) -> list[Entry]:
    """The entries of a fact's citations' versions; `here` says whether a version is on
    the fact: one that came from another fact is added, one that went to another removed."""
    entries = []
    for row in rows:
        before = previous.get(row.history_id)
        if before is not None and not here(before):  # moved here from another fact
            entry = _entry(Citation, row, None, labels)
            entry.action = "Created"
        elif not here(row):  # moved to another fact: as a removal, its values not shown
            entry = _entry(Citation, row, before, labels)
            entry.action, entry.changes = "Deleted", []
        else:
            entry = _entry(Citation, row, before, labels)
        entry.action = "Citation " + CITATION_ACTIONS[entry.action]
        entry.citation = f"Citation {row.id}"
        entries.append(entry)
    return entries


def _entry(model, row, before, labels) -> Entry:
    values = row_values(model, row)
    values_set = row.history_type == "+" or (row.history_type == "~" and before is None)
    if row.history_type == "-":
        changes = []
    elif values_set:  # a creation or a restore (or the oldest version kept): what it set
        changes = changes_between(model, None, values, labels)
    else:
        changes = changes_between(model, row_values(model, before), values, labels)
    return Entry(
        values_set=values_set,
        version=row.version,
        when=utc_text(row.history_date),
        action=_action(row, before),
        user=str(row.history_user) if row.history_user_id else EMPTY,
        reason=row.history_change_reason or EMPTY,
        changes=changes,
    )


def revert_changes(model, record, version, rows_now: dict, rows_then: dict) -> list[Change]:
    """What reverting `record` to the history row `version` changes: each field (from the
    value it holds now to the version's), then each child row added back, removed or
    changed. `rows_now` and `rows_then` are the child rows, by list name."""
    now, then = row_values(model, record), row_values(model, version)
    changes = changes_between(model, now, then, Labels(model, [now, then]))
    for name, current in rows_now.items():
        relation = model._meta.get_field(name)
        label = capfirst(relation.related_model._meta.verbose_name)
        by_id_now = {child.pk: str(child) for child in current}
        by_id_then = {row.id: str(row.instance) for row in rows_then.get(name, [])}
        for pk in sorted(by_id_now.keys() | by_id_then.keys()):
            before, after = by_id_now.get(pk, EMPTY), by_id_then.get(pk, EMPTY)
            if before != after or _row_differs(relation, current, rows_then.get(name, []), pk):
                changes.append(Change(f"{label} {pk}", before, after))
    return changes


def _row_differs(relation, current, then, pk) -> bool:
    """A child row held at both times whose shown text is the same: do its values differ?"""
    now_row = next((child for child in current if child.pk == pk), None)
    then_row = next((row for row in then if row.id == pk), None)
    if now_row is None or then_row is None:
        return False
    child = relation.related_model
    now_values, then_values = row_values(child, now_row), row_values(child, then_row)
    return any(now_values.get(k) != v for k, v in then_values.items() if k in now_values)


def page_entries(model, pk, page) -> list[Entry]:
    """history_entries for a page of simple-history's paginator (its rows newest first)."""
    rows = list(page.object_list)
    newer = None
    if page.has_previous() and rows:
        first = rows[0]
        newer = (
            model.history.filter(id=pk)
            .filter(
                Q(history_date__gt=first.history_date)
                | Q(history_date=first.history_date, history_id__gt=first.history_id)
            )
            .order_by("history_date", "history_id")
            .first()
        )
    return history_entries(model, pk, rows, newer)


def version_context(version) -> dict:
    """The revert page's heading: which version, of when."""
    return {"version": version, "version_when": utc_text(version.history_date)}


def with_version_lists(form_class, instance):
    """The revert form of `instance`, a past version: its many-to-many lists as that
    version held them (simple-history builds the instance with the record's lists of
    now), so that the revert writes them back too."""
    row = getattr(instance, SIMPLE_HISTORY_REVERSE_ATTR_NAME, None)
    names = [f.name for f in getattr(row, "_history_m2m_fields", ())]
    if not names:
        return form_class
    values = row_values(type(instance), row)
    then = {name: sorted(values[name]) for name in names}

    class VersionForm(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if not self.is_bound:
                self.initial.update(
                    {name: ids for name, ids in then.items() if name in self.fields}
                )

    VersionForm.__name__ = form_class.__name__
    return VersionForm
