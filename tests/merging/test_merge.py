"""A merge moves every row that refers to the merged record to the kept one, through the
services, with history and the reason; its undo puts every one of them back exactly as it
was. Conflicts are refused before anything is written."""

import pytest

from companies.models import Company, CompanyAlias, Person, Product, Role
from events.models import Event, Investment, Metric, Partnership, PartnershipParty
from factbase.core.models import Citation, Merge
from factbase.core.services import MergeConflict, MergeInvalid, merge_plan, record_merge
from factbase.core.services.merging import relations

from ..api.base import row_counts
from .conftest import API, company, history_reasons, record_json, referring, save

pytestmark = pytest.mark.django_db

# The kind's endpoint, and the world's kept and merged records of that kind.
KINDS = {
    "companies": ("keep", "merge"),
    "people": ("keep_person", "merge_person"),
    "products": ("keep_product", "merge_product"),
}


def pair(world, kind):
    return tuple(getattr(world, name) for name in KINDS[kind])


@pytest.mark.parametrize("kind", KINDS)
def test_the_world_has_a_row_of_every_relation_and_a_merge_moves_each(world, kind, editor):
    """Every relation the models declare to companies, products and people (a relation
    added later too) has a row in the fixture, and a merge leaves none on the merged
    record: each one moved to the kept record."""
    keep, merge = pair(world, kind)
    model = type(keep)
    before = referring(model, merge.pk)
    assert set(before) == {relation.key for relation in relations(model)}
    uncovered = sorted(key for key, count in before.items() if not count)
    assert not uncovered, (
        f"No row of {', '.join(uncovered)} refers to the merged {model._meta.verbose_name} "
        "in tests/merging/conftest.py's world: add one, so that merging it is tested."
    )
    kept_before = referring(model, keep.pk)

    record_merge(keep, merge, user=editor, reason="the same")

    assert not model.objects.filter(pk=merge.pk).exists()
    assert set(referring(model, merge.pk).values()) == {0}
    kept_after = referring(model, keep.pk)
    grown = {key: kept_after[key] - kept_before[key] for key in before}
    assert all(count > 0 for count in grown.values()), grown


