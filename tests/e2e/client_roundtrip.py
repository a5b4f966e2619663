"""A client generated from the live OpenAPI schema lists, creates, updates and deletes a
metric, and gets the documented answers back, errors included.

Run by .ci/api-checks against a server loaded with the demo data, with the generated
`factbase_api_client` package installed:

    FACTBASE_URL=http://127.0.0.1:8000 FACTBASE_TOKEN=<an editor's token> \\
        python tests/e2e/client_roundtrip.py
"""

import datetime
import os
import sys
from http import HTTPStatus

from factbase_api_client import AuthenticatedClient, Client
from factbase_api_client.api.metric_types import metric_types_list
from factbase_api_client.api.metrics import (
    metrics_create,
    metrics_destroy,
    metrics_list,
    metrics_partial_update,
    metrics_retrieve,
)
from factbase_api_client.models import (
    CitationNestedRequest,
    DatePrecisionEnum,
    Error,
    Metric,
    MetricRequest,
    MetricTypesListUnitKindItem,
    PaginatedMetricList,
    PaginatedMetricTypeList,
    PatchedMetricRequest,
    QualifierEnum,
    RegionEnum,
    ValidationError,
)
from factbase_api_client.types import Unset


def check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def expect(response, status: HTTPStatus, parsed_type: type):
    check(
        response.status_code == status,
        f"expected {status.value}, got {response.status_code}: {response.content[:500]!r}",
    )
    check(isinstance(response.parsed, parsed_type), f"parsed as {type(response.parsed)}")
    return response.parsed


def main() -> None:
    base_url = os.environ["FACTBASE_URL"]
    anonymous = Client(base_url=base_url)
    # DRF's TokenAuthentication reads "Authorization: Token <key>", not Bearer.
    client = AuthenticatedClient(
        base_url=base_url, token=os.environ["FACTBASE_TOKEN"], prefix="Token"
    )

    # Reads are public: list the demo's app-store ranks with a filter.
    page = expect(
        metrics_list.sync_detailed(client=anonymous, metric_type=["app-store-rank"], limit=5),
        HTTPStatus.OK,
        PaginatedMetricList,
    )
    check(len(page.results) > 0, "the demo has app-store ranks")
    check(
        all(m.metric_type.slug == "app-store-rank" for m in page.results),
        "the filter keeps app-store ranks only",
    )
    cited = next(m for m in page.results if m.citations)
    quote, source_id = cited.citations[0].quote, cited.citations[0].source.id

    types = expect(
        metric_types_list.sync_detailed(
            client=anonymous, unit_kind=[MetricTypesListUnitKindItem.COUNT], limit=1
        ),
        HTTPStatus.OK,
        PaginatedMetricTypeList,
    )
    count_type = types.results[0].slug

    # Writes need credentials.
    body = MetricRequest(
        company="mistral-ai",
        metric_type=count_type,
        qualifier=QualifierEnum.AT_LEAST,
        value="1000000",
        period_start=datetime.date(2025, 2, 1),
        period_precision=DatePrecisionEnum.MONTH,
        region=RegionEnum.FR,
        note="Written by the generated client.",
        citations=[CitationNestedRequest(source=source_id, quote=quote)],
    )
    expect(
        metrics_create.sync_detailed(client=anonymous, body=body), HTTPStatus.UNAUTHORIZED, Error
    )

    invalid = MetricRequest(metric_type=count_type, qualifier=QualifierEnum.EXACT, value="-1")
    errors = expect(
        metrics_create.sync_detailed(client=client, body=invalid),
        HTTPStatus.BAD_REQUEST,
        ValidationError,
    )
    check(bool(errors.additional_properties), "a 400 names the fields at fault")

    created = metrics_create.sync_detailed(
        client=client, body=body, x_change_reason="CI round trip"
    )
    metric = expect(created, HTTPStatus.CREATED, Metric)
    check(metric.value == "1000000", f"value {metric.value!r}")
    check(metric.company.slug == "mistral-ai", "company")
    check(metric.metric_type.slug == count_type, "metric type")
    check(metric.period_start == datetime.date(2025, 2, 1), "period start")
    check(metric.version == 1, f"version {metric.version}")
    check([c.quote for c in metric.citations] == [quote], "the citation was saved")
    check(created.headers["etag"] == '"1"', f"ETag {created.headers.get('etag')}")

    patched = metrics_partial_update.sync_detailed(
        str(metric.id),
        client=client,
        body=PatchedMetricRequest(value="1500000", note="Updated by the generated client."),
        if_match='"1"',
    )
    updated = expect(patched, HTTPStatus.OK, Metric)
    check(updated.value == "1500000", f"updated value {updated.value!r}")
    check(updated.version == 2, f"version {updated.version}")

    stale = metrics_partial_update.sync_detailed(
        str(metric.id), client=client, body=PatchedMetricRequest(value="1"), if_match='"1"'
    )
    expect(stale, HTTPStatus.PRECONDITION_FAILED, Error)

    read = expect(
        metrics_retrieve.sync_detailed(str(metric.id), client=anonymous),
        HTTPStatus.OK,
        Metric,
    )
    check(read.value == "1500000", f"read back value {read.value!r}")
    check(read.note == "Updated by the generated client.", f"read back note {read.note!r}")
    check(read.qualifier == QualifierEnum.AT_LEAST, "qualifier kept")
    check([c.quote for c in read.citations] == [quote], "citation kept")
    check(read.created_by is not None, "created_by names the editor")
    check(read.updated_by == read.created_by, "updated_by names the editor")

    # `fields=` leaves out what was not asked for; the client still reads the record.
    partial = expect(
        metrics_retrieve.sync_detailed(str(metric.id), client=anonymous, fields="id,value"),
        HTTPStatus.OK,
        Metric,
    )
    check(partial.value == "1500000", "fields=id,value keeps value")
    check(isinstance(partial.note, Unset), "fields=id,value leaves out note")

    deleted = metrics_destroy.sync_detailed(str(metric.id), client=client, if_match='"2"')
    check(deleted.status_code == HTTPStatus.NO_CONTENT, f"delete: {deleted.status_code}")
    expect(
        metrics_retrieve.sync_detailed(str(metric.id), client=anonymous),
        HTTPStatus.NOT_FOUND,
        Error,
    )
    print(f"client round trip: metric {metric.id} listed, created, updated, read and deleted")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as error:
        sys.exit(f"client round trip failed: {error}")
