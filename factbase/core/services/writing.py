"""Writing a record with its many-to-many lists and its lists of child rows (citations,
a partnership's parties), in one transaction."""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction

from ..feed import hold
from ..models import Citation, Source, TrackedModel
from ..quotes import moved_start
from . import clock
from .deleting import record_delete
from .saving import (
    STAMPED_FIELDS,
    RecordInvalid,
    _save,
    _write,
    citation_leaves_verified_fact,
    error_dict,
    fact_require_citation,
    holds_stored_row,
    version_listing,
)


@transaction.atomic
def record_write(
    instance: TrackedModel,
    *,
    fields: dict,
    m2m: dict | None = None,
    children: dict | None = None,
    user=None,
    reason: str = "",
    expected_version: int | None = None,
    locked: bool = False,
    rows_written: bool = False,
    rows_follow: bool = False,
) -> TrackedModel:
    """Create or update `instance` with its rows, in one transaction, with history: the
    write of a record as the API and the demo loader make it.

    `fields` are the values to set (on an update, only those: the others are read again
    under the row lock, unless `locked` says the caller read `instance` under it, in this
    transaction); `m2m` the many-to-many lists to set; `children` the lists of rows
    written with the record (`citations`, or a reverse relation such as a partnership's
    `parties`), each row a dict of values, with `id` for a row to keep: a list given
    replaces the stored one (rows without an id are created, stored rows not listed are
    deleted; a row given as its `id` alone, or with the values it holds, is kept
    unchanged: no write, no history record). A verified fact must keep a citation once
    everything is written.

    A list of rows the record was read with (prefetched) stays in its cache when none of
    its rows changed; one that changed is dropped from it, to be read again.

    A write that changes nothing (no field, list or row) writes no version and no history
    row; but with `rows_written` (the caller writes rows of its lists in its transaction
    and instant: a revert that restores rows deleted since, factbase.core.restore.
    revert_children; a merge that moves the merged record's rows to the kept one, or its
    undo) the record gets a version, the one that lists those rows. A changed field that rows of
    a list not written take from the record (`inherits_from_parent`) is written to them
    too. The record's history row always comes before those of its rows, so that the rows
    of a version are those written from its history row to the next one's.

    Raises RecordInvalid naming every invalid field and row; nothing is written then. An
    invalid record's rows are still checked, so that one answer names them all. With
    `rows_follow`, the rules on rows this write does not give are left to the writes that
    follow (a mirror applying the origin's feed, where a record's citations and rows are
    changes of their own): a verified fact may be left without a citation, a partnership
    without its parties.

    The record, its history row and those of its rows are stamped with one instant
    (clock.one_instant): `as_of=<its updated_at>` shows the version with its rows. The
    instant is taken once the transaction holds the change clock (hold), where writers
    queue: a writer that waited for another is stamped after it."""
    hold(instance._state.db or router.db_for_write(type(instance)))
    with clock.one_instant():
        return _record_write(
            instance,
            fields=fields,
            m2m=m2m,
            children=children,
            user=user,
            reason=reason,
            expected_version=expected_version,
            locked=locked,
            rows_written=rows_written,
            rows_follow=rows_follow,
        )


def _record_write(
    instance,
    *,
    fields,
    m2m,
    children,
    user,
    reason,
    expected_version,
    locked,
    rows_written,
    rows_follow,
) -> TrackedModel:
    m2m, children = m2m or {}, children or {}
    for name, value in fields.items():
        setattr(instance, name, value)
    created = instance._state.adding
    try:
        _save(
            instance,
            user=user,
            reason=reason,
            check_citations=False,
            expected_version=expected_version,
            fields=fields.keys(),
            current=instance if locked else None,
            write=False,
        )
    except ValidationError as error:
        errors = error_dict(error)
        errors.update(_rows_errors(instance, children, user=user, reason=reason))
        raise RecordInvalid(errors) from error
    if isinstance(instance, Citation):
        refused = citation_leaves_verified_fact(instance)
        if refused is not None:
            raise RecordInvalid(error_dict(refused))
        if twice := instance.stored_twice():
            raise RecordInvalid(twice)
    carried = [] if created else _carried_lists(instance, children)
    text_before = _text_replaced(instance)
    unchanged = (
        not created
        and not rows_written
        and holds_stored_row(instance)
        and not any(_list_differs(instance, name, value) for name, value in m2m.items())
    )
    if unchanged:
        # Its rows alone decide whether the record gets a version: written first, it is
        # undone (to its savepoint) when none of them changed either.
        _write_if_rows_change(instance, children, user=user, reason=reason)
    else:
        # A row (a citation, a role) is written here on its own, not as a row of its
        # listing record's write, which writes its rows itself (_write_rows).
        version_listing(instance, user=user, reason=reason)
        _write(instance, user=user, reason=reason, m2m=m2m)
        errors = _rows_errors(instance, children, user=user, reason=reason, created=created)
        if errors:
            raise RecordInvalid(errors)
        for relation in carried:
            _carry_to_rows(instance, relation, user=user, reason=reason)
        if text_before is not None and not rows_follow:
            _move_quotes(instance, text_before, user=user, reason=reason)
    if not rows_follow:
        _check_fewest_rows(instance, children, created)
    # Citations just written (all valid) are there: the database is asked only otherwise.
    if not rows_follow and not children.get("citations"):
        try:
            fact_require_citation(instance)
        except ValidationError as error:
            raise RecordInvalid(error_dict(error)) from error
    return instance


