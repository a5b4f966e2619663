"""The relations of a mergeable model: every way other rows refer to its records, read from
the models themselves (every foreign key and many-to-many list pointing at the model, and
its generic relations: citations), so that a relation added later is moved by a merge too.
The plan, the merge, its undo and the reading of its stored moves all name rows by them.
"""

import functools
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models

from ... import kinds
from ...kinds import kind_of


@dataclass(frozen=True)
class Relation:
    """A way rows of `model` refer to a record: a foreign key (`link` "fk"), a
    many-to-many list without a through model of its own ("list": the row lists it), or
    a generic relation ("generic": a citation's fact, `field` its id and `ct_field` its
    content type)."""

    model: type[models.Model]
    field: str
    link: str
    ct_field: str = ""

    @property
    def key(self) -> str:
        """How `Merge.moves` names it: "events.metric.company"."""
        return f"{self.model._meta.label_lower}.{self.field}"

    @property
    def name(self) -> str:
        """How the API names it: the kind and the field, "metrics.company", "citations.fact"."""
        kind = kind_of(self.model)
        return f"{kind.name if kind else self.model._meta.label_lower}.{self.api_field}"

    @property
    def api_field(self) -> str:
        if self.link == "generic":
            for private in self.model._meta.private_fields:
                if isinstance(private, GenericForeignKey) and private.fk_field == self.field:
                    return private.name
        return self.field

    @property
    def label(self) -> str:
        """What an editor reads: "Metrics (company)", "Events (companies)"."""
        plural = str(self.model._meta.verbose_name_plural)
        if self.link == "generic":
            return plural.capitalize()
        verbose = self.model._meta.get_field(self.field).verbose_name
        return f"{plural.capitalize()} ({verbose})"

    def lookup(self, record_model, pk) -> dict:
        """The filter of the rows of `model` that refer to record `pk` this way."""
        if self.link == "generic":
            return {self.ct_field: ContentType.objects.get_for_model(record_model), self.field: pk}
        return {self.field: pk}


@functools.cache
def relations(model: type[models.Model]) -> tuple[Relation, ...]:
    """Every way other rows refer to records of `model`, from the models themselves."""
    found = []
    for relation in model._meta.related_objects:
        if relation.many_to_many:
            # A through model of its own (a partnership's parties) has foreign keys, each
            # a relation of its own; a list without one is a list.
            if relation.through._meta.auto_created:
                found.append(Relation(relation.related_model, relation.field.name, "list"))
        else:
            found.append(Relation(relation.related_model, relation.field.name, "fk"))
    for private in model._meta.private_fields:
        if isinstance(private, GenericRelation):
            found.append(
                Relation(
                    private.related_model,
                    private.object_id_field_name,
                    "generic",
                    private.content_type_field_name,
                )
            )
    return tuple(sorted(found, key=lambda relation: relation.key))


def relation_by_key(model: type[models.Model], key: str) -> Relation:
    for relation in relations(model):
        if relation.key == key:
            return relation
    raise LookupError(f"{model._meta.label} has no relation {key}.")


def aliases_of(model: type[models.Model]) -> Relation:
    """The relation of the model's aliases (factbase.core.kinds), as a merge moves it."""
    aliases = kinds.alias_relation(model)
    return Relation(aliases.related_model, aliases.field.name, "fk")


def joins(model: type[models.Model]) -> list[str]:
    """The records a row's label and rules read (its foreign keys, but users): read with it."""
    user = get_user_model()
    return [
        f.name for f in model._meta.concrete_fields if f.many_to_one and f.related_model is not user
    ]


def write_order(models_: set) -> list:
    """`models_` ordered so that a model comes after those it refers to: a row is moved
    after the rows its rules read (an investment after its round, whose company it must
    share)."""
    ordered: list = []

    def visit(model, path=()):
        if model in ordered or model in path:
            return
        for f in model._meta.concrete_fields:
            if f.many_to_one and f.related_model in models_ and f.related_model is not model:
                visit(f.related_model, (*path, model))
        ordered.append(model)

    for model in sorted(models_, key=lambda m: m._meta.label_lower):
        visit(model)
    return ordered
