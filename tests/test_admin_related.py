"""Related records on admin change pages (factbase.admin.related): each panel lists the
records linked to the page's record and no others, links each to its admin page, pages
long lists with a link to all of them in their list, and costs the same number of
queries however many rows it has. Also the citation list's fact column."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from companies.models import Company
from events.models import Metric, MetricType, PartnershipParty
from factbase.core.services import record_save

from .factories import (
    CitationFactory,
    CompanyFactory,
    EventFactory,
    FundingRoundFactory,
    InvestmentFactory,
    PartnershipFactory,
    PersonFactory,
    ProductFactory,
    RoleFactory,
    SourceFactory,
    platform,
)

pytestmark = pytest.mark.django_db


def change_url(record) -> str:
    opts = record._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])


def page_of(client, record) -> str:
    response = client.get(change_url(record))
    assert response.status_code == 200
    return response.content.decode()


def panel(page: str, title: str) -> str:
    """The HTML of the panel headed `title`."""
    match = re.search(
        rf'<h2 id="related-\d+">{re.escape(title)} <span.*?</section>', page, flags=re.S
    )
    assert match, f"no panel {title!r}"
    return match.group(0)


def links(html: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', html))


def metric(subject, value=1000, *, slug="downloads", region="FR", status="unverified", **extra):
    field = "product" if subject._meta.model_name == "product" else "company"
    fields = {
        "metric_type": MetricType.objects.get(slug=slug),
        field: subject,
        "qualifier": "exact",
        "value": Decimal(value),
        "region": region,
        "period_start": datetime.date(2025, 2, 1),
        "period_precision": "month",
        "status": status,
        **extra,
    }
    return record_save(Metric(**fields))


def party(partnership, company, role="partner"):
    return PartnershipParty.objects.create(partnership=partnership, company=company, role=role)


@pytest.fixture
def company():
    """Mistral with a product, a role, a round, an investment it made, a partnership,
    an event and metrics; and another company with the same kinds of records."""
    mistral = CompanyFactory(name="Mistral AI", slug="mistral")
    other = CompanyFactory(name="Other Lab", slug="other")
    for owner in (mistral, other):
        product = ProductFactory(company=owner, name=f"{owner.name} chat")
        RoleFactory(company=owner, person=PersonFactory(name=f"{owner.name} boss"), title="CEO")
        FundingRoundFactory(company=owner, round_type="seed")
        metric(owner, 11, slug="revenue-target", currency="EUR")
        metric(product, 22)
        EventFactory(title=f"{owner.name} summit").companies.add(owner)
    InvestmentFactory(investor=mistral, company=CompanyFactory(name="Funded Startup"))
    InvestmentFactory(investor=CompanyFactory(name="Big Fund"), company=mistral)
    deal = PartnershipFactory(title="Mistral – Stellantis")
    party(deal, mistral, "provider")
    party(deal, CompanyFactory(name="Stellantis"), "customer")
    return mistral


def test_a_company_page_lists_its_related_records_and_no_others(editor_client, company):
    page = page_of(editor_client, company)

    products = panel(page, "Products")
    assert "Mistral AI chat" in products and "Other Lab chat" not in products
    product = company.products.get()
    assert change_url(product) in links(products)

    roles = panel(page, "People and roles")
    assert "Mistral AI boss" in roles and "Other Lab boss" not in roles
    role = company.roles.get()
    assert {change_url(role), change_url(role.person)} <= links(roles)

    rounds = panel(page, "Funding rounds")
    assert "Seed" in rounds and "(1)" in rounds
    assert change_url(company.funding_rounds.get()) in links(rounds)

    made = panel(page, "Investments made (as investor)")
    assert "Funded Startup" in made and "Big Fund" not in made

    deals = panel(page, "Partnerships")
    assert "Mistral – Stellantis" in deals
    assert "Stellantis (Customer)" in deals  # the other party, with its role
    assert "Mistral AI (Provider)" not in deals  # not the company itself

    events = panel(page, "Events")
    assert "Mistral AI summit" in events and "Other Lab summit" not in events

    metrics = panel(page, "Metrics of the company and its products")
    own = Metric.objects.filter(company=company).get()
    of_product = Metric.objects.filter(product=product).get()
    others = Metric.objects.exclude(pk__in=[own.pk, of_product.pk])
    assert {change_url(own), change_url(of_product)} <= links(metrics)
    assert not {change_url(m) for m in others} & links(metrics)
    assert "Revenue target" in metrics and "Downloads" in metrics  # grouped by type
    assert "Unverified" in metrics  # each row with its status


def test_a_long_panel_shows_a_page_and_links_to_all_in_the_list(editor_client):
    company = CompanyFactory()
    products = [ProductFactory(company=company, name=f"Product {i:02}") for i in range(25)]
    ProductFactory(name="Not theirs")
    products_panel = panel(page_of(editor_client, company), "Products")
    assert "(25)" in products_panel
    assert products_panel.count('class="related-row') == 20
    all_url = reverse("admin:companies_product_changelist") + f"?company__id__exact={company.pk}"
    assert f'href="{all_url}">All 25</a>' in products_panel.replace("&amp;", "&")

    listing = editor_client.get(all_url)
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 25
    assert {p.pk for p in listing.context["cl"].result_list} == {p.pk for p in products}


def test_all_the_metrics_of_a_company_and_its_products_in_their_list(editor_client):
    company = CompanyFactory()
    product = ProductFactory(company=company)
    ours = [
        metric(company, i + 1, period_start=datetime.date(2020 + i % 5, 1, 1)) for i in range(12)
    ]
    ours += [
        metric(product, i + 1, period_start=datetime.date(2020 + i % 5, 1, 1)) for i in range(12)
    ]
    metric(CompanyFactory(), 5)
    metrics_panel = panel(
        page_of(editor_client, company), "Metrics of the company and its products"
    )
    match = re.search(r'href="([^"]+)">All 24</a>', metrics_panel)
    assert match
    listing = editor_client.get(match.group(1).replace("&amp;", "&"))
    assert listing.status_code == 200
    assert {m.pk for m in listing.context["cl"].queryset} == {m.pk for m in ours}


def fill_company(company, n: int) -> None:
    """`n` records of every kind a company's page shows."""
    for i in range(n):
        product = ProductFactory(company=company)
        RoleFactory(company=company)
        FundingRoundFactory(company=company)
        InvestmentFactory(investor=company)
        deal = PartnershipFactory()
        party(deal, company)
        party(deal, CompanyFactory())
        EventFactory().companies.add(company)
        metric(company, i + 1, region="DE", platform=platform("ios"))
        metric(product, i + 1)


