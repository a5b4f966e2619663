import csv
import io

from rest_framework.renderers import BaseRenderer


class CSVRenderer(BaseRenderer):
    """Lets `?format=csv` and `Accept: text/csv` through content negotiation.

    Lists stream their rows themselves (see RecordViewSet.list); what reaches this
    renderer is a single record or an error, written as `field,value` lines.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["field", "value"])
        for key, value in (data or {}).items():
            writer.writerow([key, value])
        return out.getvalue().encode()
