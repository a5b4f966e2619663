"""The front door, `/`: what Factbase is, and links to the admin, the API, its docs and its
schema, each of which answers. The admin's "View site" leads there."""

import re

import pytest
from django.urls import reverse

from .factories import CompanyFactory

pytestmark = pytest.mark.django_db


def test_the_front_door_says_what_factbase_is_and_links_the_ways_in(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Factbase</h1>" in html and "sources" in html
    links = re.findall(r'<a href="([^"]+)"', html)
    ways_in = links[-4:]
    assert ways_in == ["/admin/", "/api/v1/", "/api/docs/", "/api/schema/"]
    assert "http" not in "".join(re.findall(r'(?:href|src)="([^"]+)"', html))  # no CDN
    for url in ways_in[1:]:
        assert client.get(url).status_code == 200
    assert client.get(ways_in[0]).status_code == 302  # to the login


def test_the_front_door_counts_what_factbase_holds_and_links_the_latest_snapshot(
    client, django_assert_max_num_queries
):
    from django.core.cache import cache
    from django.utils import timezone

    from factbase.core.models import Snapshot

    CompanyFactory(name="Mistral AI"), CompanyFactory(name="Stellantis")
    cache.clear()
    with django_assert_max_num_queries(4):  # the counts in one statement, the snapshot
        html = client.get("/").content.decode()
    assert re.search(r'<a href="/api/v1/companies/">Companies</a></th>\s*<td>2</td>', html)
    assert '<a href="/api/v1/metrics/">Metrics</a></th>' in html
    assert "latest snapshot" not in html

    fields = {"size": 2048, "sha256": "0" * 64, "tables": 3, "rows": 42, "seconds": 1.5}
    Snapshot.objects.create(created_at=timezone.now(), file="snapshots/old.zip", **fields)
    latest = Snapshot.objects.create(created_at=timezone.now(), file="snapshots/x.zip", **fields)
    cache.clear()
    html = client.get("/").content.decode()
    download = f"/api/v1/snapshots/{latest.pk}/download/"
    assert f'<a href="{download}">the latest snapshot</a>' in html


def test_the_front_door_only_answers_reads(client):
    assert client.post("/").status_code == 405


def test_the_admins_view_site_leads_to_the_front_door(editor_client):
    html = editor_client.get(reverse("admin:index")).content.decode()
    assert '<a href="/">View site</a>' in html
