"""A change of the origin's feed, read and checked: its record, its action, and the values
it sets as the models hold them."""

from dataclasses import dataclass, field
from functools import cache

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import get_resolver

from factbase.api.history import ACTIONS, api_names
from factbase.core.kinds import by_name, fact_kinds

from .errors import MirrorError
from .values import model_value


@dataclass
class Change:
    """One change of the origin's feed, as this database applies it."""

    entry: dict
    model: type[models.Model]
    kind: str
    pk: int
    action: str  # create, update, delete
    cursor: int
    values: dict = field(default_factory=dict)  # attname -> value
    lists: dict = field(default_factory=dict)  # many-to-many field name -> ids

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} ({self.action}, cursor {self.cursor})"

    @property
    def author(self) -> tuple:
        """Who wrote it and why: the changes of one write share them."""
        return self.entry.get("user"), self.entry.get("reason")

    @property
    def fact(self) -> tuple[str, int] | None:
        """For a citation, the fact it cites: (kind of fact, id)."""
        fact = self.entry.get("fact")
        return (fact.get("type"), fact.get("id")) if isinstance(fact, dict) else None


def read_change(entry) -> Change:
    """The change an entry of the feed describes; MirrorError naming it if the entry is
    not one this database can apply."""
    if not isinstance(entry, dict):
        raise MirrorError(f"The origin's feed holds {entry!r}, not a change.")
    where = f"{entry.get('kind')} {entry.get('id')} (cursor {entry.get('cursor')})"
    kind = by_name().get(entry.get("kind"))
    if kind is None:
        raise MirrorError(
            f"{where}: this database has no kind {entry.get('kind')!r}. Run the same version "
            "of Factbase as the origin."
        )
    cursor, pk = entry.get("cursor"), entry.get("id")
    if not (isinstance(cursor, str) and cursor.isascii() and cursor.isdigit()):
        raise MirrorError(f"{where}: the change has no cursor.")
    if type(pk) is not int or entry.get("action") not in ACTIONS.values():
        raise MirrorError(f"{where}: the change has no id or no action.")
    if not isinstance(entry.get("changes"), list):
        raise MirrorError(f"{where}: the change lists no changes.")
    change = Change(entry, kind.model, kind.name, pk, entry["action"], int(cursor))
    for item in entry["changes"]:
        _read_value(change, item)
    return change


def _read_value(change: Change, item) -> None:
    model = change.model
    if not isinstance(item, dict) or not isinstance(item.get("field"), str):
        raise MirrorError(f"{change}: {item!r} is not a field's change.")
    name = _model_names(model).get(item["field"], item["field"])
    try:
        model_field = model._meta.get_field(name)
    except FieldDoesNotExist:
        raise MirrorError(
            f"{change}: this database's {model._meta.verbose_name} has no field "
            f"{item['field']!r}. Run the same version of Factbase as the origin."
        ) from None
    if model_field.primary_key or not (model_field.editable or model_field.many_to_many):
        return  # the id is the change's; what the services stamp or derive is theirs
    if model_field.many_to_many:
        target, key = change.lists, model_field.name
    else:
        target, key = change.values, model_field.attname
    if model_field.is_relation and model_field.related_model is ContentType:
        # A content type's id is its database's own: the entry names the kind of fact.
        target[key] = _fact_type(change)
        return
    try:
        target[key] = model_value(model_field, item.get("new"))
    except ValueError as error:
        raise MirrorError(f"{change}: {item['field']}: {error}.") from error


@cache
def _model_names(model) -> dict[str, str]:
    """The model's field names by the names the API gives them (a source's `source_url` is
    its `url`), read from the API's serializers, which the URLconf imports: loaded here as
    in the origin's web process, where the feed named them."""
    get_resolver().url_patterns  # noqa: B018 (imported for the serializers it registers)
    return {api: name for name, api in api_names(model).items()}


def _fact_type(change: Change) -> int:
    kind = fact_kinds().get(change.fact[0]) if change.fact else None
    if kind is None:
        raise MirrorError(
            f"{change}: the change does not name the kind of fact it cites (`fact`): the "
            "origin runs an older version of Factbase."
        )
    return ContentType.objects.get_for_model(kind.model).pk
