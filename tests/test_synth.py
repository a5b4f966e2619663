"""`manage.py synth`: valid, cited, recorded and reproducible generated data."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from companies.models import Company, CompanyAlias, Person, Product, Role
from events.models import (
    Event,
    FundingRound,
    Investment,
    Metric,
    MetricType,
    Partnership,
    PartnershipParty,
)
from factbase.core.choices import Status
from factbase.core.models import Citation, FactModel, Source, history_model_of
from factbase.core.services import record_save
from factbase.synth import writer as synth
from factbase.synth.writer import CHANGE_REASON

pytestmark = pytest.mark.django_db

SMALL = {"companies": 30, "metrics": 200, "verbosity": 0}

MODELS = [
    Source,
    Citation,
    Person,
    Company,
    CompanyAlias,
    Product,
    Role,
    Event,
    Partnership,
    PartnershipParty,
    FundingRound,
    Investment,
    Metric,
]


def m2m_fields(model):
    return [m for m in model._meta.local_many_to_many if m.remote_field.through._meta.auto_created]


def all_tables():
    """Every model synth writes: the records, their history, the many-to-many rows and
    their history."""
    written = []
    for model in MODELS:
        history = history_model_of(model)
        written += [model, history]
        for m2m in m2m_fields(model):
            written.append(m2m.remote_field.through)
            if m2m in history._history_m2m_fields:
                written.append(getattr(history, m2m.name).model)
    return written


def dump() -> dict[str, list[tuple]]:
    return {
        model._meta.db_table: list(model.objects.order_by("pk").values_list())
        for model in all_tables()
    }


def reset_sequences():
    """What a fresh database has: PostgreSQL sequences do not roll back with the data."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), all_tables()):
            cursor.execute(sql)


def synth_dump(**options) -> dict[str, list[tuple]]:
    """The rows a run writes into the current database, which is then left as it was."""
    reset_sequences()
    with transaction.atomic():
        call_command("synth", **{**SMALL, **options})
        rows = dump()
        transaction.set_rollback(True)
    return rows


def values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_rows_pass_model_validation():
    call_command("synth", **SMALL)
    assert Metric.objects.count() == 200
    assert Company.objects.count() == 30
    for model in MODELS:
        instances = list(model.objects.order_by("pk")[:300])
        assert instances, model
        for instance in instances:
            before = values(instance)
            instance.full_clean()
            # Validation would change nothing: partial dates are already normalized,
            # derived fields already filled in...
            assert values(instance) == before, instance


def test_every_metric_of_the_run_validates():
    call_command("synth", **SMALL)
    for metric in Metric.objects.select_related("metric_type"):
        metric.full_clean()


def test_metrics_have_one_subject_and_a_citation():
    call_command("synth", **SMALL)
    metrics = Metric.objects.all()
    on_companies = metrics.filter(company__isnull=False, product__isnull=True).count()
    on_products = metrics.filter(company__isnull=True, product__isnull=False).count()
    assert on_companies + on_products == 200
    assert 0.45 < on_companies / 200 < 0.75
    cited = Citation.objects.filter(content_type__model="metric").values("object_id").distinct()
    assert cited.count() == 200
    units = {unit for unit in metrics.values_list("unit", flat=True)}
    assert units == set(MetricType.objects.values_list("unit_kind", flat=True))
    assert metrics.filter(qualifier="range").exists()
    assert not metrics.filter(unit="money", currency="").exists()


def test_verified_only_with_a_citation():
    call_command("synth", **SMALL)
    for model in MODELS:
        if not issubclass(model, FactModel):
            continue
        verified = model.objects.filter(status=Status.VERIFIED)
        assert not verified.filter(citations__isnull=True).exists(), model
    assert Company.objects.filter(status=Status.VERIFIED).exists()


def test_every_row_has_its_creation_in_history():
    call_command("synth", **SMALL)
    for model in MODELS:
        history = history_model_of(model).objects.all()
        assert history.count() == model.objects.count() > 0, model
        assert set(history.values_list("history_type", "history_change_reason")) == {
            ("+", CHANGE_REASON)
        }
        assert not history.filter(history_user__isnull=False).exists()
        for record in history.order_by("?")[:20]:
            assert record.history_date == record.created_at
            assert record.instance.pk == record.id
    # Many-to-many rows are in the history record of their owner's creation.
    for model in (Product, Event, Partnership):
        history_model = history_model_of(model)
        for m2m in m2m_fields(model):
            through = m2m.remote_field.through
            rows = set(through.objects.values_list(m2m.m2m_column_name(), m2m.m2m_reverse_name()))
            historical = getattr(history_model, m2m.name).model.objects.values_list(
                "history__id", m2m.m2m_reverse_name()
            )
            assert rows == set(historical), (model, m2m.name)
            assert len(rows) == historical.count()


def test_same_seed_same_rows_other_seed_other_rows():
    first = synth_dump(seed=7)
    assert first["events_metric"]
    assert synth_dump(seed=7) == first
    other = synth_dump(seed=8)
    assert other["events_metric"] != first["events_metric"]
    assert other["companies_company"] != first["companies_company"]
    # Each kind of record has its own random stream: more metrics, same companies.
    fewer = synth_dump(seed=7, sources=60)
    more = synth_dump(seed=7, sources=60, metrics=300)
    assert more["companies_company"] == fewer["companies_company"]
    assert len(more["events_metric"]) == 300