def _check_fewest_rows(instance: TrackedModel, children: dict, created: bool) -> None:
    """The lists the model sets a least number of rows for (`fewest_rows`: a
    partnership's parties), as the write leaves them, when it created the record or wrote
    the list; counted in the database, where every row is by now. A record stored before
    the rule keeps its list until a write gives it."""
    errors = {}
    for name, (fewest, message) in getattr(type(instance), "fewest_rows", {}).items():
        if (created or name in children) and getattr(instance, name).count() < fewest:
            errors[name] = [message]
    if errors:
        raise RecordInvalid(errors)


def _carried_lists(instance: TrackedModel, children: dict) -> list:
    """The relations to rows that take fields from `instance` (an investment, its round's
    company: `inherits_from_parent`) whose fields this write changes, for the lists it
    does not write: those it writes get them with the rest of each row."""
    unchanged, own = instance.unchanged_fields(), {f.name for f in instance._meta.fields}
    carried = []
    for relation in instance._meta.related_objects:
        keys = getattr(relation.related_model, "inherits_from_parent", ())
        # The rows' parent link (a round's investments), not another reference to the
        # record (a company's investments received, whose `company` it is).
        if not keys or relation.field.name in keys or not set(keys) <= own:
            continue
        if relation.get_accessor_name() not in children and not set(keys) <= unchanged:
            carried.append(relation)
    return carried


def _carry_to_rows(parent: TrackedModel, relation, *, user, reason) -> None:
    """Give the stored rows of `relation` the fields they take from `parent`, each as a
    write of its own (a version, a history row), at the parent's instant: a round moved to
    another company takes its investments with it."""
    child_model = relation.related_model
    keys = child_model.inherits_from_parent
    rows = child_model._default_manager.filter(**{relation.field.name: parent}).order_by("pk")
    for child in rows:
        if all(getattr(child, key) == getattr(parent, key) for key in keys):
            continue
        for key in keys:
            setattr(child, key, getattr(parent, key))
        _save(child, user=user, reason=reason)


def _text_replaced(instance: TrackedModel) -> str | None:
    """The stored text of a source whose write replaces it, or None."""
    if not isinstance(instance, Source) or instance._state.adding:
        return None
    if "text" in instance.unchanged_fields():
        return None
    return instance._stored_values().get("text")


def _move_quotes(source: Source, before: str, *, user, reason) -> None:
    """The citations of `source` whose words its new text holds at another place (an
    edit before them, or around them) are moved there (factbase.core.quotes), each a
    write of its own with the source's author and reason, at its instant, as is the
    version of each fact that lists them. Its quotes are all in the new text (a text that
    drops one is refused: Source._text_errors); a text removed leaves them where they
    were, unchecked."""
    if not source.text:
        return
    citations = list(Citation.objects.select_for_update().filter(source=source).order_by("pk"))
    # Where each fact cites words: a quote whose second place the edit removed is left
    # where it was (flagged) rather than moved onto its fact's citation of the first.
    taken = {_cited_at(c) for c in citations if c._stands_at_offsets(source.text)}
    moving = []
    for citation in citations:
        if citation._stands_at_offsets(source.text):
            continue
        start = moved_start(before, source.text, citation.quote, citation.char_start)
        if start is None:
            continue
        citation.char_start, citation.char_end = start, start + len(citation.quote)
        if _cited_at(citation) in taken:
            continue
        taken.add(_cited_at(citation))
        citation.source = source  # its text is the one just written
        moving.append(citation)
    if not moving:
        return
    version_listing(*moving, user=user, reason=reason)
    for citation in moving:
        _save(citation, user=user, reason=reason, check_citations=False, current=citation)


