"""The records an import's rows name, read once rather than once a row.

A file of 100,000 metrics names the same few companies, metric types and sources over and
over: each serializer field that reads a related record (factbase.api.fields.RecordRefField:
by id, slug, or whatever else that field learns to read) is given a cache, so that a
record named again is not read again. A source is read with its text, which each citation's
quote is checked against (Citation.clean): once for the whole import.

The cache keeps the most recently named records, up to `SIZE`: memory stays bounded
however many records a file names. Only what the field answered is kept (never a
refusal), and only whole records (not one read in part with the record being updated).
"""

from collections import OrderedDict

from rest_framework import serializers

from factbase.api.fields import RecordRefField
from factbase.core.models import Source

SIZE = 4096


class RecordCache:
    def __init__(self, size: int = SIZE):
        self.size = size
        self.records: OrderedDict = OrderedDict()
        self.source_urls: OrderedDict = OrderedDict()

    def get(self, key):
        found = self.records.get(key)
        if found is not None:
            self.records.move_to_end(key)
        return found

    def put(self, key, record) -> None:
        self.records[key] = record
        self.records.move_to_end(key)
        if len(self.records) > self.size:
            self.records.popitem(last=False)

    def install(self, serializer) -> None:
        """Have every reference field of `serializer` (nested rows and lists included)
        answer from this cache."""
        for field in _reference_fields(serializer):
            field.to_internal_value = self._cached(field, field.to_internal_value)

    def _cached(self, field, read):
        def to_internal_value(data):
            if not isinstance(data, int | str) or isinstance(data, bool):
                return read(data)
            key = (field.related_model, type(data), data)
            found = self.get(key)
            if found is None:
                found = read(data)
                if not found.get_deferred_fields():
                    self.put(key, found)
            return found

        return to_internal_value

    def source_id(self, url: str) -> int | None:
        """The id of the source with this URL, None if none has it."""
        if url not in self.source_urls:
            self.source_urls[url] = (
                Source.objects.filter(url=url).values_list("pk", flat=True).first()
            )
            if len(self.source_urls) > self.size:
                self.source_urls.popitem(last=False)
        return self.source_urls[url]


def _reference_fields(serializer):
    for field in serializer.fields.values():
        if isinstance(field, RecordRefField):
            yield field
        elif isinstance(field, serializers.ManyRelatedField) and isinstance(
            field.child_relation, RecordRefField
        ):
            yield field.child_relation
        elif isinstance(field, serializers.ListSerializer):
            yield from _reference_fields(field.child)
        elif isinstance(field, serializers.Serializer):
            yield from _reference_fields(field)
