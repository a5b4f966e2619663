"""A list asked for with a filter it does not have, or a value its filter cannot take, is
a 400 page naming it: not the whole list, unfiltered, where an editor who thinks it
filtered would run an action on every record."""

import pytest
from django.urls import reverse

from events.models import Metric
from factbase.core.models import Merge, Source
from tests.api.base import row_counts
from tests.factories import CompanyFactory, MetricFactory

pytestmark = pytest.mark.django_db

DAY = "published_on"  # the sources' date drill-down


def url(model, view="changelist"):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")


@pytest.mark.parametrize(
    "model, query, named",
    [
        (Metric, "has_citations=maybe", "has_citations: “maybe”"),
        (Metric, "has_citations=true", "has_citations: “true”"),
        (Metric, "of_company=abc", "of_company: “abc”"),
        (Metric, "stauts__exact=verified", "stauts"),
        (Metric, "foo=bar", "foo"),
        (Source, f"{DAY}__year=2025&{DAY}__month=2&{DAY}__day=30", DAY),
        (Merge, "state=bogus", "state: “bogus”"),
        (Merge, "kind=abc", "kind: “abc”"),
    ],
)
def test_a_filter_the_list_cannot_apply_is_a_400_naming_it(admin_client, model, query, named):
    MetricFactory.create()
    response = admin_client.get(f"{url(model)}?{query}")
    assert response.status_code == 400
    page = response.content.decode()
    assert "This list cannot be filtered as the address asks" in page
    assert named in page.replace("&#x27;", "'"), page[-2000:]


def test_the_filters_it_offers_still_filter(admin_client):
    uncited = MetricFactory.create()  # of its own company, without a citation
    other = CompanyFactory.create()
    expected = {
        "has_citations=yes": 0,
        "has_citations=no": 1,
        f"of_company={uncited.company_id}": 1,
        f"of_company={other.pk}": 0,
        "": 1,
    }
    for query, count in expected.items():
        response = admin_client.get(f"{url(Metric)}?{query}")
        assert response.status_code == 200, query
        assert response.context["cl"].result_count == count, query


def test_an_action_on_all_of_a_list_filtered_wrongly_changes_nothing(editor_client):
    for _ in range(3):
        MetricFactory.create()
    before = row_counts()
    response = editor_client.post(
        f"{url(Metric)}?has_citations=maybe",
        {
            "action": "mark_disputed",
            "select_across": "1",
            "_selected_action": [str(m.pk) for m in Metric.objects.all()],
            "index": "0",
            "post": "yes",
            "change_reason": "all of them?",
        },
    )
    assert response.status_code == 400
    assert row_counts() == before
    assert set(Metric.objects.values_list("status", flat=True)) != {"disputed"}
