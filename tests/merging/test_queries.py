"""What a merge of a small record costs in queries, pinned: a change that reads or writes
more than it needs shows here."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from companies.models import CompanyAlias
from factbase.core.models import Source
from factbase.core.services import record_merge

from ..factories import ARTICLE
from .conftest import cite, company, metric, save

pytestmark = pytest.mark.django_db

# Reading the rows of each relation of a company (11) and what the kept one has of them,
# the kept company's version, each write locked, validated (a citation moved: the fact it
# moves to read), saved and numbered in history,
# then the delete's own reads of every relation: the same on SQLite and PostgreSQL.
QUERIES = 69


def test_a_merge_of_a_small_company_costs_a_fixed_number_of_queries(editor):
    source = save(
        Source(title="A", publisher="P", language="en", kind="news_article", text=ARTICLE)
    )
    keep, merge = company("Acme", "acme"), company("Acme SAS", "acme-sas")
    save(CompanyAlias(company=merge, name="Acme Group"))
    cite(merge, source)
    metric(company=merge)
    record_merge(company("Warm", "warm"), company("Warm up", "warm-up"), user=editor, reason="r")

    with CaptureQueriesContext(connection) as queries:
        record_merge(keep, merge, user=editor, reason="the same")
    assert len(queries) == QUERIES, "\n".join(q["sql"] for q in queries)
