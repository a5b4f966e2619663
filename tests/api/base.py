"""What every API resource must do, written once.

A resource's test class mixes these in and says what is specific to it: its `path`, its
`factory`, a valid body to create one (`create_data`) and to replace one (`update_data`),
its `brief_fields`. Every write is checked where it lands: the row in the database and its
history record (author and reason).
"""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils.dateparse import parse_datetime

from factbase.core.kinds import record_apps
from factbase.core.models import FactModel

from ..factories import CitationFactory, PersonFactory, SourceFactory

API = "/api/v1/"
REASON = "Checked against the press release"
READ_ONLY = ("id", "url", "version", "created_at", "created_by", "updated_at", "updated_by")


# --- helpers ---------------------------------------------------------------------------


def error_paths(detail, prefix: str = "") -> set[str]:
    """Every field path an error body names: `kind`, `citations.1.source`. Nested list
    errors come either as a list (one entry per row, empty for valid rows) or as a dict
    keyed by row index; both give the same paths."""
    paths: set[str] = set()
    if isinstance(detail, dict):
        for key, value in detail.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict) or (
                isinstance(value, list) and any(isinstance(v, dict | list) for v in value)
            ):
                paths |= error_paths(value, path)
            else:
                paths.add(path)
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            if item:
                paths |= error_paths(item, f"{prefix}.{index}")
    return paths


def row_counts() -> dict[str, int]:
    """Rows in every table of ours, history tables and many-to-many tables included:
    "nothing was written" means this did not change. One query: tests call it often."""
    tables = sorted(
        model._meta.db_table
        for app in record_apps()
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
    )
    quote = connection.ops.quote_name
    counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(table)})" for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        return dict(zip(tables, cursor.fetchone(), strict=True))


