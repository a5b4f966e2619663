"""Aliases: other names of a record (a company, a product, a person), which filters and
searches match as they match its name, case and accents aside."""

from django.core.exceptions import ValidationError

from .kinds import kind_of
from .text import fold_name


class AliasRules:
    """Mixed into an alias model, linked to the record it names by its kind's `parent`
    (factbase.core.kinds): an alias written that only case, accents or spacing tell from
    that record's name, or from another alias of its list, is refused. It adds nothing to
    what is matched, and two spellings of one name read as two names. Aliases stored
    before the rule are left as they are until written again."""

    @classmethod
    def owner_field(cls):
        return kind_of(cls).parent_field

    def clean(self):
        super().clean()
        field = self.owner_field()
        if not self._state.adding and {"name", field.name} <= self.unchanged_fields():
            return
        owner = field.get_cached_value(self, default=None)
        owner_id = getattr(self, field.attname)
        if owner is None and owner_id is not None:
            owner = field.related_model._default_manager.filter(pk=owner_id).first()
        if owner is None or not self.name or fold_name(self.name) != fold_name(owner.name):
            return
        said = f"“{self.name}” is the {field.verbose_name}'s name"
        if self.name != owner.name:
            said += f", “{owner.name}”, but for case, accents or spacing"
        raise ValidationError({"name": f"{said}: it is matched as an alias would be."})

    @classmethod
    def list_errors(cls, aliases: list, written: list[bool]) -> list[dict]:
        """Each row's errors in the list of aliases a write leaves its record with
        (services.record_write; None for a row that names no alias), `written` saying
        which rows it writes: an alias written that only case, accents or spacing tell
        from another of the list. The same name twice is the unique constraint's to say."""
        errors: list[dict] = [{} for _ in aliases]
        seen: dict[str, int] = {}
        for index, alias in enumerate(aliases):
            if alias is None or not alias.name:
                continue
            key = fold_name(alias.name)
            if key not in seen:
                seen[key] = index
                continue
            other = aliases[seen[key]]
            blamed = index if written[index] else seen[key]
            if other.name != alias.name and written[blamed]:
                shown = aliases[seen[key] if blamed == index else index].name
                field = cls.owner_field()
                errors[blamed] = {
                    "name": [
                        f"“{aliases[blamed].name}” is the {field.verbose_name}'s alias "
                        f"“{shown}” but for case, accents or spacing."
                    ]
                }
        return errors