def _cited_at(citation: Citation) -> tuple:
    return (citation.content_type_id, citation.object_id, citation.quote, citation.char_start)


class _NothingWritten(Exception):
    """None of the rows changed: the record's version written before them is undone."""


def _write_if_rows_change(instance: TrackedModel, children: dict, *, user, reason) -> None:
    """Write the stored, unchanged `instance` and its `children` lists, or nothing at all
    if no row of them changes."""
    if not children:
        return
    stamped = {  # restored on the instance if its write is undone
        field.attname: instance.__dict__.get(field.attname)
        for field in instance._meta.concrete_fields
        if field.name in STAMPED_FIELDS
    }
    stored_row = getattr(instance, "_stored_row", None)
    written: list[str] = []
    try:
        with transaction.atomic():
            _write(instance, user=user, reason=reason)
            errors = _rows_errors(instance, children, user=user, reason=reason, written=written)
            if errors:
                raise RecordInvalid(errors)
            if not written:
                raise _NothingWritten
    except _NothingWritten:
        instance.__dict__.update(stamped)
        instance._stored_row = stored_row


def _list_differs(instance, name: str, value) -> bool:
    """Setting the many-to-many list `name` to `value` (records or ids) would change it."""
    stored = set(getattr(instance, name).values_list("pk", flat=True))
    return stored != {getattr(item, "pk", item) for item in value}


def _rows_errors(
    parent, children: dict, *, user, reason, created: bool = False, written: list | None = None
) -> dict:
    """Each invalid list's row errors, by name; `written`, if given, gets the name of
    each list in which a row was written or deleted."""
    errors = {}
    for name, rows in children.items():
        row_errors = _write_rows(
            parent, name, rows, user=user, reason=reason, created=created, written=written
        )
        if any(row_errors):
            errors[name] = row_errors
    return errors


def _write_rows(
    parent, name: str, rows, *, user, reason, created: bool = False, written: list | None = None
) -> list[dict]:
    """Replace the parent's rows of list `name` with `rows`; each row's errors, `{}` for a
    valid one. When the parent is unsaved (it is invalid), the rows are only validated,
    without the fields that would tie them to it. A parent `created` by this write has no
    rows stored yet."""
    if name == "citations":
        child_model, link = Citation, {"fact": parent}
        link_fields = ("content_type", "object_id")
    else:
        relation = parent._meta.get_field(name)
        child_model, link = relation.related_model, {relation.field.name: parent}
        # What a row takes from its parent (an investment: its round's company).
        inherited = getattr(child_model, "inherits_from_parent", ())
        link |= {key: getattr(parent, key) for key in inherited}
        link_fields = tuple(link)
    twice = _ids_given_twice(rows, child_model)
    if twice:
        return twice
    saving = not parent._state.adding
    existing = {}
    if saving and not created:
        existing = {child.pk: child for child in getattr(parent, name).all()}
    errors, kept, wrote = [], set(), False
    changed = _changed_rows(child_model, existing, rows, link if saving else {})
    _check_row_permissions(user, child_model, rows, changed, existing)
    _read_source_texts(changed)
    locked = _lock_rows(child_model, [child.pk for child in changed if child and child.pk])
    for row, child in zip(rows, changed, strict=True):
        pk = row.get("id")
        if pk is not None and pk not in existing:
            errors.append({"id": [f"No {child_model._meta.verbose_name} {pk} here."]})
            continue
        if child is None:  # a row that holds what is stored (or its id alone): kept as it is
            errors.append({})
            kept.add(pk)
            continue
        try:
            if saving:
                # A child fact (a role, an investment) obeys the citation rule too.
                _save(child, user=user, reason=reason, current=locked.get(child.pk))
                wrote = True
            else:
                child.full_clean(exclude=link_fields)
            errors.append({})
        except ValidationError as error:
            errors.append(error_dict(error))
        kept.add(child.pk)
    _add_list_errors(errors, child_model, existing, rows, changed)
    if saving and not any(errors):
        for pk, child in existing.items():
            if pk not in kept:
                record_delete(child, user=user, reason=reason, check_citations=False)
                wrote = True
    if wrote:  # the list the parent was read with, if any, is no longer the stored one
        getattr(parent, "_prefetched_objects_cache", {}).pop(name, None)
        if written is not None:
            written.append(name)
    return errors