def csv_rows(response) -> tuple[list[str], list[dict[str, str]]]:
    """The header and the rows of a streamed CSV response."""
    assert response.streaming, "a CSV list must be streamed"
    text = b"".join(response.streaming_content).decode("utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


NEW_COMPANY = {"name": "Mistral AI", "slug": "mistral-ai", "kind": "ai_lab"}


def token_client(user):
    """An API client authenticated the way scripts are: `Authorization: Token <key>`."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def latest_history(model, pk):
    return model.history.filter(id=pk).order_by("-history_date", "-history_id").first()


def assert_history(record, *, kind: str, user, reason: str | None) -> None:
    assert record is not None, "no history record"
    assert record.history_type == kind
    assert record.history_user == user
    assert record.history_change_reason == reason


def ref_matches(record, ref) -> bool:
    """Whether `record` is the one a request named as `ref` (id, slug or object)."""
    if isinstance(ref, dict):
        ref = ref.get("id", ref.get("slug"))
    if isinstance(ref, int) or str(ref).isdigit():
        return record.pk == int(ref)
    return record.slug == ref


def assert_stored(obj, data: dict, renames: dict | None = None) -> None:
    """Each value of a request body is what the database now holds: references by id or
    slug, decimals as decimals, dates as dates, child lists row by row."""
    renames = renames or {}
    for name, expected in data.items():
        attr = renames.get(name, name)
        if attr is None:
            continue
        field = obj._meta.get_field(attr)
        where = f"{obj._meta.label}.{attr}"
        if field.one_to_many:
            rows = list(getattr(obj, attr).order_by("id"))
            assert len(rows) == len(expected), where
            for row, item in zip(rows, expected, strict=True):
                assert_stored(row, {k: v for k, v in item.items() if k != "id"})
        elif field.many_to_many:
            related = list(getattr(obj, attr).all())
            assert len(related) == len(expected), where
            for ref in expected:
                assert any(ref_matches(r, ref) for r in related), (where, ref)
        elif field.many_to_one:
            related = getattr(obj, attr)
            if expected is None:
                assert related is None, where
            else:
                assert related is not None and ref_matches(related, expected), where
        else:
            actual = getattr(obj, attr)
            if expected is None or actual is None:
                assert actual == expected, where
            elif isinstance(field, models.DecimalField):
                assert actual == Decimal(str(expected)), where
            elif isinstance(field, models.DateTimeField):
                assert actual == parse_datetime(expected), where
            elif isinstance(field, models.DateField):
                assert actual == datetime.date.fromisoformat(expected), where
            else:
                assert actual == expected, where


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content[:500]
    return response.json()["results"]


def ids(response) -> list[int]:
    return [row["id"] for row in results(response)]


# --- the resource and its mixins -----------------------------------------------------------


class Resource:
    """What a resource's test class sets."""

    path: str
    factory: type
    brief_fields: tuple[str, ...]
    required: tuple[str, ...] = ()
    renames: dict = {}
    # A field to order by that many rows can share, and the value they share.
    tie: tuple[str, object] = ("created_at", datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))

    @property
    def model(self):
        return self.factory._meta.model

    @property
    def is_fact(self) -> bool:
        return issubclass(self.model, FactModel)

    def url(self, obj=None, *, key=None, query: str = "") -> str:
        url = f"{API}{self.path}/"
        if obj is not None or key is not None:
            url += f"{key if key is not None else obj.pk}/"
        return f"{url}?{query}" if query else url

    def make(self, **kwargs):
        return self.factory(**kwargs)

    def make_rich(self, user, source):
        """A record as real data has it: authored, cited, with its children."""
        obj = self.make(created_by=user, updated_by=user)
        if self.is_fact:
            speaker = self.shared("speaker", PersonFactory)
            CitationFactory(fact=obj, source=source, attributed_to=speaker, created_by=user)
        self.enrich(obj, user)
        return obj

    def shared(self, key: str, build):
        """One related record for all the rows a test makes: a query per row would show
        just the same, and the test runs faster."""
        cache = self.__dict__.setdefault("_shared", {})
        if key not in cache:
            cache[key] = build()
        return cache[key]

    def enrich(self, obj, user) -> None:
        """Children and related records for `make_rich`."""

    def make_deletable(self):
        """A record nothing protects from deletion, with a citation when it is a fact."""
        obj = self.make()
        if self.is_fact:
            CitationFactory(fact=obj, source=SourceFactory())
        return obj

    def create_data(self) -> dict:
        raise NotImplementedError

    def update_data(self, obj) -> dict:
        raise NotImplementedError

    def patch_data(self, obj) -> dict:
        return {"note": "Confirmed by a second source."}

    def body(self, method: str, obj=None) -> dict | None:
        """A valid body for a write of `method`. Built before counting rows: building it
        may create the records it refers to."""
        if method == "post":
            return self.create_data()
        if method == "put":
            return self.update_data(obj)
        if method == "patch":
            return self.patch_data(obj)
        return None

    def send(self, client, method: str, obj=None, body=None, **extra):
        url = self.url() if method == "post" else self.url(obj)
        if method == "delete":
            return client.delete(url, **extra)
        return getattr(client, method)(url, body, format="json", **extra)


class ListTests(Resource):
    def test_list(self, anon_api):
        made = [self.make() for _ in range(3)]
        response = anon_api.get(self.url())
        body = response.json()
        assert body["count"] == self.model.objects.count()
        got = ids(response)
        assert {obj.pk for obj in made} <= set(got)
        assert got == sorted(got)
        row = next(row for row in body["results"] if row["id"] == made[0].pk)
        assert row["url"] == f"http://testserver{self.url(made[0])}"
        assert row["version"] == made[0].version

    def test_brief(self, anon_api):
        obj = self.make()
        for response in (
            anon_api.get(self.url(query=f"brief=1&id={obj.pk}")),
            anon_api.get(self.url(obj, query="brief=true")),
        ):
            assert response.status_code == 200, response.content[:800]
            body = response.json()
            row = body["results"][0] if "results" in body else body
            assert set(row) == set(self.brief_fields)
            assert row["id"] == obj.pk

    def test_fields(self, anon_api):
        obj = self.make()
        list_rows = results(anon_api.get(self.url(query=f"fields=id,version&id={obj.pk}")))
        assert list_rows == [{"id": obj.pk, "version": obj.version}]
        one = anon_api.get(self.url(obj, query="fields=id,url"))
        assert one.json() == {"id": obj.pk, "url": f"http://testserver{self.url(obj)}"}

    @pytest.mark.parametrize("query", ["fields=id,nonsense", "fields=nonsense&format=csv"])
    def test_unknown_field_is_refused(self, anon_api, query):
        obj = self.make()
        for url in (self.url(query=query), self.url(obj, query=query)):
            response = anon_api.get(url)
            assert response.status_code == 400, url
            assert b"fields" in response.content
            assert b"nonsense" in response.content

    def test_ordering_ties_are_broken_by_id(self, anon_api):
        field, value = self.tie
        made = [self.make(**{field: value}) for _ in range(4)]
        # Rewriting the first rows moves them to the end of the table on PostgreSQL:
        # without the tie-break they would come back last.
        self.model.objects.filter(pk__in=[made[0].pk, made[1].pk]).update(**{field: value})
        expected = sorted(obj.pk for obj in made)
        keys = ",".join(str(pk) for pk in expected)
        for ordering in (field, f"-{field}"):
            assert ids(anon_api.get(self.url(query=f"id={keys}&ordering={ordering}"))) == expected
            pages = [
                ids(
                    anon_api.get(
                        self.url(query=f"id={keys}&ordering={ordering}&limit=1&offset={i}")
                    )
                )
                for i in range(len(made))
            ]
            assert [page[0] for page in pages] == expected


