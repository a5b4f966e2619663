import json
import re

import orjson
from rest_framework import renderers
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.utils.encoders import JSONEncoder

from factbase.api.csv_export import cell
from factbase.core.text import csv_line


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON, byte for byte, encoded by orjson: several times faster on a page of
    records. What orjson would write otherwise (times: DRF's keep milliseconds and say
    `Z`; lazy translated text) goes through DRF's encoder; pretty-printing (`indent=`, the
    browsable API) through DRF's renderer."""

    options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
    default = staticmethod(JSONEncoder().default)

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            encoded = orjson.dumps(data, default=self.default, option=self.options)
        except orjson.JSONEncodeError:  # integers past 64 bits, lone surrogates: as DRF
            return super().render(data, accepted_media_type, renderer_context)
        # As DRF does: line and paragraph separators escaped, so JSON stays JavaScript.
        # Looked for by one regular expression: bytes.replace searches text full of other
        # punctuation of the same block (quotes, dashes) five times slower.
        if SEPARATORS.search(encoded) is None:
            return encoded
        return SEPARATORS.sub(lambda found: ESCAPED[found[0]], encoded)


SEPARATORS = re.compile(b"\xe2\x80[\xa8\xa9]")  # U+2028 and U+2029 in UTF-8
ESCAPED = {"\u2028".encode(): b"\\u2028", "\u2029".encode(): b"\\u2029"}


class CSVRenderer(BaseRenderer):
    """Lets `?format=csv` and `Accept: text/csv` through content negotiation.

    Lists and single records stream their rows themselves (RecordViewSet.csv_response);
    what reaches this renderer is an error, written as `field,value` lines.
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


class StrictFormatNegotiation(DefaultContentNegotiation):
    """`?format=` names one of the endpoint's formats, or is a 400 naming the parameter
    and the formats it has: DRF answers 404 Not found, as though the record were
    missing."""

    def filter_renderers(self, renderers, format):
        return renderers_of_format(renderers, format)


def renderers_of_format(renderers, format: str) -> list:
    """The renderers of `format`, or a 400 naming the parameter and the formats there are."""
    chosen = [renderer for renderer in renderers if renderer.format == format]
    if not chosen:
        known = ", ".join(dict.fromkeys(renderer.format for renderer in renderers))
        shown = format if len(format) <= 20 else f"{format[:20]}…"
        raise ValidationError({"format": [f"Unknown format {shown!r}. Here: {known}."]})
    return chosen