def _check_row_permissions(user, child_model, rows, changed: list, existing: dict) -> None:
    """A row written through its record (a fact's citation, a company's alias) needs the
    permission to add, change or delete a row of its kind, as it does on its own: the
    permission to change the record is not enough. Raises PermissionDenied, naming what
    may not be done, before anything is written. A write without a user (the demo loader,
    generated data) is the system's own."""
    if user is None:
        return
    given = {row.get("id") for row in rows}
    needed = {
        "add": any(child is not None and child._state.adding for child in changed),
        "change": any(child is not None and not child._state.adding for child in changed),
        "delete": any(pk not in given for pk in existing),
    }
    opts = child_model._meta
    missing = [
        action
        for action, wanted in needed.items()
        if wanted and not user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
    ]
    if missing:
        raise PermissionDenied(
            f"You may not {' or '.join(missing)} {opts.verbose_name_plural}: nothing was written."
        )


def _add_list_errors(errors: list, child_model, existing: dict, rows, changed: list) -> None:
    """Add to each row's `errors` those of a rule of `child_model` on the list as the
    write leaves it (`list_errors`: aliases that only case tells apart). Asked of the list
    as given, not row by row against the stored one: a row listed later may rename or
    drop a stored row."""
    rule = getattr(child_model, "list_errors", None)
    if rule is None:
        return
    final = [
        child if child is not None else existing.get(row.get("id"))
        for row, child in zip(rows, changed, strict=True)
    ]
    found = rule(final, [child is not None for child in changed])
    for row_errors, row_found in zip(errors, found, strict=True):
        for key, messages in row_found.items():
            row_errors.setdefault(key, []).extend(messages)


def _ids_given_twice(rows, child_model) -> list[dict]:
    """Each row's error if a row's `id` is given again later in the list (the last would
    win and the others be dropped, silently), else []: nothing of the list is written."""
    first: dict = {}
    errors = [{} for _ in rows]
    for index, row in enumerate(rows):
        pk = row.get("id")
        if pk is None:
            continue
        if pk in first:
            name = child_model._meta.verbose_name
            errors[index] = {
                "id": [f"The {name} {pk} is given twice: rows {first[pk]} and {index}."]
            }
        else:
            first[pk] = index
    return errors if any(errors) else []


def _changed_rows(child_model, existing: dict, rows, link: dict) -> list:
    """For each row, the child to write, with the row's values and `link` set on it; None
    for a row to keep as it is (its id alone, or the values its stored child holds) and
    for a row naming no child of the parent (an error)."""
    changed = []
    for row in rows:
        row = dict(row)
        pk = row.pop("id", None)
        if pk is not None and (pk not in existing or not row):
            changed.append(None)
            continue
        child = existing[pk] if pk is not None else child_model()
        for key, value in (row | link).items():
            setattr(child, key, value)
        same = pk is not None and _holds_stored_values(child, [*row, *link])
        changed.append(None if same else child)
    return changed


def _lock_rows(model, pks: list) -> dict:
    """The rows `pks` of `model`, read under their locks in one query, by id."""
    if not pks:
        return {}
    return model.objects.select_for_update().order_by("pk").in_bulk(pks)


def _holds_stored_values(child: TrackedModel, names) -> bool:
    """Each field in `names` (a generic foreign key: its two) holds the stored value."""
    unchanged = child.unchanged_fields()
    for name in names:
        field = child._meta.get_field(name)
        if isinstance(field, GenericForeignKey):
            if not {field.ct_field, field.fk_field} <= unchanged:
                return False
        elif field.name not in unchanged:
            return False
    return True


def _read_source_texts(children) -> None:
    """The sources of the citations among `children`, with their text, in one query:
    Citation.clean() checks each quote against its source's text, and a source read with
    its fact (in brief) comes without it."""
    citations = [
        child
        for child in children
        if isinstance(child, Citation)
        and child.source_id is not None
        and not (
            Citation.source.field.is_cached(child)
            and "text" not in child.source.get_deferred_fields()
        )
    ]
    if not citations:
        return
    sources = Source.objects.in_bulk({citation.source_id for citation in citations})
    for citation in citations:
        if citation.source_id in sources:
            citation.source = sources[citation.source_id]
