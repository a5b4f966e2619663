"""The one request body shape the API reads: JSON, in UTF-8, and nothing a client could
use to make the server fail or guess.

- JSON is UTF-8 (RFC 8259): a `charset` other than utf-8 is a 415 naming it, bytes that
  are not UTF-8 a 400.
- Objects and lists nest at most `MAX_DEPTH` levels (a fact with its citations and child
  rows needs four): deeper is a 400 saying the limit, however deep it goes.
- A key given twice in one object is a 400 naming it, rather than the last one winning.
- NaN and Infinity are not JSON: a 400.
- A number with a fraction or an exponent is read as a Decimal, digit for digit: read as a
  float, `1234567890123.4567` would be stored as 1234567890123.4568.
- A body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 (see `exceptions.PayloadTooLarge`).

The import (factbase.imports) reads each line of a JSON lines file with `decode_json` and
checks its bodies' charset with `check_charset`: the same rules, one place.
"""

import json
import sys
from decimal import Decimal

from django.conf import settings
from django.utils.http import parse_header_parameters
from rest_framework.exceptions import ParseError, UnsupportedMediaType, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

from .exceptions import PayloadTooLarge

# How deep objects and lists may nest in a request body or a line of an import's JSON
# lines. The deepest body the API reads is four: a fact, its citations, a citation, its
# source named by an object ({"id": 2}).
MAX_DEPTH = 32
UTF8_NAMES = frozenset({"utf-8", "utf8"})
DUPLICATE_KEY = "This key is given more than once in the same object: give it once."
MAX_REPORTED = 100  # keys given twice named in one answer
JSON_IS_UTF8 = (
    "JSON is UTF-8. Send `Content-Type: application/json` or `application/json; charset=utf-8`."
)


class NotJSON(ParseError):
    """Text that is not JSON the API reads. `reason` says why without the API's prefix,
    for a reader that words its answer in its own terms (an import names the line)."""

    def __init__(self, reason: str):
        super().__init__(f"JSON parse error - {reason}")
        self.reason = reason


def too_deep() -> NotJSON:
    return NotJSON(f"nested too deep: objects and lists nest at most {MAX_DEPTH} levels.")


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        check_charset(media_type, JSON_IS_UTF8)
        text = self.read_text(stream)
        try:
            return decode_json(text, strict=self.strict)
        except json.JSONDecodeError as error:
            raise NotJSON(str(error)) from None

    @staticmethod
    def read_text(stream) -> str:
        limit = getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", None)
        # Django refuses a body whose Content-Length is over the limit before it gets here;
        # this holds the line for a stream that said nothing of its length.
        body = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(body) > limit:
            raise PayloadTooLarge.for_limit(limit)
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ParseError(
                f"JSON parse error - the body is not valid UTF-8 (byte {error.start}): "
                "JSON is UTF-8."
            ) from None


def check_charset(media_type, why: str) -> None:
    """A 415 naming a `charset` other than UTF-8 in `media_type`; `why` tells the client
    what to send instead. For every body the API reads, JSON or an import's file."""
    _type, params = parse_header_parameters(media_type or "")
    charset = params.get("charset")
    if charset is not None and charset.strip().lower() not in UTF8_NAMES:
        raise UnsupportedMediaType(media_type, detail=f'Unsupported charset "{charset}": {why}')


def decode_json(text: str, *, strict: bool = True):
    """One JSON document as the API reads it, whether a request's body or a line of an
    import's JSON lines: nesting deeper than MAX_DEPTH, NaN and Infinity (with `strict`)
    and integers of thousands of digits are a NotJSON; keys given twice a ValidationError
    naming each where it stands. Text that is not JSON at all raises json.JSONDecodeError,
    for the caller to say where in its own terms (a body's line and column, a file's line).
    """
    duplicates: dict[int, tuple[dict, list[str]]] = {}
    try:
        data = json.loads(
            text,
            object_pairs_hook=_noting_duplicates(duplicates),
            parse_constant=strict_constant if strict else None,
            parse_float=Decimal,
        )
    except RecursionError:
        raise too_deep() from None
    except json.JSONDecodeError:
        raise  # not JSON at all: the caller says where
    except ValueError as error:  # NaN, Infinity; an integer of thousands of digits
        if "digits" in str(error):
            error = f"a number has more than {sys.get_int_max_str_digits():,} digits"
        raise NotJSON(str(error)) from None
    check_shape(data, duplicates)
    return data


def _noting_duplicates(duplicates: dict):
    """An object_pairs_hook that builds each object as json does (the last value of a key
    wins) and notes in `duplicates` the keys an object was given more than once."""

    def object_from_pairs(pairs):
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen, repeated = set(), {}  # a dict: the keys once each, in order
            for key, _value in pairs:
                if key in seen:
                    repeated[key] = None
                seen.add(key)
            # The object is kept with its keys: an id is only unique while it lives.
            duplicates[id(obj)] = (obj, list(repeated))
        return obj

    return object_from_pairs


def check_shape(data, duplicates: dict) -> None:
    """Refuse nesting deeper than MAX_DEPTH and keys given twice, naming where they are.
    Walks the parsed body with a stack of its own, not by recursion."""
    errors: dict = {}
    reported = 0
    stack = [(data, 1, ())]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, dict):
            items = node.items()
            if id(node) in duplicates:
                for key in duplicates[id(node)][1][: MAX_REPORTED - reported]:
                    put_error(errors, (*path, key))
                    reported += 1
        elif isinstance(node, list):
            items = enumerate(node)
        else:
            continue
        if depth > MAX_DEPTH:
            raise too_deep()
        for key, value in items:
            if isinstance(value, dict | list):
                stack.append((value, depth + 1, (*path, key)))
    if errors:
        raise ValidationError(errors)


def put_error(errors: dict, path: tuple) -> None:
    """Add the duplicate-key message at `path` in errors shaped as the serializers shape
    theirs: `{"citations": {0: {"quote": [...]}}}`."""
    where = errors
    for part in path[:-1]:
        nested = where.setdefault(part, {})
        if not isinstance(nested, dict):  # a message already stands there
            return
        where = nested
    where.setdefault(path[-1], [DUPLICATE_KEY])
