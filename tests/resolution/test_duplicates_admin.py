"""Likely duplicates in the admin: adding a record that looks like a stored one asks for
a confirmation, and "Likely duplicates" lists the pairs of stored records, the most alike
first."""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from companies.models import Company, Person, Product
from factbase.core.models import Merge
from factbase.resolution.duplicates import duplicate_pairs

from ..factories import (
    CompanyAliasFactory,
    CompanyFactory,
    PersonFactory,
    ProductFactory,
)
from ..test_admin_forms import page_data

pytestmark = pytest.mark.django_db


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def add_company(editor_client, name, slug, *, aliases=(), confirm=False):
    response = editor_client.get(url(Company, "add"))
    assert response.status_code == 200
    data = {**page_data(response), "name": name, "slug": slug, "kind": "ai_lab"}
    data["aliases-TOTAL_FORMS"] = str(len(aliases))
    for i, alias in enumerate(aliases):
        data[f"aliases-{i}-name"] = alias
    if confirm:
        data["allow_duplicate"] = "on"
    return editor_client.post(url(Company, "add"), data)


@pytest.fixture
def mistral(db):
    return CompanyFactory(name="Mistral AI", slug="mistral-ai")


def test_adding_a_likely_duplicate_asks_for_a_confirmation(editor_client, mistral):
    response = add_company(editor_client, "Mistral AI SAS", "mistral-ai-sas")
    assert response.status_code == 200  # the form again, nothing saved
    assert not Company.objects.filter(slug="mistral-ai-sas").exists()
    page = response.content.decode()
    assert 'id="likely-duplicates"' in page
    assert f'href="{url(Company, "change", mistral.pk)}"' in page
    assert "same name once folded" in page
    assert "This is a different company: save anyway" in page
    assert 'name="allow_duplicate"' in page
    assert "likely a duplicate" in " ".join(response.context["adminform"].form.non_field_errors())
    response = add_company(editor_client, "Mistral AI SAS", "mistral-ai-sas", confirm=True)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Company.objects.filter(slug="mistral-ai-sas").exists()


def test_an_alias_typed_in_the_form_is_checked_too(editor_client, mistral):
    response = add_company(editor_client, "New Lab", "new-lab", aliases=["Mistral"])
    assert response.status_code == 200
    assert not Company.objects.filter(slug="new-lab").exists()
    assert "for the alias “Mistral”" in response.content.decode()


def test_a_different_name_saves_at_once(editor_client, mistral):
    response = add_company(editor_client, "Anthropic", "anthropic")
    assert response.status_code == 302
    assert Company.objects.filter(slug="anthropic").exists()


def test_products_and_people_are_checked_on_add(editor_client, mistral):
    ProductFactory(name="Le Chat", slug="le-chat", company=mistral)
    response = editor_client.get(url(Product, "add"))
    data = {
        **page_data(response),
        "name": "LE CHAT",
        "slug": "le-chat-2",
        "company": str(mistral.pk),
        "kind": "assistant_app",
    }
    response = editor_client.post(url(Product, "add"), data)
    assert response.status_code == 200
    assert "This is a different product: save anyway" in response.content.decode()
    assert not Product.objects.filter(slug="le-chat-2").exists()

    PersonFactory(name="Arthur Mensch", slug="arthur-mensch")
    response = editor_client.get(url(Person, "add"))
    data = {**page_data(response), "name": "Arthur MENSCH", "slug": "am"}
    response = editor_client.post(url(Person, "add"), data)
    assert response.status_code == 200
    assert not Person.objects.filter(slug="am").exists()
    response = editor_client.post(url(Person, "add"), {**data, "allow_duplicate": "on"})
    assert response.status_code == 302
    assert Person.objects.filter(slug="am").exists()


def test_a_change_is_not_checked(editor_client, mistral):
    other = CompanyFactory(name="Other", slug="other")
    response = editor_client.get(url(Company, "change", other.pk))
    assert "allow_duplicate" not in response.content.decode()
    data = {**page_data(response), "name": "Mistral"}
    response = editor_client.post(url(Company, "change", other.pk), data)
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.name == "Mistral"


