"""One registry of kinds (factbase.core.kinds), and every surface that lists kinds agrees with it:
the API's endpoints and root, citations' `fact_type` (accepted, filtered, in the schema),
the change log's `kind`, and which models have history."""

import pytest
from django.apps import apps

from companies.models import Role
from factbase.core.kinds import fact_kinds, kind_of, kinds, record_apps
from factbase.core.models import FactModel, history_model_of

from .factories import PersonFactory, RoleFactory, SourceFactory

pytestmark = pytest.mark.django_db


def test_every_model_with_history_is_a_kind_and_every_fact_model_a_fact_kind():
    for label in record_apps():
        for model in apps.get_app_config(label).get_models():
            if history_model_of(model) is None:
                continue
            kind = kind_of(model)
            assert kind is not None, f"{model.__name__} is in no app's kinds.py"
            assert kind.is_fact == issubclass(model, FactModel)
            assert kind.history is history_model_of(model)


def test_the_api_root_lists_exactly_the_kinds_with_an_endpoint(anon_api):
    root = anon_api.get("/api/v1/").json()
    endpoints = {kind.name for kind in kinds() if kind.endpoint}
    assert endpoints <= set(root)
    assert set(root) - endpoints == {
        *("snapshots", "webhooks", "merges", "conflicts", "changes", "facts", "schema", "docs")
    }
    for name in endpoints:
        assert anon_api.get(f"/api/v1/{name}/").status_code == 200, name
    for kind in kinds():
        if not kind.endpoint:
            assert anon_api.get(f"/api/v1/{kind.name}/").status_code == 404, kind.name
            assert kind_of(kind.parent_field.related_model).endpoint  # shown in its page


def test_the_change_log_knows_every_kind_by_its_name(anon_api):
    response = anon_api.get("/api/v1/changes/", {"kind": "bogus"})
    assert response.status_code == 400
    known = response.json()["kind"][0].split("Known: ")[1].rstrip(".").split(", ")
    assert known == sorted(kind.name for kind in kinds())
    for kind in kinds():
        assert anon_api.get("/api/v1/changes/", {"kind": kind.name}).status_code == 200


def test_fact_types_are_the_same_everywhere(anon_api, editor_api):
    names = sorted(fact_kinds())
    assert "role" in names  # a role is a fact: status, confidence, citations
    for name in names:
        assert anon_api.get("/api/v1/citations/", {"fact_type": name}).status_code == 200
    refused = anon_api.get("/api/v1/citations/", {"fact_type": "bogus"})
    assert refused.status_code == 400
    # What a citation's POST accepts is the same list, and its refusal says so.
    post = editor_api.post("/api/v1/citations/", {"fact_type": "bogus"}, format="json")
    assert post.status_code == 400
    assert post.json()["fact_type"][0].endswith(f"{', '.join(names)}.")


def test_a_role_is_cited_like_any_fact(editor_api):
    role = RoleFactory(person=PersonFactory())
    source = SourceFactory(text="She leads the company as its chief executive.")
    response = editor_api.post(
        "/api/v1/citations/",
        {"fact_type": "role", "fact_id": role.pk, "source": source.pk, "quote": "She leads"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["fact"]["id"] == role.pk
    assert response.json()["fact"]["url"].endswith(f"/api/v1/people/{role.person_id}/")
    listed = editor_api.get("/api/v1/citations/", {"fact_type": "role"}).json()["results"]
    assert [row["id"] for row in listed] == [response.json()["id"]]
    assert Role.objects.get(pk=role.pk).citations.count() == 1
