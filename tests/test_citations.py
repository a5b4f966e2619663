"""Citations: quotes are checked against the stored text of their source, and
`check_citations` finds the ones that no longer match."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from factbase.core.models import Citation, Source
from factbase.core.services import record_delete, record_save, record_write

from .factories import CitationFactory, CompanyFactory, MetricFactory, SourceFactory

pytestmark = pytest.mark.django_db


def test_a_quote_is_located_in_the_stored_text():
    source = SourceFactory()
    citation = CitationFactory.build(
        source=source,
        fact=CompanyFactory(),
        quote="partnership with Globex",
        char_start=None,
        char_end=None,
    )
    record_save(citation)
    assert source.text[citation.char_start : citation.char_end] == "partnership with Globex"


def test_a_quote_not_in_the_text_is_refused():
    citation = CitationFactory.build(
        source=SourceFactory(), fact=CompanyFactory(), quote="partnership with Initech"
    )
    with pytest.raises(ValidationError) as error:
        record_save(citation)
    assert "quote" in error.value.message_dict


def test_without_stored_text_any_quote_is_accepted_with_a_locator():
    source = SourceFactory(text="", text_sha256="")
    citation = CitationFactory.build(
        source=source,
        fact=CompanyFactory(),
        quote="Anything at all",
        locator="p. 4",
        char_start=None,
        char_end=None,
    )
    record_save(citation)
    assert citation.char_start is None


def test_field_name_must_be_a_field_of_the_fact():
    citation = CitationFactory.build(
        source=SourceFactory(), fact=MetricFactory(), field_name="nope"
    )
    with pytest.raises(ValidationError) as error:
        record_save(citation)
    assert "field_name" in error.value.message_dict


def test_source_text_gets_its_sha256():
    source = SourceFactory.build(text="Bonjour", text_sha256="")
    record_save(source)
    assert source.text_sha256 == (
        "9172e8eec99f144f72eca9a568759580edadb2cfd154857f07e657569493bc44"
    )


def test_check_citations_passes_then_reports_a_citation_whose_text_changed(capsys):
    source = SourceFactory()
    good = CitationFactory(source=source)
    call_command("check_citations")
    assert "1 citations checked against stored text, 0 failed" in capsys.readouterr().out

    # The stored text is corrected later: the quote no longer stands where it did.
    source.text = "Correction: " + source.text
    record_save(source)
    with pytest.raises(CommandError, match="1 failed"):
        call_command("check_citations")
    assert f"citation {good.pk}" in capsys.readouterr().err


def test_a_correction_that_drops_a_quoted_word_is_refused_and_nothing_changes():
    source = SourceFactory()
    citation = CitationFactory(source=source)
    stored = source.text
    source.text = stored.replace("Monday", "Tuesday")
    with pytest.raises(ValidationError) as refused:
        record_save(source)
    assert f"citation {citation.pk}: “{citation.quote}”" in refused.value.message_dict["text"][0]
    source.refresh_from_db()
    assert source.text == stored


def test_check_citations_reports_a_stored_text_changed_behind_its_sha256(capsys):
    source = SourceFactory()
    CitationFactory(source=source)
    call_command("check_citations")
    assert "1 stored texts checked against their SHA-256, 0 changed" in capsys.readouterr().out

    # Changed in SQL, not through the application: its recorded SHA-256 no longer holds.
    Source.objects.filter(pk=source.pk).update(text=source.text + " ")
    with pytest.raises(CommandError, match="1 changed"):
        call_command("check_citations")
    assert f"source {source.pk}: its stored text does not match its SHA-256" in (
        capsys.readouterr().err
    )


def test_the_last_citation_of_a_verified_fact_cannot_be_deleted():
    metric = MetricFactory()
    citation = CitationFactory(fact=metric)
    metric.status = "verified"
    record_save(metric)
    with pytest.raises(ValidationError):
        record_delete(citation)
    assert metric.citations.count() == 1


def test_a_fact_and_its_citations_are_created_in_one_step():
    source = SourceFactory()
    metric = MetricFactory.build(company=CompanyFactory(), status="verified")
    row = {"source": source, "quote": "two million users"}
    record_write(metric, fields={}, children={"citations": [row]}, reason="import")
    assert metric.citations.get().quote == "two million users"
    assert metric.history.get().history_change_reason == "import"


def test_a_verified_fact_without_citations_is_refused():
    metric = MetricFactory.build(company=CompanyFactory(), status="verified")
    with pytest.raises(ValidationError) as error:
        record_save(metric)
    assert "status" in error.value.message_dict
    assert not type(metric).objects.exists()
    assert not type(metric).history.exists()


@pytest.mark.django_db(transaction=True)
def test_the_migration_completes_or_clears_half_made_offsets():
    """Rows the old constraint let through (a start, no end): the end is added where the
    quote stands at that start, else neither offset is kept."""
    before, after = [("factbase", "0007_merges")], [("factbase", "0008_citation_offsets_both")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        source = SourceFactory()  # "Acme Robotics said on Monday..."
        company = CompanyFactory()
        at_start = CitationFactory(source=source, fact=company, quote="Acme Robotics")
        elsewhere = CitationFactory(source=source, fact=company, quote="said on Monday")
        Citation.objects.filter(pk=at_start.pk).update(char_start=0, char_end=None)
        Citation.objects.filter(pk=elsewhere.pk).update(char_start=2, char_end=None)
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        offsets = dict(Citation.objects.values_list("pk", "char_start"))
        ends = dict(Citation.objects.values_list("pk", "char_end"))
        assert (offsets[at_start.pk], ends[at_start.pk]) == (0, len("Acme Robotics"))
        assert (offsets[elsewhere.pk], ends[elsewhere.pk]) == (None, None)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