class RetrieveTests(Resource):
    def test_retrieve(self, anon_api):
        obj = self.make()
        response = anon_api.get(self.url(obj))
        assert response.status_code == 200, response.content[:800]
        assert response.json()["id"] == obj.pk
        assert response["ETag"] == f'"{obj.version}"'

    def test_missing_is_404(self, anon_api):
        response = anon_api.get(self.url(key=987654321))
        assert response.status_code == 404, response.content[:800]
        assert "detail" in response.json()


class SlugTests(Resource):
    """Records with a slug are also addressed by it."""

    def test_retrieve_by_slug(self, anon_api):
        obj = self.make()
        response = anon_api.get(self.url(key=obj.slug))
        assert response.status_code == 200, response.content[:800]
        assert response.json()["id"] == obj.pk
        assert response["ETag"] == f'"{obj.version}"'

    def test_unknown_slug_is_404(self, anon_api):
        assert anon_api.get(self.url(key="no-such-slug")).status_code == 404

    def test_patch_and_delete_by_slug(self, editor_api):
        obj = self.make()
        data = self.patch_data(obj)
        response = editor_api.patch(self.url(key=obj.slug), data, format="json")
        assert response.status_code == 200, response.json()
        obj.refresh_from_db()
        assert_stored(obj, data, self.renames)
        assert editor_api.delete(self.url(key=obj.slug)).status_code == 204
        assert not self.model.objects.filter(pk=obj.pk).exists()


class CreateTests(Resource):
    def test_create(self, editor_api, anon_api, editor):
        data = self.create_data()
        response = editor_api.post(self.url(), data, format="json", HTTP_X_CHANGE_REASON=REASON)
        assert response.status_code == 201, response.json()
        body = response.json()
        obj = self.model.objects.get(pk=body["id"])
        assert_stored(obj, data, self.renames)
        assert obj.version == body["version"] == 1
        assert response["ETag"] == '"1"'
        assert obj.created_by == obj.updated_by == editor
        assert body["created_by"] == body["updated_by"] == "editor"
        # Setting many-to-many fields after the insert adds "~" records to the "+" one.
        records = list(obj.history.order_by("history_date", "history_id"))
        assert records[0].history_type == "+"
        for record in records:
            assert_history(record, kind=record.history_type, user=editor, reason=REASON)
        for name, value in data.items():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                for child in getattr(obj, self.renames.get(name, name)).all():
                    assert_history(child.history.first(), kind="+", user=editor, reason=REASON)
        assert anon_api.get(self.url(obj)).json() == body

    def test_create_without_a_reason(self, editor_api, editor):
        response = editor_api.post(self.url(), self.create_data(), format="json")
        assert response.status_code == 201, response.json()
        obj = self.model.objects.get(pk=response.json()["id"])
        assert_history(obj.history.last(), kind="+", user=editor, reason=None)

    def test_unknown_and_read_only_fields_are_refused(self, editor_api):
        data = {
            **self.create_data(),
            "bogus": 1,
            "id": 12345,
            "url": "http://example.com/",
            "version": 7,
            "created_at": "2020-01-01T00:00:00Z",
            "created_by": "someone",
            "updated_at": "2020-01-01T00:00:00Z",
            "updated_by": "someone",
        }
        before = row_counts()
        response = editor_api.post(self.url(), data, format="json")
        assert response.status_code == 400, response.content[:800]
        assert error_paths(response.json()) >= {"bogus", *READ_ONLY}
        assert row_counts() == before

    def test_empty_body_names_the_required_fields(self, editor_api):
        before = row_counts()
        response = editor_api.post(self.url(), {}, format="json")
        assert response.status_code == 400, response.content[:800]
        assert error_paths(response.json()) >= set(self.required)
        assert row_counts() == before


