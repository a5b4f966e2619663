import json

from rest_framework.renderers import BaseRenderer

from factbase.api.csv_export import cell
from factbase.core.text import csv_line


class CSVRenderer(BaseRenderer):
    """Lets `?format=csv` and `Accept: text/csv` through content negotiation.

    Lists stream their rows themselves (see RecordViewSet.list); what reaches this
    renderer is a single record or an error, written as `field,value` lines.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        rows = data.items() if isinstance(data, dict) else [("detail", data)]
        lines = [csv_line(["field", "value"])]
        lines.extend(csv_line([key, flat(value)]) for key, value in rows)
        return "".join(lines).encode()


def flat(value) -> str:
    """One cell: error messages as text, nested records as JSON, and text a spreadsheet
    would run as a formula neutralised, as in the list export."""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return cell(" ".join(value))
    if isinstance(value, dict | list):
        return cell(json.dumps(value, ensure_ascii=False, default=str))
    return cell(value)
