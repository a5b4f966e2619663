"""What a `Merge` row stores of what it did (`moves`, JSON, parsed once by `Merge.moved`):
the format the merge writes and its undo checks, and the counts the API and the admin show
of a merge, by relation."""

from django.contrib.contenttypes.models import ContentType

from ...models import Merge
from .relations import relation_by_key

FORMAT = 1  # of `Merge.moves`


def merge_counts(merge: Merge) -> dict[str, int]:
    """How many rows a merge moved, by relation as the API names it ("metrics.company")."""
    model = ContentType.objects.get_for_id(merge.content_type_id).model_class()
    moves = merge.moved
    counts: dict[str, int] = {}
    for item in moves.get("moved", []):
        for field_name in item["fields"]:
            relation = relation_by_key(model, f"{item['model']}.{field_name}")
            counts[relation.name] = counts.get(relation.name, 0) + 1
    for item in moves.get("linked", []):
        relation = relation_by_key(model, f"{item['model']}.{item['field']}")
        counts[relation.name] = counts.get(relation.name, 0) + 1
    return dict(sorted(counts.items()))