class UpdateTests(Resource):
    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_update_with_current_etag(self, method, editor_api, anon_api, editor):
        obj = self.make()
        etag = anon_api.get(self.url(obj))["ETag"]
        data = self.update_data(obj) if method == "put" else self.patch_data(obj)
        history = obj.history.count()
        response = getattr(editor_api, method)(
            self.url(obj), data, format="json", HTTP_IF_MATCH=etag, HTTP_X_CHANGE_REASON=REASON
        )
        assert response.status_code == 200, response.json()
        obj.refresh_from_db()
        assert_stored(obj, data, self.renames)
        assert obj.version == 2
        assert response.json()["version"] == 2
        assert response["ETag"] == '"2"'
        assert obj.updated_by == editor
        # Setting many-to-many fields may add records of its own: each names the author.
        records = list(obj.history.order_by("history_date", "history_id"))[history:]
        assert records
        for record in records:
            assert_history(record, kind="~", user=editor, reason=REASON)
        assert anon_api.get(self.url(obj))["ETag"] == '"2"'

    def test_update_without_if_match(self, editor_api):
        obj = self.make()
        response = editor_api.patch(self.url(obj), self.patch_data(obj), format="json")
        assert response.status_code == 200, response.json()
        obj.refresh_from_db()
        assert obj.version == 2

    @pytest.mark.parametrize("method", ["put", "patch", "delete"])
    def test_stale_etag_is_412_and_changes_nothing(self, method, editor_api, anon_api):
        obj = self.make()
        stale = anon_api.get(self.url(obj))["ETag"]
        # Someone else saves in between.
        assert (
            editor_api.patch(self.url(obj), self.patch_data(obj), format="json").status_code == 200
        )
        current = anon_api.get(self.url(obj)).json()
        body = self.body(method, obj)
        before = row_counts()
        response = self.send(editor_api, method, obj, body, HTTP_IF_MATCH=stale)
        assert response.status_code == 412, response.content[:800]
        assert row_counts() == before
        assert anon_api.get(self.url(obj)).json() == current

    def test_read_only_field_in_an_update_is_refused(self, editor_api):
        obj = self.make()
        before = row_counts()
        response = editor_api.patch(self.url(obj), {"version": 99, "nope": 1}, format="json")
        assert response.status_code == 400, response.content[:800]
        assert error_paths(response.json()) >= {"version", "nope"}
        assert row_counts() == before


class DeleteTests(Resource):
    def test_delete(self, editor_api, editor):
        obj = self.make_deletable()
        citations = list(obj.citations.all()) if self.is_fact else []
        response = editor_api.delete(
            self.url(obj), HTTP_IF_MATCH=f'"{obj.version}"', HTTP_X_CHANGE_REASON=REASON
        )
        assert response.status_code == 204, response.content[:800]
        assert not self.model.objects.filter(pk=obj.pk).exists()
        assert_history(latest_history(self.model, obj.pk), kind="-", user=editor, reason=REASON)
        for citation in citations:
            record = latest_history(type(citation), citation.pk)
            assert_history(record, kind="-", user=editor, reason=REASON)


