"""The records an import's rows name, read once rather than once a row.

A file of 100,000 metrics names the same few companies, metric types and sources over and
over: each serializer field that reads a related record (factbase.api.fields.RecordRefField:
by id, slug, or whatever else that field learns to read) is given a cache, so that a
record named again is not read again. A source is read with its text, which each citation's
quote is checked against (Citation.clean): once for the whole import.

The cache keeps the most recently named records of each model, up to `SIZE` (sources,
which carry their whole text, up to `SOURCES`): memory stays bounded however many records
a file names. Only what the field answered is kept (never a refusal), and only whole
records (not one read in part with the record being updated). What a row's savepoint read
is forgotten when that savepoint rolls back (`row`): a record the row created is gone.
"""

from collections import OrderedDict
from contextlib import contextmanager

from rest_framework import serializers

from factbase.api.fields import RecordRefField
from factbase.core.models import Source

SIZE = 4096
SOURCES = 128


class RecordCache:
    def __init__(self, size: int = SIZE):
        self.size = size
        self.records: dict[type, OrderedDict] = {}
        self.source_urls: OrderedDict = OrderedDict()
        self.added: list | None = None

    def get(self, key):
        found = self.records.get(key[0], {}).get(key)
        if found is not None:
            self.records[key[0]].move_to_end(key)
        return found

    def put(self, key, record) -> None:
        model = key[0]
        records = self.records.setdefault(model, OrderedDict())
        records[key] = record
        records.move_to_end(key)
        if len(records) > (SOURCES if model is Source else self.size):
            records.popitem(last=False)
        if self.added is not None:
            self.added.append(key)

    @contextmanager
    def row(self):
        """Around a row's savepoint: what was cached inside it is forgotten if it rolls
        back (an exception leaves), since the records the row created roll back with it."""
        self.added = []
        try:
            yield
        except BaseException:
            for key in self.added:
                self.records.get(key[0], {}).pop(key, None)
            raise
        finally:
            self.added = None

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