def queries_of(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_a_company_page_costs_the_same_queries_with_3_or_30_of_each(
    editor_client, django_assert_max_num_queries
):
    few, many = CompanyFactory(), CompanyFactory()
    fill_company(few, 3)
    fill_company(many, 30)
    queries_of(editor_client, change_url(few))  # sessions, permissions: read once
    with_few = queries_of(editor_client, change_url(few))
    with django_assert_max_num_queries(with_few):
        page = editor_client.get(change_url(many)).content.decode()
    assert "All 30" in page and "All 60" in page  # paged, and the metrics of both
    with django_assert_max_num_queries(60):
        editor_client.get(change_url(many))


def test_a_product_page_lists_its_metrics_by_type_events_and_partnerships(editor_client):
    product = ProductFactory(name="Le Chat")
    other = ProductFactory(name="ChatGPT")
    rank = metric(product, 1, slug="app-store-rank", platform=platform("ios"))
    downloads = metric(product, 1_000_000)
    theirs = metric(other, 2_000_000)
    EventFactory(title="Macron endorses Le Chat").products.add(product)
    EventFactory(title="ChatGPT launch").products.add(other)
    deal = PartnershipFactory(title="AFP – Le Chat")
    deal.products.add(product)
    party(deal, CompanyFactory(name="AFP"), "provider")
    party(deal, product.company, "customer")

    page = page_of(editor_client, product)
    metrics = panel(page, "Metrics")
    assert {change_url(rank), change_url(downloads)} <= links(metrics)
    assert change_url(theirs) not in links(metrics)
    headings = re.findall(r'<th scope="rowgroup"[^>]*>([^<]+)</th>', metrics)
    assert headings == ["App-store rank", "Downloads"]
    assert "Macron endorses Le Chat" in panel(page, "Events")
    assert "ChatGPT launch" not in panel(page, "Events")
    deals = panel(page, "Partnerships")
    assert "AFP – Le Chat" in deals and "AFP (Provider)" in deals


def test_a_person_page_lists_roles_events_and_quotes_attributed_to_them(editor_client):
    person, someone = PersonFactory(name="Arthur Mensch"), PersonFactory()
    role = RoleFactory(person=person, company=CompanyFactory(name="Mistral AI"))
    RoleFactory(person=someone, company=CompanyFactory(name="Elsewhere"))
    EventFactory(title="Interview").people.add(person)
    fact = metric(ProductFactory(name="Le Chat"), 5)
    source = SourceFactory(title="Le Monde interview")
    quote = CitationFactory(fact=fact, source=source, attributed_to=person)
    CitationFactory(fact=role, attributed_to=someone, quote="The company also announced")

    page = page_of(editor_client, person)
    roles = panel(page, "Roles")
    assert "Mistral AI" in roles and "Elsewhere" not in roles
    assert change_url(role.company) in links(roles)
    assert "Interview" in panel(page, "Events")
    quotes = panel(page, "Quotes attributed to them")
    assert "(1)" in quotes
    assert "Acme Robotics said on Monday" in quotes and "The company also announced" not in quotes
    assert {change_url(quote), change_url(fact), change_url(source)} <= links(quotes)
    assert "Le Chat · Downloads" in quotes  # the fact by its name


def test_an_event_page_shows_its_parts_and_the_event_it_is_part_of(editor_client):
    summit = EventFactory(title="AI Action Summit")
    endorsement = EventFactory(title="Macron endorses Le Chat", part_of=summit)
    talk = EventFactory(title="A talk", part_of=summit)
    EventFactory(title="Unrelated")

    page = page_of(editor_client, summit)
    parts = panel(page, "Its parts")
    assert {change_url(endorsement), change_url(talk)} <= links(parts)
    assert "Unrelated" not in parts
    assert "None." in panel(page, "Part of")

    larger = panel(page_of(editor_client, endorsement), "Part of")
    assert change_url(summit) in links(larger)


def test_a_metric_page_shows_the_same_measure_its_conflicts_and_its_sources(editor_client):
    product = ProductFactory(name="Le Chat")
    first = metric(product, 1_000_000)
    later = metric(product, 3_000_000, period_start=datetime.date(2025, 6, 1))
    conflicting = metric(product, 5_000_000)
    elsewhere = metric(product, 7, region="DE")
    on_ios = metric(product, 8, platform=platform("ios"))
    CitationFactory(fact=first, source=SourceFactory(publisher="Le Monde"))
    CitationFactory(fact=first, source=SourceFactory(publisher="Le Monde"))
    CitationFactory(fact=first, source=SourceFactory(publisher="Reuters"))

    page = page_of(editor_client, first)
    same = panel(page, "Other claims of the same measure (type, subject, region, platform)")
    assert {change_url(later), change_url(conflicting)} <= links(same)
    assert not {change_url(first), change_url(elsewhere), change_url(on_ios)} & links(same)

    conflicts = panel(page, "Open conflicts")
    assert change_url(conflicting) in links(conflicts)
    assert change_url(later) not in links(conflicts)
    assert "exactly 1,000,000 vs exactly 5,000,000" in conflicts

    assert re.search(r"independent sources.*?2 \(corroborated\)", page, flags=re.S | re.I)


def test_a_metric_pages_same_measure_link_lists_exactly_those(editor_client):
    product = ProductFactory()
    claims = [metric(product, i + 1, period_start=datetime.date(2000 + i, 1, 1)) for i in range(23)]
    metric(product, 5, region="DE")
    metric(ProductFactory(), 5)
    same = panel(
        page_of(editor_client, claims[0]),
        "Other claims of the same measure (type, subject, region, platform)",
    )
    match = re.search(r'href="([^"]+)">All 22</a>', same)
    assert match
    listing = editor_client.get(match.group(1).replace("&amp;", "&"))
    assert listing.status_code == 200
    assert {m.pk for m in listing.context["cl"].queryset} == {m.pk for m in claims}


def test_open_conflicts_link_to_the_conflicts_page(editor_client):
    product = ProductFactory()
    first, _ = metric(product, 1), metric(product, 2)
    extra = [metric(product, 10 + i) for i in range(20)]  # each conflicts with `first`
    conflicts = panel(page_of(editor_client, first), "Open conflicts")
    assert "(21)" in conflicts
    assert f'href="{reverse("admin:events_metric_conflicts")}"' in conflicts
    assert extra


def fill_citations(person, n: int) -> None:
    for _ in range(n):
        CitationFactory(fact=RoleFactory(), attributed_to=person)
        CitationFactory(fact=metric(ProductFactory(), 1), attributed_to=person)


def test_the_citation_list_names_and_links_each_fact(editor_client, django_assert_max_num_queries):
    role = RoleFactory(person=PersonFactory(name="Arthur Mensch"), title="CEO")
    CitationFactory(fact=role)
    response = editor_client.get(reverse("admin:factbase_citation_changelist"))
    page = response.content.decode()
    assert f'<a href="{change_url(role)}">role: Arthur Mensch, CEO, {role.company.name}</a>' in page

    url = reverse("admin:factbase_citation_changelist")
    few, many = PersonFactory(), PersonFactory()
    fill_citations(few, 3)
    with_few = queries_of(editor_client, url + f"?attributed_to__id__exact={few.pk}")
    fill_citations(many, 20)
    with django_assert_max_num_queries(with_few):
        editor_client.get(url + f"?attributed_to__id__exact={many.pk}")


def test_person_quotes_cost_the_same_queries_with_3_or_30(
    editor_client, django_assert_max_num_queries
):
    few, many = PersonFactory(), PersonFactory()
    fill_citations(few, 3)
    fill_citations(many, 15)
    queries_of(editor_client, change_url(few))
    with_few = queries_of(editor_client, change_url(few))
    with django_assert_max_num_queries(with_few):
        page = editor_client.get(change_url(many)).content.decode()
    assert "All 30" in page


def test_no_panels_on_the_add_page(editor_client):
    response = editor_client.get(reverse("admin:companies_company_add"))
    assert response.status_code == 200
    assert "related-panels" not in response.content.decode()
    assert Company.objects.count() == 0


@pytest.mark.parametrize("value", ["²", "9" * 30, "x"])
def test_a_company_filter_that_names_no_id_is_refused(editor_client, value):
    """`of_company` is an id: superscript digits or digits past any id name none (they
    reached the database as an id: a 500). The list says so rather than list every
    metric as if it were filtered (factbase.admin.filters.KnownValuesFilter)."""
    metric(CompanyFactory(), 5)
    listing = editor_client.get(reverse("admin:events_metric_changelist"), {"of_company": value})
    assert listing.status_code == 400
    assert "of_company" in listing.content.decode()