@pytest.mark.parametrize("kind", KINDS)
def test_undo_puts_back_every_record_as_the_api_showed_it(world, kind, editor_api, anon_api):
    keep, merge = pair(world, kind)
    model = type(keep)
    shown = {(type(row), row.pk): record_json(anon_api, row) for row in world.rows}
    counts = (referring(model, merge.pk), referring(model, keep.pk))

    response = editor_api.post(
        f"{API}{kind}/{merge.slug}/merge/",
        {"into": keep.pk, "reason": "the same"},
        format="json",
    )
    assert response.status_code == 201, response.content
    merged = response.json()
    assert merged["merged"]["id"] == merge.pk and merged["kept"]["id"] == keep.pk
    assert response["Location"] == merged["url"]
    assert not model.objects.filter(pk=merge.pk).exists()
    changed = {key for key, row in shown.items() if key[1] and _json_or_none(anon_api, key) != row}
    assert len(changed) > 3  # the merge changed what the API shows of them

    response = editor_api.post(f"{merged['url']}undo/", {"reason": "not the same"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["undone_at"] is not None

    assert (referring(model, merge.pk), referring(model, keep.pk)) == counts
    again = {key: _json_or_none(anon_api, key) for key in shown}
    for key, before in shown.items():
        assert again[key] == before, key


def _json_or_none(client, key):
    model, pk = key
    if not model.objects.filter(pk=pk).exists():
        return None
    return record_json(client, model.objects.get(pk=pk))


def test_what_a_company_merge_moved_and_left(world, editor_api):
    response = editor_api.post(
        f"{API}companies/{world.merge.pk}/merge/",
        {"into": "acme-robotics", "reason": "the same"},
        format="json",
    )
    assert response.status_code == 201
    merged = response.json()
    assert merged["moved"] == {
        "citations.fact": 1,
        "company-aliases.company": 1,
        "company-identifiers.company": 1,
        "events.companies": 2,
        "funding-rounds.company": 1,
        "investments.company": 1,
        "investments.investor": 1,
        "metrics.company": 1,
        "partnership-parties.company": 1,
        "products.company": 1,
        "roles.company": 1,
    }
    # The kept record had the alias "Acme" and cited the same words: those go with it.
    assert sorted((row["type"], row["label"]) for row in merged["dropped"]) == [
        ("citation", "“Acme Robotics said on Monday” (Example News)"),
        ("companyalias", "ACME"),
    ]
    assert merged["aliases_added"] == ["ACME Robotics SAS"]
    assert sorted(
        CompanyAlias.objects.filter(company=world.keep).values_list("name", flat=True)
    ) == [
        "ACME Robotics SAS",
        "Acme",
        "Acme Robotics Group",
    ]
    # The event that listed both lists the kept one once.
    both = Event.objects.get(title="Robotics fair")
    assert list(both.companies.values_list("pk", flat=True)) == [world.keep.pk]
    assert Merge.objects.get().merged_by.username == "editor"


def test_every_change_is_in_history_with_the_reason(world, editor):
    metric = Metric.objects.get(company=world.merge)
    citation = Citation.objects.get(quote="its assistant reached two million users")
    summit = Event.objects.get(title="AI summit")
    merge_pk = world.merge.pk
    record_merge(world.keep, world.merge, user=editor, reason="one company, entered twice")

    reason = (
        "Merge of ACME Robotics SAS (acme-robotics-sas) into Acme Robotics: one company, "
        "entered twice"
    )
    for record in (metric, citation, summit):
        row = type(record).history.filter(id=record.pk).latest("history_date", "history_id")
        assert (row.history_change_reason, row.history_user, row.history_type) == (
            reason,
            editor,
            "~",
        )
    deleted = Company.history.filter(id=merge_pk).latest("history_date", "history_id")
    assert (deleted.history_type, deleted.history_change_reason) == ("-", reason)
    alias = CompanyAlias.objects.get(name="ACME Robotics SAS")
    assert history_reasons(alias) == [reason]


def test_a_long_name_leaves_its_room_to_the_reason(db, editor):
    keep = company("K" * 150, "k")
    merge = company("M" * 150, "m" * 90)
    metric = save(Metric(metric_type_id=_downloads(), company=merge, value=1, qualifier="exact"))
    record_merge(keep, merge, user=editor, reason="x" * 88)
    assert history_reasons(metric)[0] == "Merge: " + "x" * 88
    merge = company("Short", "short")
    metric = save(Metric(metric_type_id=_downloads(), company=merge, value=2, qualifier="exact"))
    record_merge(keep, merge, user=editor, reason="r")
    assert history_reasons(metric)[0] == "Merge of short into k: r"


def _downloads():
    from events.models import MetricType

    return MetricType.objects.get(slug="downloads").pk


def test_conflicts_refuse_the_merge_naming_each_and_nothing_is_written(world, editor_api):
    deal = Partnership.objects.get(title="Acme – Globex")
    role = save(Role(person=world.keep_person, company=world.merge, title="CEO"))
    # Another role in it, so not the same party twice: still one company once.
    party = save(PartnershipParty(partnership=deal, company=world.keep, role="customer"))
    in_itself = save(Investment(investor=world.merge, company=world.keep))
    before = row_counts()

    response = editor_api.post(
        f"{API}companies/{world.merge.pk}/merge/",
        {"into": world.keep.pk, "reason": "the same"},
        format="json",
    )
    assert response.status_code == 409, response.content
    body = response.json()
    assert "Nothing was changed" in body["detail"]
    found = {conflict["kind"]: conflict for conflict in body["conflicts"]}
    assert set(found) == {"duplicate", "unique", "invalid"}
    kept_role = Role.objects.get(person=world.keep_person, company=world.keep)
    assert [row["id"] for row in found["duplicate"]["rows"]] == [role.pk, kept_role.pk]
    assert found["duplicate"]["relation"] == "roles.company"
    assert "the same role twice" in found["duplicate"]["detail"]
    moved_party = PartnershipParty.objects.get(partnership=deal, company=world.merge)
    assert [row["id"] for row in found["unique"]["rows"]] == [moved_party.pk, party.pk]
    assert "with this Partnership and Company already exists" in found["unique"]["detail"]
    assert len(body["conflicts"]) == 3
    assert [row["id"] for row in found["invalid"]["rows"]] == [in_itself.pk]
    assert "cannot invest in itself" in found["invalid"]["detail"]
    assert row_counts() == before

    # A dry run shows them too, and writes nothing either.
    response = editor_api.post(
        f"{API}companies/{world.merge.pk}/merge/",
        {"into": world.keep.pk, "reason": "the same", "dry_run": True},
        format="json",
    )
    assert response.status_code == 200
    assert len(response.json()["conflicts"]) == 3
    assert row_counts() == before


def test_the_same_role_twice_refuses_a_merge_of_people(world, editor):
    save(Role(person=world.merge_person, company=world.keep, title="CEO"))
    with pytest.raises(MergeConflict) as refused:
        record_merge(world.keep_person, world.merge_person, user=editor, reason="the same")
    (conflict,) = refused.value.conflicts
    assert (conflict.kind, conflict.relation) == ("duplicate", "roles.person")
    assert Person.objects.filter(pk=world.merge_person.pk).exists()


def test_a_name_already_kept_as_name_or_alias_is_not_added_again(db, editor):
    keep = company("Mistral AI", "mistral-ai")
    save(CompanyAlias(company=keep, name="Mistral"))
    record_merge(keep, company("MISTRAL", "mistral"), user=editor, reason="r")
    record_merge(keep, company("Mistral ÁI", "mistral-ai-2"), user=editor, reason="r")
    record_merge(keep, company("Mistral AI SAS", "mistral-ai-sas"), user=editor, reason="r")
    names = sorted(CompanyAlias.objects.filter(company=keep).values_list("name", flat=True))
    assert names == ["Mistral", "Mistral AI SAS"]


def test_a_plan_says_what_a_merge_would_do_and_writes_nothing(world):
    before = row_counts()
    plan = merge_plan(world.keep_product, world.merge_product)
    assert row_counts() == before
    assert plan.alias == "Acme Assistant (app)" and plan.conflicts == []
    moved = {moves.relation.name: [row.label for row in moves.moved] for moves in plan.moves}
    assert moved == {
        "citations.fact": ["“its assistant” (Example News)"],
        "events.products": ["AI summit"],
        "metrics.product": ["Acme Assistant (app) · Downloads: ≥ 2,000,000"],
        "partnerships.products": ["Acme – Globex"],
        "product-aliases.product": ["Acme Chat"],
    }


@pytest.mark.parametrize(
    ("keep", "merge", "argument"),
    [
        ("keep", "keep", "merge"),  # itself
        ("keep", "keep_person", "merge"),  # another kind
        ("source", "merge", "keep"),  # not a company, product or person
    ],
)
def test_records_that_cannot_be_merged_are_refused(world, editor, keep, merge, argument):
    before = row_counts()
    with pytest.raises(MergeInvalid) as refused:
        record_merge(getattr(world, keep), getattr(world, merge), user=editor, reason="r")
    assert list(refused.value.errors) == [argument]
    assert row_counts() == before


@pytest.mark.parametrize("reason", ["", "   ", "x" * 94, "a\x00b", "\u200b"])
def test_a_merge_needs_a_reason_that_fits_in_history(world, editor, reason):
    with pytest.raises(MergeInvalid) as refused:
        record_merge(world.keep, world.merge, user=editor, reason=reason)
    assert list(refused.value.errors) == ["reason"]


def test_a_deleted_record_is_not_merged(world, editor):
    from factbase.core.services import record_delete

    stale = Product.objects.get(pk=world.keep_product.pk)
    record_delete(Product.objects.get(pk=world.keep_product.pk), reason="gone")
    with pytest.raises(MergeInvalid) as refused:
        record_merge(stale, world.merge_product, user=editor, reason="r")
    assert "deleted" in refused.value.errors["keep"][0]