# --- the "Likely duplicates" page ---------------------------------------------------------


def test_the_list_links_to_its_likely_duplicates(editor_client):
    for model in (Company, Product, Person):
        response = editor_client.get(url(model, "changelist"))
        assert f'href="{url(model, "duplicates")}"' in response.content.decode()


def test_the_likely_duplicates_page_lists_a_known_pair_first(editor_client, mistral):
    CompanyFactory(name="Anthropic", slug="anthropic")
    twin = CompanyFactory(name="Mistral AI SAS", slug="mistral-ai-sas")
    third = CompanyFactory(name="DeepSeek", slug="deepseek")
    CompanyAliasFactory(company=CompanyFactory(name="Deepseek Inc", slug="ds"), name="DS")
    response = editor_client.get(url(Company, "duplicates"))
    assert response.status_code == 200
    rows = re.findall(r'<tr class="pair">(.*?)</tr>', response.content.decode(), re.S)
    assert len(rows) == 2
    first_pair = {
        int(pk) for pk in re.findall(r'href="/admin/companies/company/(\d+)/change/"', rows[0])
    }
    assert first_pair in ({mistral.pk, twin.pk}, {third.pk, Company.objects.get(slug="ds").pk})
    assert "same name once folded" in rows[0]
    assert "Anthropic" not in response.content.decode()


def test_pairs_are_sorted_by_score_and_skip_standing_merges(mistral):
    twin = CompanyFactory(name="Mistral AI SAS", slug="mistral-ai-sas")
    close = CompanyFactory(name="Mistral Chat", slug="mistral-chat")
    pairs = duplicate_pairs(Company)
    assert (pairs[0].score, {pairs[0].first.pk, pairs[0].second.pk}) == (1.0, {mistral.pk, twin.pk})
    assert [p.score for p in pairs] == sorted((p.score for p in pairs), reverse=True)
    # A merge that stands (here of records the merge service left in place) is no pair.
    Merge.objects.create(
        content_type=ContentType.objects.get_for_model(Company),
        merged_id=twin.pk,
        merged_slug=twin.slug,
        merged_name=twin.name,
        kept_id=mistral.pk,
        reason="Same.",
        merged_at=timezone.now(),
    )
    after = {frozenset((p.first.pk, p.second.pk)) for p in duplicate_pairs(Company)}
    assert frozenset((mistral.pk, twin.pk)) not in after
    assert after <= {frozenset((mistral.pk, close.pk)), frozenset((twin.pk, close.pk))}


def test_products_pair_within_their_company(editor_client, mistral):
    ProductFactory(name="Le Chat", slug="le-chat", company=mistral)
    ProductFactory(name="Le Chat", slug="le-chat-other")  # another company's
    twin = ProductFactory(name="LeChat", slug="lechat", company=mistral)
    pairs = duplicate_pairs(Product)
    assert [{p.first.slug, p.second.slug} for p in pairs] == [{"le-chat", twin.slug}]


def test_the_pairs_page_needs_the_view_permission(client, db):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(user)
    assert client.get(url(Company, "duplicates")).status_code == 403


def test_the_pairs_take_the_same_queries_however_many(django_assert_num_queries, mistral):
    for n in range(10):
        CompanyFactory(name=f"Acme {n}", slug=f"acme-{n}")
        CompanyFactory(name=f"ACME {n} Inc.", slug=f"acme-{n}-inc")
        CompanyAliasFactory(company=Company.objects.get(slug=f"acme-{n}"), name=f"Acme {n} SA")
    # PostgreSQL: in a transaction (2), the same keys, the threshold, the trigram self-join;
    # SQLite: the names, the aliases. Then the merges, the records of the pairs and their
    # aliases.
    queries = 8 if connection.vendor == "postgresql" else 5
    with django_assert_num_queries(queries):
        pairs = duplicate_pairs(Company)
    assert len(pairs) == 10
    assert {p.score for p in pairs} == {1.0}
