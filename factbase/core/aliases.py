"""Aliases: other names of a record (a company, a product, a person), which filters and
searches match as they match its name, case and accents aside."""

from django.core.exceptions import ValidationError

from .text import fold_name


class AliasRules:
    """Mixed into an alias model, whose `owner_field` links it to the record it names: an
    alias that only case, accents or spacing tell from that record's name, or from another
    of its aliases, is refused. It adds nothing to what is matched, and two spellings of
    one name read as two names."""

    owner_field: str

    def clean(self):
        super().clean()
        field = self._meta.get_field(self.owner_field)
        owner = field.get_cached_value(self, default=None)
        owner_id = getattr(self, field.attname)
        if owner is None and owner_id is not None:
            owner = field.related_model._default_manager.filter(pk=owner_id).first()
        if owner is None or not self.name:
            return
        key = fold_name(self.name)
        if key == fold_name(owner.name):
            said = f"“{self.name}” is the {field.verbose_name}'s name"
            if self.name != owner.name:
                said += f", “{owner.name}”, but for case, accents or spacing"
            raise ValidationError({"name": f"{said}: it is matched as an alias would be."})
        if owner.pk is None:
            return
        siblings = (
            type(self)
            ._default_manager.filter(**{field.attname: owner.pk})
            .exclude(pk=self.pk)
            .values_list("name", flat=True)
        )
        for other in siblings:
            # The same name again is the unique constraint's to say.
            if other != self.name and fold_name(other) == key:
                raise ValidationError(
                    {
                        "name": f"“{self.name}” is the {field.verbose_name}'s alias "
                        f"“{other}” but for case, accents or spacing."
                    }
                )
