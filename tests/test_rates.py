"""Reference exchange rates: `load_rates` (the ECB's file), `fill_usd` (US dollar values of
money facts from them), their admin list, and the demo's US dollar values."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import Metric, MetricType
from factbase.core import feed
from factbase.rates.demo import SAMPLE
from factbase.rates.filling import fill_usd, money_kinds
from factbase.rates.models import ECB_SOURCE, ExchangeRate

from .factories import (
    CitationFactory,
    FundingRoundFactory,
    InvestmentFactory,
    MetricFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

SAMPLE_TEXT = SAMPLE.read_text()
SAMPLE_DAYS = 28
SAMPLE_RATES = 840  # 30 currencies quoted on each of the 28 days; the others N/A
ROUNDS = "/api/v1/funding-rounds/"
REASON = "fill_usd: ECB reference rates"


def run(command: str, *args, **options) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out, **options)
    return out.getvalue()


def stored() -> dict[tuple[str, str], Decimal]:
    return {
        (currency, day.isoformat()): rate
        for currency, day, rate in ExchangeRate.objects.values_list("currency", "day", "rate")
    }


def rate(currency: str, day: str) -> Decimal:
    return ExchangeRate.objects.get(currency=currency, day=day).rate


@pytest.fixture
def rates():
    run("load_rates", str(SAMPLE))


def written(tmp_path, text: str, name: str = "rates.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def with_cell(text: str, day: str, currency: str, value: str) -> str:
    """The ECB CSV `text` with one cell changed."""
    lines = text.split("\n")
    header = lines[0].split(",")
    for number, line in enumerate(lines):
        cells = line.split(",")
        if cells[0] == day:
            cells[header.index(currency)] = value
            lines[number] = ",".join(cells)
            return "\n".join(lines)
    raise AssertionError(f"no row {day}")


def row_of(text: str, day: str) -> str:
    return next(line for line in text.split("\n") if line.startswith(day))


def line_of(text: str, day: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), start=1) if line.startswith(day))


# load_rates


def test_load_rates_stores_the_sample_as_published(rates):
    assert ExchangeRate.objects.count() == SAMPLE_RATES
    assert ExchangeRate.objects.dates("day", "day").count() == SAMPLE_DAYS
    assert rate("USD", "2024-06-11") == Decimal("1.073")
    assert rate("GBP", "2024-06-11") == Decimal("0.84198")
    assert rate("JPY", "2023-12-29") == Decimal("156.33")
    assert set(ExchangeRate.objects.values_list("source", flat=True)) == {ECB_SOURCE}
    # N/A cells are days without a rate: the euro replaced the Cypriot pound in 2008.
    assert not ExchangeRate.objects.filter(currency="CYP").exists()


def test_load_rates_prints_counts_and_a_second_load_changes_nothing():
    first = run("load_rates", str(SAMPLE))
    assert (
        f"{SAMPLE_RATES} rates of 41 currencies over {SAMPLE_DAYS} days, "
        "2023-12-27 to 2025-02-12" in first
    )
    assert first.strip().endswith(f"{SAMPLE_RATES} added, 0 updated, 0 unchanged.")
    before = list(ExchangeRate.objects.order_by("pk").values())

    second = run("load_rates", str(SAMPLE))

    assert second.strip().endswith(
        f"Nothing changed: the {SAMPLE_RATES} rates were already loaded."
    )
    assert list(ExchangeRate.objects.order_by("pk").values()) == before


def test_a_changed_rate_for_a_stored_day_is_updated_and_reported(rates, tmp_path):
    before = stored()
    changed = with_cell(SAMPLE_TEXT, "2024-06-11", "GBP", "0.85")

    output = run("load_rates", written(tmp_path, changed))

    assert "updated GBP on 2024-06-11: 0.84198 → 0.85" in output
    assert output.strip().endswith(f"0 added, 1 updated, {SAMPLE_RATES - 1} unchanged.")
    assert stored() == {**before, ("GBP", "2024-06-11"): Decimal("0.85")}


def test_load_rates_reads_the_zip_the_ecb_ships(tmp_path):
    path = tmp_path / "eurofxref-hist.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("eurofxref-hist.csv", SAMPLE_TEXT)

    output = run("load_rates", str(path))

    assert "eurofxref-hist.zip/eurofxref-hist.csv" in output
    assert ExchangeRate.objects.count() == SAMPLE_RATES


def test_load_rates_reads_the_ecb_daily_file(tmp_path):
    daily = (
        "Date, USD, JPY, GBP, \n"  # the ECB's eurofxref.csv, spaces and all
        "11 June 2024, 1.0730, 168.46, 0.84198, \n"
    )
    run("load_rates", written(tmp_path, daily, "eurofxref.csv"))
    assert stored() == {
        ("USD", "2024-06-11"): Decimal("1.073"),
        ("JPY", "2024-06-11"): Decimal("168.46"),
        ("GBP", "2024-06-11"): Decimal("0.84198"),
    }


BAD_FILES = {
    "a letter in a number": (
        with_cell(SAMPLE_TEXT, "2024-06-11", "GBP", "abc"),
        f"line {line_of(SAMPLE_TEXT, '2024-06-11')}, column GBP: 'abc' is not a number.",
    ),
    "a negative rate": (
        with_cell(SAMPLE_TEXT, "2024-06-12", "USD", "-1.07"),
        f"line {line_of(SAMPLE_TEXT, '2024-06-12')}, column USD: '-1.07' is not a number.",
    ),
    "a zero rate": (
        with_cell(SAMPLE_TEXT, "2024-06-12", "JPY", "0"),
        f"line {line_of(SAMPLE_TEXT, '2024-06-12')}, column JPY: 0: a rate is above zero.",
    ),
    "more decimals than kept": (
        with_cell(SAMPLE_TEXT, "2024-06-12", "USD", "1.076512345"),
        "column USD: 1.076512345 has more than 8 decimal places; nothing is rounded.",
    ),
    "no Date column": (
        SAMPLE_TEXT.replace("Date,", "Day,", 1),
        "line 1, column 1: the first column must be Date (the ECB's format), not 'Day'.",
    ),
    "an empty file": ("", "the file is empty: expected a header line Date,USD,JPY,..."),
    "a header only": (SAMPLE_TEXT.split("\n")[0] + "\n", "line 1: no rows of rates after"),
    "a malformed date": (
        SAMPLE_TEXT.replace("2024-06-11,", "2024-13-11,", 1),
        f"line {line_of(SAMPLE_TEXT, '2024-06-11')}, column Date: '2024-13-11' is not a date",
    ),
    "a day twice": (
        SAMPLE_TEXT.replace("2024-06-10,", "2024-06-11,", 1),
        f"line {line_of(SAMPLE_TEXT, '2024-06-10')}, column Date: 2024-06-11 is already on "
        f"line {line_of(SAMPLE_TEXT, '2024-06-11')}.",
    ),
    "a lower-case currency": (
        SAMPLE_TEXT.replace(",GBP,", ",gbp,", 1),
        "line 1, column 9: 'gbp' is not a currency code (three capital letters).",
    ),
    "a value under no currency": (
        # A cell after the ECB's trailing comma.
        SAMPLE_TEXT.replace(
            row_of(SAMPLE_TEXT, "2024-06-12"), row_of(SAMPLE_TEXT, "2024-06-12") + "1.5"
        ),
        f"line {line_of(SAMPLE_TEXT, '2024-06-12')}, column 43: '1.5' is under no currency.",
    ),
}


@pytest.mark.parametrize("text, message", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_file_names_its_line_and_column_and_writes_nothing(rates, tmp_path, text, message):
    before = list(ExchangeRate.objects.order_by("pk").values())
    if "\n2025-02-12," in text:
        # A changed rate and a new day too: neither may be written when the file is refused.
        text = with_cell(text, "2025-02-11", "USD", "1.5").replace("2025-02-12,", "2025-02-13,")
    path = written(tmp_path, text)

    with pytest.raises(CommandError) as refused:
        run("load_rates", path)

    assert message in str(refused.value)
    assert str(refused.value).endswith("Nothing was loaded.")
    assert list(ExchangeRate.objects.order_by("pk").values()) == before


def test_a_file_that_is_not_utf8_or_not_there_is_refused(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_bytes(b"Date,USD,\n2024-06-11,1.073\xff,\n")
    with pytest.raises(CommandError, match=r"line 2: not UTF-8 text"):
        run("load_rates", str(path))
    with pytest.raises(CommandError, match="cannot read"):
        run("load_rates", str(tmp_path / "missing.csv"))
    assert not ExchangeRate.objects.exists()


# fill_usd


def revenue(**fields) -> Metric:
    return MetricFactory(
        metric_type=MetricType.objects.get(slug="revenue"),
        currency=fields.pop("currency", "EUR"),
        **fields,
    )


def round_on(day: str, value: str = "600000000", currency: str = "EUR", **fields):
    return FundingRoundFactory(
        announced_on=datetime.date.fromisoformat(day),
        announced_precision="day",
        value=Decimal(value),
        currency=currency,
        **fields,
    )


def usd_of(fact) -> tuple:
    fact.refresh_from_db()
    return (fact.value_usd, fact.usd_rate, fact.usd_rate_on, fact.usd_rate_source)


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def test_fill_usd_converts_euros_pounds_and_dollars_on_their_day(rates):
    euros = round_on("2024-06-11")  # Mistral's Series B: €600M
    pounds = round_on("2024-06-11", "100000000", "GBP")
    dollars = round_on("2024-06-11", "250000000", "USD")

    output = run("fill_usd")

    assert usd_of(euros) == (Decimal("643800000"), Decimal("1.073"), day("2024-06-11"), ECB_SOURCE)
    # USD/EUR ÷ GBP/EUR: 1.073 / 0.84198 = 1.274377..., to 6 significant digits.
    assert usd_of(pounds) == (
        Decimal("127438000"),
        Decimal("1.27438"),
        day("2024-06-11"),
        ECB_SOURCE,
    )
    assert usd_of(dollars) == (
        Decimal("250000000"),
        Decimal("1"),
        day("2024-06-11"),
        "none needed: the amount is in US dollars",
    )
    assert (
        f"funding-rounds {euros.pk} ({euros}): €600,000,000 × 1.073 USD per EUR "
        "(rate of 2024-06-11, for 2024-06-11 (announced_on)) = $643,800,000" in output
    )
    assert output.strip().splitlines()[-1] == (
        "3 filled, 0 skipped, 0 already had a US dollar value."
    )


def test_a_weekend_date_takes_fridays_rate(rates):
    saturday = round_on("2024-06-08")
    sunday = round_on("2024-06-09", "100000000", "GBP")
    new_year = revenue(
        value=Decimal("500000000"), period_start=day("2025-01-01"), period_precision="year"
    )

    run("fill_usd")

    assert usd_of(saturday)[:3] == (Decimal("653880000"), Decimal("1.0898"), day("2024-06-07"))
    # 1.0898 / 0.8512 (GBP on Friday 7 June)
    assert usd_of(sunday)[:3] == (Decimal("128031000"), Decimal("1.28031"), day("2024-06-07"))
    # 1 January is a holiday: the year's revenue target at the rate of 31 December.
    assert usd_of(new_year)[:3] == (Decimal("519450000"), Decimal("1.0389"), day("2024-12-31"))


def test_a_range_is_converted_at_one_rate(rates):
    metric = revenue(
        value=Decimal("10000000"),
        value_high=Decimal("99999999"),
        qualifier="range",
        period_start=day("2024-01-01"),
        period_precision="year",
    )

    output = run("fill_usd")

    # The high end is value_high × usd_rate: $110,499,998.90.
    assert usd_of(metric)[:3] == (Decimal("11050000"), Decimal("1.105"), day("2023-12-29"))
    assert "= $11,050,000–110,499,998.9" in output


def test_no_rate_near_the_date_or_for_the_currency_is_skipped_with_the_reason(rates):
    too_far = round_on("2024-03-15")  # the sample holds no rate that month
    pesos = round_on("2024-06-11", "5000000", "ARS")  # the ECB publishes no peso rate
    filled = round_on("2024-06-11")

    output = run("fill_usd")

    assert usd_of(too_far)[0] is None
    assert usd_of(pesos)[0] is None
    assert usd_of(filled)[0] == Decimal("643800000")
    assert "skipped: no ECB rate for EUR on 2024-03-15 or the 7 days before." in output
    assert (
        f"funding-rounds {pesos.pk} ({pesos}): ARS 5,000,000 skipped: no ECB rate for ARS."
        in output
    )
    assert output.strip().splitlines()[-1] == (
        "1 filled, 2 skipped (2 no rate), 0 already had a US dollar value."
    )


def test_dates_from_the_round_then_the_earliest_source(rates):
    round_ = round_on("2024-06-11")
    in_round = InvestmentFactory(
        company=round_.company,
        funding_round=round_,
        value=Decimal("150000000"),
        qualifier="approximate",
        currency="EUR",
    )
    cited = InvestmentFactory(value=Decimal("1000000"), qualifier="exact", currency="EUR")
    CitationFactory(fact=cited, source=SourceFactory(published_on=day("2025-02-11")))
    CitationFactory(fact=cited, source=SourceFactory(published_on=day("2025-02-12")))
    undated = InvestmentFactory(value=Decimal("1000000"), qualifier="exact", currency="EUR")

    output = run("fill_usd", "--kind", "investments")

    assert usd_of(in_round)[:3] == (Decimal("160950000"), Decimal("1.073"), day("2024-06-11"))
    assert "for 2024-06-11 (funding_round.announced_on)" in output
    assert usd_of(cited)[:3] == (Decimal("1032400"), Decimal("1.0324"), day("2025-02-11"))
    assert "for 2025-02-11 (its earliest source's publication date)" in output
    assert usd_of(undated)[0] is None
    assert "skipped: no date: none of its own, and no source citing it has one." in output
    # --kind investments: the round is left alone.
    assert usd_of(round_)[0] is None


def test_the_rates_are_read_once_per_currency_whatever_the_number_of_facts(rates):
    for _ in range(6):
        round_on("2024-06-11")
        round_on("2024-06-09", "100000000", "GBP")
        InvestmentFactory(value=Decimal("1000"), qualifier="exact", currency="EUR")
    with CaptureQueriesContext(connection) as queries:
        output = run("fill_usd")
    assert output.strip().splitlines()[-1].startswith("12 filled, 6 skipped (6 no date)")
    reads = [q["sql"] for q in queries.captured_queries if "rates_exchangerate" in q["sql"]]
    assert len(reads) == 2  # the USD series and the GBP series; EUR is the USD series
    # The dates of the investments' sources: one query for the chunk, not one per fact.
    sources = [q["sql"] for q in queries.captured_queries if "published_on" in q["sql"]]
    assert len(sources) == 1


def test_dry_run_prints_what_it_would_do_and_writes_nothing(rates):
    round_ = round_on("2024-06-11")
    history = round_.history.count()

    output = run("fill_usd", dry_run=True)

    assert "= $643,800,000 (dry run)" in output
    assert output.strip().splitlines()[-1] == (
        "Dry run, nothing written: 1 would be filled, 0 skipped, 0 already had a US dollar value."
    )
    assert usd_of(round_)[0] is None
    assert (round_.version, round_.history.count()) == (1, history)


def test_history_records_the_user_and_the_reason(rates):
    alice = get_user_model().objects.create_user("alice")
    round_ = round_on("2024-06-11")
    metric = revenue(
        value=Decimal("500000000"), period_start=day("2025-01-01"), period_precision="year"
    )

    run("fill_usd", "--kind", "funding-rounds", "--user", "alice")
    run("fill_usd", reason="second pass")

    last = round_.history.latest("history_id")
    assert (last.history_user, last.history_change_reason) == (alice, REASON)
    assert (last.value_usd, last.version) == (Decimal("643800000"), 2)
    last = metric.history.latest("history_id")
    assert (last.history_user, last.history_change_reason) == (None, "fill_usd: second pass")


def test_a_value_in_dollars_already_is_counted_and_left_alone(rates):
    round_ = round_on("2024-06-11")
    run("fill_usd")
    history = round_.history.count()

    output = run("fill_usd")

    assert output.strip() == "0 filled, 0 skipped, 1 already had a US dollar value."
    assert round_.history.count() == history


def test_fill_usd_options_are_checked(rates):
    with pytest.raises(CommandError, match="--user: no user 'nobody'"):
        run("fill_usd", user="nobody")
    with pytest.raises(CommandError, match="invalid choice: 'companies'"):
        run("fill_usd", "--kind", "companies")
    with pytest.raises(CommandError, match="--kind: not a kind of record with money: companies"):
        run("fill_usd", kind=["companies"])
    with pytest.raises(CommandError, match="--reason: A reason has at most 90 characters"):
        run("fill_usd", reason="x" * 91)


def test_a_filled_round_is_found_in_dollars_and_passes_the_consistency_check(rates, editor_api):
    round_ = round_on("2024-06-11", "100000000", "GBP")
    run("fill_usd")

    found = editor_api.get(f"{ROUNDS}?value_usd_min=127000000&fields=id,value_usd,usd_rate")
    assert found.status_code == 200
    assert found.json()["results"] == [
        {"id": round_.pk, "value_usd": "127438000", "usd_rate": "1.27438"}
    ]
    assert editor_api.get(f"{ROUNDS}?value_usd_min=127438000.01").json()["results"] == []

    # Every write checks value_usd against value × usd_rate: the filled values pass.
    response = editor_api.patch(f"{ROUNDS}{round_.pk}/", {"note": "Checked."}, format="json")
    assert response.status_code == 200, response.content
    round_.refresh_from_db()
    assert (round_.note, round_.value_usd) == ("Checked.", Decimal("127438000"))


# The admin list


def test_staff_see_the_rates_filter_them_by_currency_and_search_them(client, rates):
    staff = get_user_model().objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(staff)
    changelist = reverse("admin:rates_exchangerate_changelist")

    page = client.get(changelist, {"currency": "GBP", "day__year": "2024", "day__month": "6"})

    assert page.status_code == 200
    rows = page.context["cl"].result_list
    assert {row.currency for row in rows} == {"GBP"}
    assert len(rows) == 7
    assert "0.84198" in page.content.decode()
    found = client.get(changelist, {"q": "JPY"}).context["cl"].result_list
    assert {row.currency for row in found} == {"JPY"}
    one = ExchangeRate.objects.get(currency="GBP", day="2024-06-11")
    assert client.get(reverse("admin:rates_exchangerate_change", args=[one.pk])).status_code == 200
    assert client.get(reverse("admin:rates_exchangerate_add")).status_code == 403
    before = stored()
    client.post(reverse("admin:rates_exchangerate_change", args=[one.pk]), {"rate": "2"})
    client.post(reverse("admin:rates_exchangerate_delete", args=[one.pk]), {"post": "yes"})
    assert stored() == before


def test_the_rates_are_for_staff_only(client, rates):
    user = get_user_model().objects.create_user("reader", password="pw")
    client.force_login(user)
    page = client.get(reverse("admin:rates_exchangerate_changelist"))
    assert page.status_code == 302 and "/login/" in page["Location"]


# The demo and snapshots


def unconverted_money() -> list:
    return [
        fact
        for kind in money_kinds()
        for fact in kind.model.objects.filter(value__isnull=False, value_usd__isnull=True).exclude(
            currency=""
        )
    ]


def test_load_demo_fills_the_demos_money_facts_from_the_sample_rates():
    output = run("load_demo")

    assert f"exchange rates: {SAMPLE_RATES} created, 0 already present" in output
    filled = sum(
        kind.model.objects.filter(value_usd__isnull=False).count() for kind in money_kinds()
    )
    assert filled >= 4  # total funding, revenue, its 2025 target, the planned investment
    assert f"US dollar values: {filled} created, 0 already present" in output
    assert unconverted_money() == []
    target = Metric.objects.get(metric_type__slug="revenue-target")
    assert usd_of(target) == (
        Decimal("519450000"),
        Decimal("1.0389"),
        day("2024-12-31"),
        ECB_SOURCE,
    )
    # Its US dollar value came last, in a version of its own, recorded as the demo's.
    latest, before = target.history.order_by("-history_id")[:2]
    assert (latest.history_change_reason, latest.value_usd, before.value_usd) == (
        "load_demo",
        Decimal("519450000"),
        None,
    )
    assert latest.version == before.version + 1

    again = run("load_demo")

    assert f"US dollar values: 0 created, {filled} already present" in again
    assert f"exchange rates: 0 created, {SAMPLE_RATES} already present" in again


def test_load_demo_leaves_money_facts_it_did_not_load_alone():
    other = round_on("2024-06-11")
    run("load_demo")
    assert usd_of(other)[0] is None


def test_snapshots_leave_the_rates_out(rates, tmp_path):
    path = tmp_path / "snapshot.zip"
    call_command("export_snapshot", out=str(path), verbosity=0)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert "data/events_fundinground.csv" in names
    assert not [name for name in names if "exchangerate" in name]


@pytest.mark.parametrize(
    "kinds", [[], ["--kind", "investments", "--kind", "funding-rounds"]], ids=["all", "named"]
)
def test_a_rounds_investments_filled_together_are_one_version_of_it(rates, editor_api, kinds):
    round_ = round_on("2024-06-11")
    for number in (1, 2, 3):
        InvestmentFactory(
            company=round_.company,
            funding_round=round_,
            value=Decimal(number * 1000000),
            qualifier="exact",
            currency="EUR",
        )

    run("fill_usd", *kinds)

    # Its own value and its three investments', in one version, whatever order the kinds
    # are named in.
    round_.refresh_from_db()
    assert round_.version == 2 and round_.value_usd == Decimal("643800000")
    response = editor_api.get(f"/api/v1/funding-rounds/{round_.pk}/history/")
    assert response.status_code == 200
    (version, *_) = response.json()["results"]
    fields = sorted(change["field"] for change in version["changes"])
    assert fields[:3] == ["investments"] * 3 and "value_usd" in fields


@pytest.mark.django_db(transaction=True)  # the round's write commits: it holds nothing
def test_a_dry_run_keeps_no_writer_waiting(rates):
    """It writes nothing, so it takes no lock: not the change clock, where every writer
    queues (factbase.core.feed.hold)."""
    round_on("2024-06-11")
    held = []
    fill_usd(dry_run=True, each=lambda conversion: held.append(feed._holding(connection)))
    assert held == [False]


def test_the_kinds_may_be_named_by_any_iterable(rates):
    """`kind_names` is read twice (the unknown names, then the chosen kinds): a generator
    chooses the same kinds as a list."""
    round_on("2024-06-11")
    report = fill_usd(dry_run=True, kind_names=(name for name in ["funding-rounds"]))
    assert dict(report.filled) == {"funding-rounds": 1}