class PermissionTests(Resource):
    """Anyone reads; only users with the model's permissions write."""

    def test_anonymous_can_read(self, anon_api):
        obj = self.make()
        assert anon_api.get(self.url()).status_code == 200
        assert anon_api.get(self.url(obj)).status_code == 200

    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_anonymous_cannot_write(self, anon_api, method):
        obj = self.make()
        body = self.body(method, obj)
        before = row_counts()
        response = self.send(anon_api, method, obj, body)
        assert response.status_code == 401, response.content[:800]
        assert response["WWW-Authenticate"].startswith("Token")
        assert row_counts() == before

    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_viewer_cannot_write(self, viewer_api, method):
        obj = self.make()
        body = self.body(method, obj)
        before = row_counts()
        response = self.send(viewer_api, method, obj, body)
        assert response.status_code == 403, response.content[:800]
        assert row_counts() == before

    def test_viewer_can_read(self, viewer_api):
        obj = self.make()
        assert viewer_api.get(self.url(obj)).status_code == 200

    def test_token_of_an_editor_can_write(self, token_api, editor):
        created = self.send(token_api, "post", body=self.create_data())
        assert created.status_code == 201, created.json()
        obj = self.model.objects.get(pk=created.json()["id"])
        assert obj.created_by == editor
        assert self.send(token_api, "patch", obj, self.patch_data(obj)).status_code == 200
        obj = self.make_deletable()
        assert self.send(token_api, "delete", obj).status_code == 204
        assert_history(latest_history(self.model, obj.pk), kind="-", user=editor, reason=None)


class CsvTests(Resource):
    def test_csv_has_every_row_not_one_page(self, anon_api):
        for _ in range(55):
            self.make()
        expected = sorted(self.model.objects.values_list("pk", flat=True))
        assert len(expected) > 50
        for response in (
            anon_api.get(self.url(query="format=csv")),
            anon_api.get(self.url(), HTTP_ACCEPT="text/csv"),
        ):
            assert response.status_code == 200, response.content[:800]
            assert response["Content-Type"] == "text/csv; charset=utf-8"
            assert "attachment" in response["Content-Disposition"]
            header, rows = csv_rows(response)
            assert header[0] == "id"
            assert [int(row["id"]) for row in rows] == expected

    def test_csv_fields(self, anon_api):
        obj = self.make()
        header, rows = csv_rows(anon_api.get(self.url(query=f"format=csv&fields=id&id={obj.pk}")))
        assert header == ["id"]
        assert rows == [{"id": str(obj.pk)}]


class QueryCountTests(Resource):
    def count_queries(self, client) -> tuple[int, int, int]:
        # One page holds every row, small or large: a page that is not full needs no count.
        with CaptureQueriesContext(connection) as page:
            response = client.get(self.url(query="limit=1000"))
        rows = len(results(response))
        with CaptureQueriesContext(connection) as export:
            response = client.get(self.url(query="format=csv"))
            b"".join(response.streaming_content)
        return rows, len(page), len(export)

    def test_queries_do_not_grow_with_rows(self, anon_api, editor):
        source = SourceFactory()
        for _ in range(5):
            self.make_rich(editor, source)
        # Content types and other per-process caches, filled by a page that has rows.
        self.count_queries(anon_api)
        rows_small, page_small, export_small = self.count_queries(anon_api)
        for _ in range(45):
            self.make_rich(editor, source)
        rows_large, page_large, export_large = self.count_queries(anon_api)
        assert rows_large >= 50 > rows_small
        assert page_large == page_small
        assert export_large == export_small