def test_appends_after_existing_rows_and_moves_sequences():
    call_command("synth", **SMALL)
    call_command("synth", **SMALL)
    assert Metric.objects.count() == 400
    assert Company.objects.values("slug").distinct().count() == 60
    largest = max(Company.objects.values_list("pk", flat=True))
    company = record_save(Company(name="After", slug="after", kind="technology"))
    assert company.pk > largest
    history = Company.history.order_by("history_id")
    assert history.last().id == company.pk
    assert history.filter(history_change_reason=CHANGE_REASON).count() == 60
    metric_type = MetricType.objects.get(slug="employees")
    metric = record_save(
        Metric(metric_type=metric_type, company=company, value=12, qualifier="exact")
    )
    assert metric.pk > 400
    source = record_save(Source(title="After", publisher="P", language="en", kind="other"))
    assert source.pk == Source.objects.order_by("pk").last().pk


def test_sizes_and_derived_defaults():
    call_command(
        "synth",
        companies=10,
        metrics=50,
        products=4,
        people=3,
        sources=7,
        partnerships=2,
        funding_rounds=5,
        events=6,
        verbosity=0,
    )
    counts = Counter(
        {
            "companies": Company.objects.count(),
            "metrics": Metric.objects.count(),
            "products": Product.objects.count(),
            "people": Person.objects.count(),
            "sources": Source.objects.count(),
            "partnerships": Partnership.objects.count(),
            "funding_rounds": FundingRound.objects.count(),
            "events": Event.objects.count(),
        }
    )
    assert counts == Counter(
        companies=10,
        metrics=50,
        products=4,
        people=3,
        sources=7,
        partnerships=2,
        funding_rounds=5,
        events=6,
    )
    assert Citation.objects.filter(source__in=Source.objects.all()).count() > 50


def test_output_and_quiet():
    out = StringIO()
    call_command("synth", companies=5, metrics=10, stdout=out)
    text = out.getvalue()
    assert "metrics:" in text
    assert "events_metric" in text and "rows in" in text
    quiet = StringIO()
    call_command("synth", companies=5, metrics=10, verbosity=0, stdout=quiet)
    assert quiet.getvalue() == ""


def test_refuses_impossible_sizes():
    with pytest.raises(CommandError, match="companies"):
        call_command("synth", companies=0, metrics=10, verbosity=0)
    with pytest.raises(CommandError, match="sources"):
        call_command("synth", companies=5, metrics=10, sources=0, verbosity=0)
    call_command("synth", companies=0, metrics=0, verbosity=0)
    assert not Company.objects.exists()


def indexes() -> dict[str, dict]:
    with connection.cursor() as cursor:
        return {
            model._meta.db_table: connection.introspection.get_constraints(
                cursor, model._meta.db_table
            )
            for model in all_tables()
        }


def test_large_loads_restore_indexes_and_foreign_keys(monkeypatch):
    """Large loads on PostgreSQL drop the plain indexes and foreign keys of the tables
    they fill, and build and check them again at the end."""
    monkeypatch.setattr(synth, "DEFER_UPKEEP_FROM", 10)
    before = indexes()
    with CaptureQueriesContext(connection) as queries:
        call_command("synth", **SMALL)
    assert indexes() == before
    if connection.vendor == "postgresql":
        statements = [query["sql"].split(" ")[:2] for query in queries]
        assert ["DROP", "INDEX"] in statements
        assert ["CREATE", "INDEX"] in statements
        assert any("DROP CONSTRAINT" in query["sql"] for query in queries)
        assert any("ADD CONSTRAINT" in query["sql"] for query in queries)
    assert Metric.objects.count() == 200
    assert Metric.objects.filter(company__isnull=False).order_by("company", "id").exists()


def test_metric_versions_are_edits_recorded_in_history(anon_api):
    call_command("synth", **SMALL, metric_versions=3)
    history = history_model_of(Metric).objects
    assert history.count() == 3 * Metric.objects.count() == 600
    assert Counter(history.values_list("history_type", flat=True)) == {"+": 200, "~": 400}
    metric = Metric.objects.order_by("?").first()
    versions = list(history.filter(id=metric.pk).order_by("history_date"))
    assert [v.version for v in versions] == [1, 2, 3]
    assert versions[-1].history_date == metric.updated_at
    assert metric.version == 3 and metric.note == "Checked again (version 3)."
    assert versions[1].note == "Checked again (version 2)."
    # Between two versions, the API shows the earlier one.
    between = versions[1].history_date.isoformat()
    shown = anon_api.get(f"/api/v1/metrics/{metric.pk}/", {"as_of": between}).json()
    assert (shown["version"], shown["note"]) == (2, "Checked again (version 2).")
    with pytest.raises(CommandError, match="metric-versions"):
        call_command("synth", **SMALL, metric_versions=0)
