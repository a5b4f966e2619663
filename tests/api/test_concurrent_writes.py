"""Concurrent PATCHes of different fields of one record lose nothing.

Each request is a thread with its own database connection, as gunicorn's workers are:
ten clients PATCH `note` while ten PATCH `headquarters` of the same company, without
If-Match. Every version in the history must differ from the one before in one field
only; a PATCH that saved the whole record as it read it before the row lock would put
the other field back to a stale value."""

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from companies.models import Company
from factbase.core.services import record_save

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite's test database has one writer"
    ),
]

WRITERS_PER_FIELD = 10
ROUNDS = 2


@pytest.mark.parametrize("workers", [2, 6])
def test_concurrent_patches_of_different_fields_lose_nothing(editor, workers):
    company = record_save(Company(name="Racy", slug="racy", kind="technology", country="FR"))
    url = f"/api/v1/companies/{company.pk}/"
    start = threading.Barrier(workers)

    def patch(field_value):
        field, value = field_value
        client = APIClient()
        client.force_authenticate(editor)
        try:
            with contextlib.suppress(threading.BrokenBarrierError):
                start.wait(timeout=5)  # the first requests of each worker race each other
            return client.patch(url, {field: value}, format="json").status_code
        finally:
            connections.close_all()

    work = [
        (field, f"{field} {round_}.{i}")
        for round_ in range(ROUNDS)
        for i in range(WRITERS_PER_FIELD)
        for field in ("note", "headquarters")
    ]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        statuses = list(pool.map(patch, work))
    assert statuses == [200] * len(work)

    versions = list(
        company.history.order_by("history_date", "history_id").values("note", "headquarters")
    )
    assert len(versions) == 1 + len(work)
    for before, after in zip(versions, versions[1:], strict=False):
        changed = [name for name in ("note", "headquarters") if before[name] != after[name]]
        assert len(changed) == 1, (before, after)
    company.refresh_from_db()
    assert company.version == 1 + len(work)
    assert (company.note, company.headquarters) == tuple(versions[-1].values())
    assert company.note.startswith("note") and company.headquarters.startswith("headquarters")