class FactTests(Resource):
    """Facts carry citations, written in the same request as the fact."""

    def citation_rows(self, source) -> list[dict]:
        return [
            {"source": source.pk, "quote": "reached two million users", "field_name": ""},
            {
                "source": {"id": source.pk},
                "quote": "partnership with Globex",
                "translation": "partnership with Globex",
                "locator": "¶ 2",
            },
        ]

    def test_create_verified_with_citations(self, editor_api, editor):
        source = SourceFactory()
        data = {
            **self.create_data(),
            "status": "verified",
            "confidence": "high",
            "claim_type": "reported",
            "citations": self.citation_rows(source),
        }
        response = editor_api.post(self.url(), data, format="json", HTTP_X_CHANGE_REASON=REASON)
        assert response.status_code == 201, response.json()
        obj = self.model.objects.get(pk=response.json()["id"])
        assert_stored(obj, data, self.renames)
        citations = list(obj.citations.order_by("id"))
        assert (
            source.text[citations[0].char_start : citations[0].char_end]
            == data["citations"][0]["quote"]
        )
        for citation in citations:
            assert_history(citation.history.first(), kind="+", user=editor, reason=REASON)
        shown = response.json()["citations"]
        assert [c["quote"] for c in shown] == [c["quote"] for c in data["citations"]]
        assert shown[0]["source"]["id"] == source.pk

    def test_verified_without_citations_is_refused(self, editor_api):
        data = {**self.create_data(), "status": "verified"}
        before = row_counts()
        response = editor_api.post(self.url(), data, format="json")
        assert response.status_code == 400, response.content[:800]
        assert "status" in error_paths(response.json())
        assert row_counts() == before

    def test_invalid_citations_write_nothing_and_are_named(self, editor_api):
        source = SourceFactory()
        data = {
            **self.create_data(),
            "status": "bogus",
            "citations": [
                self.citation_rows(source)[0],
                {"source": 987654, "quote": "reached two million users"},
                {"source": source.pk, "quote": ""},
            ],
        }
        before = row_counts()
        response = editor_api.post(self.url(), data, format="json")
        assert response.status_code == 400, response.content[:800]
        assert error_paths(response.json()) >= {
            "status",
            "citations.1.source",
            "citations.2.quote",
        }
        assert row_counts() == before

    def test_a_quote_not_in_the_source_writes_nothing(self, editor_api):
        source = SourceFactory()
        data = {
            **self.create_data(),
            "citations": [
                self.citation_rows(source)[0],
                {"source": source.pk, "quote": "a sentence the article never says"},
            ],
        }
        before = row_counts()
        response = editor_api.post(self.url(), data, format="json")
        assert response.status_code == 400, response.content[:800]
        assert error_paths(response.json()) == {"citations.1.quote"}
        assert row_counts() == before

    def test_patch_replaces_the_citations(self, editor_api, editor):
        obj = self.make()
        kept, dropped = CitationFactory(fact=obj), CitationFactory(fact=obj)
        source = SourceFactory()
        data = {
            "citations": [
                {"id": kept.pk, "quote": "partnership with Globex"},
                {"source": source.pk, "quote": "reached two million users"},
            ]
        }
        response = editor_api.patch(self.url(obj), data, format="json", HTTP_X_CHANGE_REASON=REASON)
        assert response.status_code == 200, response.json()
        citations = list(obj.citations.order_by("id"))
        assert [c.quote for c in citations] == [
            "partnership with Globex",
            "reached two million users",
        ]
        assert citations[0].pk == kept.pk
        assert citations[0].version == 2
        assert_history(citations[0].history.first(), kind="~", user=editor, reason=REASON)
        assert_history(citations[1].history.first(), kind="+", user=editor, reason=REASON)
        assert_history(
            latest_history(type(dropped), dropped.pk), kind="-", user=editor, reason=REASON
        )

    def test_a_citation_of_another_fact_cannot_be_edited_here(self, editor_api):
        obj, other = self.make(), CitationFactory()
        before = row_counts()
        data = {"citations": [{"id": other.pk, "quote": "partnership with Globex"}]}
        response = editor_api.patch(self.url(obj), data, format="json")
        assert response.status_code == 400, response.content[:800]
        assert error_paths(response.json()) == {"citations.0.id"}
        assert row_counts() == before

    def test_the_last_citation_of_a_verified_fact_stays(self, editor_api):
        obj = self.make()
        CitationFactory(fact=obj)
        type(obj).objects.filter(pk=obj.pk).update(status="verified")
        before = row_counts()
        response = editor_api.patch(self.url(obj), {"citations": []}, format="json")
        assert response.status_code == 400, response.content[:800]
        assert "status" in error_paths(response.json())
        assert row_counts() == before


class RecordTests(
    ListTests,
    RetrieveTests,
    CreateTests,
    UpdateTests,
    DeleteTests,
    PermissionTests,
    CsvTests,
    QueryCountTests,
):
    """Everything every record kind does."""


class FactRecordTests(RecordTests, FactTests):
    """Everything every fact does."""
