"""A citation read from rows (factbase.api.rows) answers what DRF's fields answer, byte for
byte, in every shape a request can ask for: the golden files hold the full list and
detail of the demo data; these compare the rows' answer with DRF's own."""

import pytest
from django.core.management import call_command

from factbase.api.views import RecordViewSet
from factbase.core.models import Citation

pytestmark = pytest.mark.django_db


def both(api, monkeypatch, url):
    """The answer read from rows, and DRF's (the row reader turned off)."""
    rows = api.get(url)
    with monkeypatch.context() as patched:
        patched.setattr(RecordViewSet, "reader", lambda self: None)
        drf = api.get(url)
    return rows, drf


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?brief=1",
        "?fields=fact",
        "?fields=id,fact",
        "?fields=fact_type",
        "?fields=id,fact_type,fact_id,fact",
        "?as_of=2099-01-01T00:00:00Z",  # read from the history tables
    ],
)
def test_a_page_and_a_record_read_from_rows_are_drfs(anon_api, monkeypatch, query):
    call_command("load_demo", verbosity=0)
    pk = Citation.objects.order_by("pk").first().pk
    separator = "&" if query else "?"
    for url in (
        f"/api/v1/citations/{query}{separator}limit=1000",
        f"/api/v1/citations/{pk}/{query}",
    ):
        rows, drf = both(anon_api, monkeypatch, url)
        assert drf.status_code == 200, url
        assert (rows.status_code, rows.content) == (200, drf.content), url
