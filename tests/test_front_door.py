"""The front door, `/`: what Factbase is, and links to the admin, the API, its docs and its
schema, each of which answers. The admin's "View site" leads there."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_front_door_says_what_factbase_is_and_links_the_ways_in(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Factbase</h1>" in html and "sources" in html
    links = re.findall(r'<a href="([^"]+)"', html)
    assert links == ["/admin/", "/api/v1/", "/api/docs/", "/api/schema/"]
    assert "http" not in "".join(re.findall(r'(?:href|src)="([^"]+)"', html))  # no CDN
    for url in links[1:]:
        assert client.get(url).status_code == 200
    assert client.get(links[0]).status_code == 302  # to the login


def test_the_front_door_only_answers_reads(client):
    assert client.post("/").status_code == 405


def test_the_admins_view_site_leads_to_the_front_door(editor_client):
    html = editor_client.get(reverse("admin:index")).content.decode()
    assert '<a href="/">View site</a>' in html
