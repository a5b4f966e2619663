"""What a subscription's target URL and kinds must be: checked by the model (full_clean),
so the admin's form and the API refuse the same values with the same messages."""

import ipaddress
import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from factbase.core.kinds import by_name

MAX_URL = 2000
# A host name's labels (RFC 1123). Single labels are accepted: a receiver on an internal
# network is often reached by one (`http://receiver:9000/`), which Django's URLValidator
# would refuse for want of a top-level domain.
LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def validate_target_url(value: str) -> None:
    """An absolute http or https URL with a host, no credentials and no fragment."""
    if not isinstance(value, str) or not value:
        raise ValidationError("Give an http or https URL.", code="invalid")
    if len(value) > MAX_URL:
        raise ValidationError(f"At most {MAX_URL} characters.", code="max_length")
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValidationError("A URL has no spaces or control characters.", code="invalid")
    try:
        parts = urlsplit(value)
        port = parts.port  # a port that is not a number from 0 to 65535 raises ValueError
    except ValueError as error:
        raise ValidationError(f"Not a URL: {error}.", code="invalid") from error
    if parts.scheme not in ("http", "https"):
        raise ValidationError("Give an http or https URL.", code="scheme")
    if not parts.hostname or not _valid_host(parts.hostname):
        raise ValidationError("Give the receiver's host: http(s)://host[:port]/path.", code="host")
    if port == 0:
        raise ValidationError("Port 0 cannot be connected to.", code="port")
    if parts.username is not None or parts.password is not None:
        # The URL is listed to every staff member who can see subscriptions; the
        # signature is how a receiver knows the sender.
        raise ValidationError(
            "No credentials in the URL: receivers check the signature instead.",
            code="credentials",
        )
    if parts.fragment or value.endswith("#"):
        raise ValidationError("No fragment (#...): it is never sent.", code="fragment")


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return False
    labels = ascii_host.rstrip(".").split(".")
    return len(ascii_host) <= 253 and all(LABEL.match(label) for label in labels)


def validate_kinds(value) -> None:
    """A list of the registry's kind names (factbase.core.kinds); empty for every kind."""
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ValidationError("Give a list of kind names.", code="invalid")
    known = by_name()
    unknown = [name for name in value if name not in known]
    if unknown:
        raise ValidationError(
            f"Unknown: {', '.join(unknown)}. Known: {', '.join(known)}.", code="unknown"
        )
    if len(set(value)) != len(value):
        raise ValidationError("A kind is named twice.", code="duplicate")


def kind_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in by_name()]
