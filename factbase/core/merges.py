"""What merges leave behind: where the old id or slug of a merged record lives now.

A merge (services.record_merge) deletes a record that was the same real thing as another
and moves everything it had to that one; its `Merge` row keeps the old id and slug. For as
long as the merge stands (it is not undone), the old id and slug name the kept record: the
API redirects them, the reference resolver reads them. A record merged into one that was
later merged itself leads to where that one went.

A record that exists under an id or slug always comes first: callers look it up, and ask
here only when there is none (a slug freed by a merge may be taken again).
"""

from django.contrib.contenttypes.models import ContentType
from django.db import models, router
from django.db.models import Q

from .ids import id_from, is_digits
from .kinds import alias_relation
from .models import Merge

MERGE_CHAIN = 20  # merges followed from one record at most


def is_mergeable(model: type[models.Model]) -> bool:
    """A record that can be merged into another of its kind: one with a name, a slug and
    aliases (a company, a product, a person), so that its name and slug live on."""
    names = {f.name for f in model._meta.concrete_fields}
    return {"name", "slug"} <= names and alias_relation(model) is not None


def merge_permissions(model: type[models.Model]) -> list[str]:
    """The permissions that merging records of `model` asks for: a merge changes records
    of the kind and deletes one. Undoing a merge asks for the same ones: it is the
    merge's inverse, done by those who may merge (the editor group has them)."""
    opts = model._meta
    return [f"{opts.app_label}.{action}_{opts.model_name}" for action in ("change", "delete")]


def may_merge(user, model: type[models.Model]) -> bool:
    """Whether `user` may merge records of `model`, and undo their merges (the API and
    the admin both ask here)."""
    return user.has_perms(merge_permissions(model))


def standing(model: type[models.Model]) -> models.QuerySet:
    """The merges of records of `model` that are not undone, the latest first."""
    content_type = ContentType.objects.get_for_model(model)
    return Merge.objects.filter(content_type=content_type, undone_at=None).order_by(
        "-merged_at", "-id"
    )


def merge_of(model: type[models.Model], key) -> Merge | None:
    """The standing merge that took away the record of `model` with id or slug `key`."""
    if isinstance(key, int):
        key = str(key)
    if is_digits(key):
        pk = id_from(key)
        return None if pk is None else standing(model).filter(merged_id=pk).first()
    if not isinstance(key, str) or "\x00" in key:
        return None
    return standing(model).filter(merged_slug=key).first()


def merged_into(model: type[models.Model], key) -> int | None:
    """The id of the record that the merged record of `model` with id or slug `key` lives
    on now, or None when no standing merge took it away, or the record it leads to no
    longer exists."""
    if isinstance(key, int):
        key = str(key)
    if not isinstance(key, str) or "\x00" in key:
        return None
    if is_digits(key):
        pk = id_from(key)
        ids, texts = ({key: pk} if pk is not None else {}), set()
    else:
        ids, texts = {}, {key}
    return merged_targets(model, ids, texts).get(key)


def merged_targets(
    model: type[models.Model], ids: dict[str, int], texts: set[str], *, using: str | None = None
) -> dict[str, int]:
    """Of the values given as ids (`ids`: value -> id) and slugs (`texts`), those that are
    the id or slug of a record merged away by a standing merge, mapped to the record it
    lives on now: followed through merges of merges (A into B, then B into C: C), as long
    as that record exists. One query for the merges, one per step of a chain."""
    if not ids and not texts:
        return {}
    using = using or router.db_for_read(model)
    merges = Merge.objects.using(using).filter(
        content_type__app_label=model._meta.app_label,
        content_type__model=model._meta.model_name,
        undone_at__isnull=True,
    )
    condition = Q()
    if ids:
        condition |= Q(merged_id__in=set(ids.values()))
    if texts:
        condition |= Q(merged_slug__in=texts)
    target: dict[str, int] = {}
    # Oldest first: the latest merge of a slug used twice wins.
    rows = merges.filter(condition).order_by("merged_at", "id")
    for merged_id, merged_slug, kept_id in rows.values_list("merged_id", "merged_slug", "kept_id"):
        for value, pk in ids.items():
            if pk == merged_id:
                target[value] = kept_id
        if merged_slug in texts:
            target[merged_slug] = kept_id
    records = model._default_manager.using(using)
    existing: set[int] = set()
    for _ in range(MERGE_CHAIN):
        if not target:
            return {}
        existing = set(records.filter(pk__in=set(target.values())).values_list("pk", flat=True))
        missing = set(target.values()) - existing
        if not missing:
            return target
        onward = dict(
            merges.filter(merged_id__in=missing)
            .order_by("merged_at", "id")
            .values_list("merged_id", "kept_id")
        )
        target = {
            value: onward.get(pk, pk)
            for value, pk in target.items()
            if pk in existing or pk in onward
        }
    return {value: pk for value, pk in target.items() if pk in existing}


def later_merge(merge: Merge) -> Merge | None:
    """A standing merge made after `merge` that took its kept record away (A into B, then
    B into C): it moved on what `merge` moved, so it is undone first."""
    return (
        Merge.objects.filter(
            content_type_id=merge.content_type_id, merged_id=merge.kept_id, undone_at=None
        )
        .filter(
            models.Q(merged_at__gt=merge.merged_at)
            | models.Q(merged_at=merge.merged_at, id__gt=merge.id)
        )
        .order_by("merged_at", "id")
        .first()
    )
