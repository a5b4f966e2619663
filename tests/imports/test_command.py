"""`manage.py import_facts FILE --kind KIND`: its options, its output, its exit status."""

import pytest

from companies.models import Company, Role
from events.models import Metric, Partnership
from tests.factories import CompanyFactory
from tests.imports.helpers import history_count, run_command

pytestmark = pytest.mark.django_db

ROWS = "company_slug,metric_type_slug,qualifier,value\nacme,downloads,exact,12\n"


@pytest.fixture
def acme(db):
    return CompanyFactory(slug="acme", name="Acme")


@pytest.fixture
def rows_file(tmp_path, acme):
    path = tmp_path / "rows.csv"
    path.write_text(ROWS, encoding="utf-8")
    return path


def test_a_dry_run_says_what_it_would_do_and_writes_nothing(rows_file):
    before = history_count()
    status, out, err = run_command(rows_file, "--kind", "metrics", "--dry-run")
    assert (status, err) == (0, "")
    assert out.strip() == (
        "rows.csv: 1 row (1 new, 0 update, 0 unchanged, 0 error). Dry run: nothing was written."
    )
    assert history_count() == before


def test_the_user_and_reason_are_recorded(rows_file, editor):
    status, out, _ = run_command(
        rows_file, "--kind", "metrics", "--user", "editor", "--reason", "from the Q1 report"
    )
    assert status == 0
    version = Metric.objects.get().history.get()
    assert (version.history_user, version.history_change_reason) == (
        editor,
        "import rows.csv: from the Q1 report",
    )


def test_bad_options_are_named(rows_file):
    assert (
        "--user: no user 'nobody'"
        in run_command(rows_file, "--kind", "metrics", "--user", "nobody")[2]
    )
    status, _, err = run_command(rows_file, "--kind", "metrics", "--reason", "x" * 95)
    assert status == 1 and "--reason: A reason has at most" in err
    status, _, err = run_command(rows_file.with_name("absent.csv"), "--kind", "metrics")
    assert status == 1 and "Cannot read" in err
    assert Metric.objects.count() == 0


def test_the_format_may_be_given(tmp_path, acme):
    path = tmp_path / "rows.txt"
    path.write_text(ROWS, encoding="utf-8")
    status, _, err = run_command(path, "--kind", "metrics", "--format", "csv")
    assert status == 0, err
    assert Metric.objects.count() == 1


def test_progress_goes_to_stderr(tmp_path, acme):
    path = tmp_path / "many.csv"
    # Rows refused as they are read (formulas) count as rows done, without a write each.
    path.write_text(ROWS + "acme,downloads,exact,=1\n" * 1200, encoding="utf-8")
    status, out, err = run_command(path, "--kind", "metrics", "--progress", "--dry-run")
    assert status == 1
    assert "\r500 rows, " in err and "\r1,000 rows, " in err and "\r1,201 rows, " in err
    assert "rows/s" in err
    assert "many.csv: 1,201 rows (1 new, 0 update, 0 unchanged, 1,200 error)" in err


def test_a_refused_row_exits_1_with_its_line_and_column(tmp_path, acme):
    path = tmp_path / "bad.csv"
    path.write_text(ROWS + "acme,downloads,exactly,13\n", encoding="utf-8")
    status, out, err = run_command(path, "--kind", "metrics")
    assert status == 1
    assert 'line 3, column qualifier: "exactly" is not a valid choice.' in err
    assert "bad.csv: 2 rows (1 new, 0 update, 0 unchanged, 1 error). Nothing was written" in err
    assert Metric.objects.count() == 0


def test_missing_companies_are_created_on_request_with_their_name(tmp_path, acme):
    path = tmp_path / "new.csv"
    path.write_text(
        "company_slug,company_name,metric_type_slug,qualifier,value\n"
        "new-co,New Co,downloads,exact,12\n"
        "new-co,New Co,downloads,exact,13\n",
        encoding="utf-8",
    )
    status, _, err = run_command(path, "--kind", "metrics")
    assert status == 1
    assert "line 2, column company_slug: No company with" in err

    status, out, err = run_command(path, "--kind", "metrics", "--dry-run", "--create-missing")
    assert status == 0, err
    assert "line 2: created company 'new-co' (undone)" in out
    assert not Company.objects.filter(slug="new-co").exists()

    status, out, err = run_command(path, "--kind", "metrics", "--create-missing")
    assert status == 0, err
    assert out.splitlines()[0] == "line 2: created company 'new-co'"
    company = Company.objects.get(slug="new-co")
    assert (company.name, company.kind, company.status) == ("New Co", "other", "unverified")
    assert company.history.get().history_change_reason == "import new.csv"
    assert Metric.objects.filter(company=company).count() == 2


def test_companies_a_child_list_names_are_created_on_request(tmp_path, acme):
    """A partnership's parties and a person's roles name companies too: --create-missing
    creates those as it does a row's own company."""
    parties = tmp_path / "partnerships.csv"
    parties.write_text(
        "title,kind,stage,parties\n"
        "New deal,other,announced,acme (provider); brand-new-co (customer)\n",
        encoding="utf-8",
    )
    status, _, err = run_command(parties, "--kind", "partnerships")
    assert status == 1
    assert "line 2, column parties: item 2: company: No company with" in err

    status, out, err = run_command(parties, "--kind", "partnerships", "--create-missing")
    assert status == 0, err
    assert "line 2: created company 'brand-new-co'" in out
    party = Partnership.objects.get(title="New deal").parties.get(role="customer")
    assert party.company.slug == "brand-new-co"
    assert party.company.history.get().history_change_reason == "import partnerships.csv"

    roles = tmp_path / "people.csv"
    roles.write_text("name,slug,roles\nAda Quorple,ada-quorple,other-new-co (CEO)\n", "utf-8")
    status, out, err = run_command(roles, "--kind", "people", "--create-missing")
    assert status == 0, err
    assert "line 2: created company 'other-new-co'" in out
    assert Role.objects.get(person__slug="ada-quorple").company.slug == "other-new-co"


def test_a_file_is_written_at_one_instant_and_each_record_by_one_row(tmp_path, acme):
    path = tmp_path / "rows.csv"
    path.write_text(ROWS + "acme,downloads,exact,13\n", encoding="utf-8")
    assert run_command(path, "--kind", "metrics")[0] == 0
    first, second = Metric.objects.order_by("pk")
    # Time travel shows the file written or not, never half of it.
    assert first.updated_at == second.updated_at

    # Two versions of one record would share that instant: a second row changing it is
    # refused, one repeating it unchanged is not.
    path.write_text(f"id,value\n{first.pk},14\n{second.pk},15\n{first.pk},14\n{first.pk},16\n")
    status, _, err = run_command(path, "--kind", "metrics")
    assert status == 1
    assert "(0 new, 2 update, 1 unchanged, 1 error)" in err
    assert (
        f"line 5, column id: An earlier row of this file changes metric {first.pk} already: "
        "give each record's changes in one row." in err
    )
    assert sorted(Metric.objects.values_list("value", flat=True)) == [12, 13]
