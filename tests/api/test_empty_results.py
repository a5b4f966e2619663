"""A filter that can match nothing at all (a search with no word in it) answers an empty
list, in JSON and in CSV, never a 500."""

import pytest
from django.db import connection

from ..factories import CompanyFactory

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's search is a contains: never empty"
)
@pytest.mark.parametrize("query", ["q=%E2%81%82", "q=%F2%9C%BD%B9%C2%84&brief=true"])
def test_a_search_without_words_is_empty_in_json_and_csv(anon_api, query):
    CompanyFactory()
    body = anon_api.get(f"/api/v1/companies/?{query}").json()
    assert (body["count"], body["results"]) == (0, [])
    csv_query = query.removesuffix("&brief=true")  # a CSV has no brief form
    response = anon_api.get(f"/api/v1/companies/?{csv_query}&format=csv")
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("id,")
