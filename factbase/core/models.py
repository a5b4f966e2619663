"""The provenance core: sources, citations, and the fields every fact record carries."""

import datetime
import functools
import hashlib
import json

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import CheckConstraint, Q
from django.utils import timezone
from django.utils.text import Truncator

from . import constraints
from .choices import ClaimType, Confidence, DatePrecision, Qualifier, SourceKind, Status
from .codes import CURRENCY_CHOICES
from .dates import format_partial_date, period_start_error
from .feed import ChangeClock, HistoricalRecords  # noqa: F401 (ChangeClock: a model of this app)
from .quantities import (  # noqa: F401 (format_number, format_quantity: shared)
    AmountInput,
    format_number,
    format_quantity,
    usd_mismatch,
)
from .validation import ChangeValidation


@functools.cache
def history_model_of(model):
    """The django-simple-history model of `model`, or None if it has no history. Looked up
    once: simple-history's `Model.history` builds a new manager class on every read."""
    manager = getattr(model._meta, "simple_history_manager_attribute", None)
    return getattr(model, manager).model if manager else None


bcp47_validator = RegexValidator(
    r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
    "Use a BCP 47 language tag such as 'it', 'fr', 'en' or 'pt-BR'.",
)


def clean_partial_dates(instance, pairs) -> None:
    """Each date has its precision and is the first day of its period ("Feb 2025" is
    2025-02-01): any other day is refused, not moved, since that would change what the
    source says without a word."""
    errors = {}
    for date_field, precision_field in pairs:
        value = getattr(instance, date_field)
        precision = getattr(instance, precision_field)
        if value is not None and precision:
            # A value clean_fields could not read is reported there already.
            if isinstance(value, datetime.date) and (error := period_start_error(value, precision)):
                errors[date_field] = error
        elif value is not None:
            errors[precision_field] = "Say how precise the date is: day, month, quarter or year."
        elif precision:
            errors[date_field] = "A precision needs a date."
    if errors:
        raise ValidationError(errors)


def latest_past_day() -> datetime.date:
    """The last day a date of the past can be: tomorrow in UTC, since it is already
    tomorrow in some time zone, and a source's date is its own zone's."""
    return timezone.now().date() + datetime.timedelta(days=1)


def future_date_errors(instance, names) -> dict[str, str]:
    """The dates (or instants) among `names` that are after the present."""
    errors = {}
    for name in names:
        value = getattr(instance, name)
        if isinstance(value, datetime.datetime):
            value = value.date()
        if isinstance(value, datetime.date) and value > latest_past_day():
            errors[name] = (
                f"{value.isoformat()} is in the future: this is the date of something "
                "that has happened."
            )
    return errors


def _named_without_what_is_gone(name):
    """A record's `__str__` that, when the name reads a related record no longer there (a
    version in history of a round whose company was deleted or merged away since), names
    the record by its kind and id instead: the history and revert pages show it."""

    @functools.wraps(name)
    def __str__(self):
        try:
            return name(self)
        except ObjectDoesNotExist:
            return f"{self._meta.verbose_name} {self.pk}"

    return __str__


class TrackedModel(ChangeValidation, models.Model):
    """Audit fields and a version, filled in by the services, never typed by an editor.

    `version` goes up by one with every save through a service; it is what a client's
    If-Match or an open admin form is checked against.
    """

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    # Partial dates on the model, as (date field, precision field) pairs.
    partial_dates: tuple[tuple[str, str], ...] = ()
    # Dates of what had happened when it was written (a publication, an announcement):
    # never after the present.
    past_dates: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("__str__")
        if own is not None:
            cls.__str__ = _named_without_what_is_gone(own)

    def clean(self):
        super().clean()
        clean_partial_dates(self, self.partial_dates)
        errors = future_date_errors(self, self.past_dates)
        if errors:
            raise ValidationError(errors)


def updated_index(prefix: str) -> models.Index:
    """Each fact table's index of the review queue's order (newest change first,
    /api/v1/facts/) and of its updated_after/before filters: without it, a page of the
    queue sorts every fact of every kind."""
    return models.Index(fields=["updated_at", "id"], name=f"{prefix}_updated_idx")


class FactModel(TrackedModel):
    """What every fact record carries: how sure we are, what kind of claim it is, and
    the citations that support it."""

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UNVERIFIED)
    confidence = models.CharField(
        max_length=8, choices=Confidence.choices, default=Confidence.MEDIUM
    )
    claim_type = models.CharField(
        max_length=12,
        choices=ClaimType.choices,
        default=ClaimType.REPORTED,
        help_text="A company's target is not an actual; an estimate is not a reported figure.",
    )
    note = models.TextField(blank=True, help_text="Editor's note: context, doubts, reasons.")
    citations = GenericRelation("factbase.Citation")

    class Meta:
        abstract = True


class Quantity(models.Model):
    """A value with its qualifier ("at least", "range"...) and, for money, its currency
    and optionally its US dollar value with the rate it was converted at."""

    value = models.DecimalField(max_digits=24, decimal_places=4, null=True, blank=True)
    value_high = models.DecimalField(
        max_digits=24,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Only for ranges: the high end.",
    )
    qualifier = models.CharField(max_length=12, choices=Qualifier.choices, blank=True)
    currency = models.CharField(
        max_length=3, choices=CURRENCY_CHOICES, blank=True, help_text="ISO 4217, for money."
    )
    value_usd = models.DecimalField(
        "value in USD", max_digits=24, decimal_places=4, null=True, blank=True
    )
    usd_rate = models.DecimalField(
        "USD exchange rate",
        max_digits=18,
        decimal_places=8,
        null=True,
        blank=True,
        help_text="US dollars per one unit of the currency.",
    )
    usd_rate_on = models.DateField("date of the rate", null=True, blank=True)
    usd_rate_source = models.CharField(
        "source of the rate", max_length=200, blank=True, help_text="e.g. ECB reference rate"
    )

    # The fields an amount typed as text agrees with (factbase.core.quantities.agree):
    # "about €600M" in `value` fills or checks `qualifier` and `currency`.
    quantity_inputs = {
        "value": AmountInput(qualifier="qualifier", currency="currency"),
        "value_high": AmountInput(qualifier="qualifier", currency="currency"),
        "value_usd": AmountInput(qualifier="qualifier", currency_is="USD"),
        "usd_rate": AmountInput(),
    }

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        errors = {}
        if self.value is not None and not self.qualifier:
            errors["qualifier"] = "Say how exact the value is."
        if self.qualifier and self.value is None:
            errors["value"] = "A qualifier needs a value."
        if self.qualifier == Qualifier.RANGE and self.value_high is None:
            errors["value_high"] = "A range needs a high value."
        if self.qualifier != Qualifier.RANGE and self.value_high is not None:
            errors["value_high"] = "Only a range has a high value."
        if self.value is not None and self.value_high is not None and self.value_high < self.value:
            errors["value_high"] = "The high value cannot be below the low value."
        usd = [self.value_usd, self.usd_rate, self.usd_rate_on, self.usd_rate_source or None]
        if any(part is not None for part in usd) and not all(part is not None for part in usd):
            errors["value_usd"] = (
                "A US dollar value needs the exchange rate, its date and its source, all four."
            )
        if self.value_usd is not None and not self.currency:
            errors["currency"] = "A US dollar conversion needs the original currency."
        if self.usd_rate is not None and self.usd_rate <= 0:
            errors["usd_rate"] = (
                "An exchange rate is above zero: US dollars per one unit of the currency."
            )
        elif None not in (self.value, self.value_usd, self.usd_rate):
            problem = usd_mismatch(self.value, self.usd_rate, self.value_usd)
            if problem:
                errors["value_usd"] = problem
        if errors:
            raise ValidationError(errors)

    @property
    def value_display(self) -> str:
        return format_quantity(self.value, self.value_high, self.qualifier, self.currency)


def _same_place(one, other) -> bool:
    """Whether two citations of the same words of a source stand at the same place: they
    do unless both say where, differently (a quote found twice in the text)."""
    places = [(c.char_start, c.char_end) for c in (one, other)]
    return None in places[0] or None in places[1] or places[0] == places[1]


class Source(TrackedModel):
    """A document that states facts: an article, a press release, a filing..."""

    title = models.CharField(max_length=500)
    publisher = models.CharField(max_length=200)
    author = models.CharField(max_length=200, blank=True)
    url = models.URLField(
        "URL", max_length=1000, null=True, blank=True, unique=True, help_text="Unique when present."
    )
    published_on = models.DateField(null=True, blank=True)
    published_precision = models.CharField(max_length=8, choices=DatePrecision.choices, blank=True)
    language = models.CharField(
        max_length=35, validators=[bcp47_validator], help_text="BCP 47 tag: it, fr, en, pt-BR"
    )
    kind = models.CharField(max_length=16, choices=SourceKind.choices)
    retrieved_at = models.DateTimeField(null=True, blank=True)
    text = models.TextField(
        blank=True, help_text="The full text, where we hold it. Citations are checked against it."
    )
    text_sha256 = models.CharField("SHA-256 of the text", max_length=64, blank=True, editable=False)

    partial_dates = (("published_on", "published_precision"),)
    past_dates = ("published_on", "retrieved_at")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-published_on", "title", "id"]
        constraints = [
            constraints.precision_pair("source", "published_on", "published_precision"),
            # An empty URL would collide with other empty URLs: absent is NULL.
            CheckConstraint(condition=~Q(url=""), name="source_url_null_not_empty"),
            CheckConstraint(condition=~Q(language=""), name="source_language_required"),
            CheckConstraint(
                condition=Q(text="", text_sha256="") | (~Q(text="") & ~Q(text_sha256="")),
                name="source_text_has_sha256",
            ),
        ]

    def __str__(self):
        # What tells two sources apart in a picker: the title first, since two articles
        # of one publisher would otherwise read alike up to where the label is cut.
        about = ", ".join(filter(None, (self.publisher, self.published_display, self.language)))
        return f"{self.title} — {about}"

    @property
    def published_display(self) -> str:
        return format_partial_date(self.published_on, self.published_precision)

    def clean(self):
        # Set before any refusal: the constraints, checked after clean() whatever it
        # found, would otherwise name the hash's rule beside the field's own error.
        text = self.text if isinstance(self.text, str) else ""
        self.text_sha256 = hashlib.sha256(text.encode()).hexdigest() if text else ""
        super().clean()
        if self.url == "":
            self.url = None
        errors = self._date_errors() | self._text_errors()
        if errors:
            raise ValidationError(errors)

    def _text_errors(self) -> dict[str, str]:
        """A stored text changed so that a citation's quote is no longer in it: its fact
        would stand on words the source no longer holds, and could not be saved again
        until someone found the citation. (A text removed altogether leaves quotes that
        cannot be checked, not wrong ones; a quote moved is found again where it is.)"""
        if self.pk is None or not self.text or "text" in self.unchanged_fields():
            return {}
        lost = [c for c in self.citations.only("pk", "quote") if c.quote not in self.text]
        if not lost:
            return {}
        shown = "; ".join(f"citation {c.pk}: “{Truncator(c.quote).chars(60)}”" for c in lost[:5])
        more = f" and {len(lost) - 5} more" if len(lost) > 5 else ""
        return {
            "text": (
                f"{len(lost)} citation{'s' if len(lost) > 1 else ''} of this source quote "
                f"words the new text does not hold ({shown}{more}). Keep those words, or "
                "change or delete the citations first."
            )
        }

    def _date_errors(self) -> dict[str, str]:
        """A document read before it was published (a day of slack, as for the present:
        the two dates may be of two time zones)."""
        published = self.published_on if isinstance(self.published_on, datetime.date) else None
        retrieved = self.retrieved_at if isinstance(self.retrieved_at, datetime.datetime) else None
        if published and retrieved and published > retrieved.date() + datetime.timedelta(days=1):
            return {
                "retrieved_at": (
                    f"Read on {retrieved.date().isoformat()}, before it was published on "
                    f"{published.isoformat()}."
                )
            }
        return {}


class Citation(TrackedModel):
    """One source supporting one fact, with the quote in the source's own language."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    fact = GenericForeignKey("content_type", "object_id")
    quote = models.TextField(help_text="Verbatim, in the source's language.")
    translation = models.TextField(blank=True, help_text="English translation of the quote.")
    char_start = models.PositiveIntegerField(
        null=True, blank=True, help_text="Offset of the quote in the stored text (filled in)."
    )
    char_end = models.PositiveIntegerField(null=True, blank=True)
    locator = models.CharField(
        max_length=100, blank=True, help_text="Where, when the text is not stored: 'p. 4', '¶ 3'."
    )
    field_name = models.CharField(
        max_length=64, blank=True, help_text="The field of the fact this quote backs, if one."
    )
    attributed_to = models.ForeignKey(
        settings.FACTBASE_PERSON_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quotes",
        help_text="The person who said it.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="citation_fact_idx")]
        constraints = [
            CheckConstraint(condition=~Q(quote=""), name="citation_quote_required"),
            CheckConstraint(
                # Both or neither: `char_end > char_start` alone passes when the end is
                # NULL (a CHECK takes unknown for true).
                condition=Q(char_start__isnull=True, char_end__isnull=True)
                | Q(
                    char_start__isnull=False,
                    char_end__isnull=False,
                    char_end__gt=models.F("char_start"),
                ),
                name="citation_offsets_ordered",
                violation_error_message="The quote's end offset must come after its start.",
            ),
        ]

    def __str__(self):
        quote = Truncator(self.quote).chars(60)
        return f"“{quote}” ({self.source.publisher})" if self.source_id else quote

    def clean(self):
        super().clean()
        errors = {}
        model = self.content_type.model_class() if self.content_type_id else None
        # A citation stands for its fact: none is saved for a record that is not there.
        linked = model is not None and self.object_id is not None and self._links_another_fact()
        if linked and self.fact is None:
            errors["object_id"] = f"No {model._meta.verbose_name} {self.object_id}."
        if model is not None and self.field_name:
            names = {f.name for f in model._meta.concrete_fields}
            if self.field_name not in names:
                errors["field_name"] = (
                    f"{model._meta.verbose_name} has no field {self.field_name!r}."
                )
        if self.source_id and self.source.text and self.quote:
            errors.update(self._locate_quote(self.source.text))
        if errors:
            raise ValidationError(errors)

    @classmethod
    def list_errors(cls, citations: list, written: list[bool]) -> list[dict]:
        """Each row's errors in the citations a write leaves its fact with
        (services.record_write and the admin's inline; None for a row that names none),
        `written` saying which rows it writes: the same words of the same source cited
        twice (where both say where they stand, at the same place). Citations stored twice
        before the rule stay until written."""
        errors: list[dict] = [{} for _ in citations]
        seen: dict[tuple, list[int]] = {}
        for index, citation in enumerate(citations):
            if citation is None or not citation.source_id or not citation.quote:
                continue
            key = (citation.source_id, citation.quote)
            for other in seen.get(key, []):
                if not _same_place(citation, citations[other]):
                    continue
                blamed = index if written[index] else other
                if written[blamed]:
                    number = other if blamed == index else index
                    errors[blamed] = {
                        "quote": [
                            f"The fact cites these words of this source already (row "
                            f"{number + 1} of its citations): cite them once."
                        ]
                    }
                break
            seen.setdefault(key, []).append(index)
        return errors

    def stored_twice(self) -> dict:
        """The error of a citation written on its own (the API's citations, its admin
        page) whose fact cites the same words of the same source, at the same place,
        in another stored citation; {} otherwise. The write of a fact with its list of
        citations asks list_errors instead, as the list it leaves."""
        keys = (self.source_id, self.quote, self.content_type_id, self.object_id)
        if None in keys or not self.quote:
            return {}
        unchanged = self.unchanged_fields()
        if {"source", "quote", "content_type", "object_id", "char_start"} <= unchanged:
            return {}  # none of what makes it a second citation changed
        others = Citation.objects.filter(
            source_id=self.source_id,
            quote=self.quote,
            content_type_id=self.content_type_id,
            object_id=self.object_id,
        ).order_by("pk")
        if self.pk is not None:
            others = others.exclude(pk=self.pk)
        for other in others.only("pk", "char_start", "char_end"):
            if _same_place(self, other):
                return {
                    "quote": [
                        f"The fact cites these words of this source already (citation "
                        f"{other.pk}): cite them once."
                    ]
                }
        return {}

    def _links_another_fact(self) -> bool:
        """New, or moved to another fact since it was read."""
        return not {"content_type", "object_id"} <= self.unchanged_fields()

    def _stands_at_offsets(self, text: str) -> bool:
        """Whether the quote is the text between its offsets: both given, as far apart as
        the quote is long (a slice past the text's end, or open-ended, would still match
        its tail)."""
        start, end = self.char_start, self.char_end
        return (
            start is not None
            and end is not None
            and end - start == len(self.quote)
            and text[start:end] == self.quote
        )

    def _locate_quote(self, text: str) -> dict:
        """Check the quote against the stored text and record where it stands: offsets
        that do not hold (half of them, past the text, an edited quote) are replaced by
        where the quote is."""
        if self._stands_at_offsets(text):
            return {}
        position = text.find(self.quote)
        if position < 0:
            return {"quote": "This quote is not found verbatim in the source's stored text."}
        self.char_start, self.char_end = position, position + len(self.quote)
        return {}

    def check_against_source(self) -> str | None:
        """Why this citation no longer matches its source's text, or None if it does."""
        text = self.source.text
        if not text:
            return None
        if self._stands_at_offsets(text):
            return None
        if self.quote in text:
            return "quote found, but not at the recorded offsets"
        return "quote not found in the source's stored text"


class Snapshot(models.Model):
    """A snapshot of the whole database kept in the app: the ZIP, in the default storage
    (the media folder unless STORAGES says otherwise), and what it holds. Taken in the
    admin, through the API or by `export_snapshot --save`; see docs/snapshots.md.

    Not itself part of snapshots: a snapshot listing the snapshots taken before it would
    never be the same data twice, and an import would bring back records whose files are
    gone. It has no history for the same reason; a record never changes once taken.
    """

    snapshot_exclude = True

    created_at = models.DateTimeField(
        "taken at", help_text="The moment the snapshot shows, in UTC."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who took it; empty when taken by a command.",
    )
    file = models.FileField(upload_to="snapshots/", max_length=255)
    size = models.PositiveBigIntegerField(help_text="Of the ZIP, in bytes.")
    sha256 = models.CharField("SHA-256", max_length=64, help_text="Of the ZIP.")
    tables = models.PositiveIntegerField()
    rows = models.PositiveBigIntegerField(help_text="In all tables.")
    row_counts = models.JSONField(default=dict, help_text="Rows per table, by table name.")
    seconds = models.FloatField(help_text="How long the export took.")
    format_version = models.CharField(
        max_length=40, blank=True, help_text="The snapshot format, e.g. factbase-snapshot/1."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="snapshot_newest_idx")]

    def __str__(self):
        return f"Snapshot of {self.created_at:%Y-%m-%d %H:%M:%S} UTC"


class Merge(models.Model):
    """A record merged into another, the same real thing (a company entered twice): what
    `services.record_merge` did, so that it can be undone, and so that the merged record's
    id and slug keep answering (the API redirects them, filters read them) for as long as
    it is not undone. A merge into a record later merged itself leads to where that one
    went."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    merged_id = models.BigIntegerField(help_text="The id the merged record had.")
    merged_slug = models.CharField(max_length=100, help_text="The slug it had.")
    merged_name = models.CharField(max_length=200, help_text="Its name, kept as an alias.")
    kept_id = models.BigIntegerField(help_text="The id of the record it was merged into.")
    reason = models.TextField()
    merged_at = models.DateTimeField()
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # JSON in a text column: a snapshot holds it as it is, byte for byte.
    moves = models.TextField(
        blank=True,
        help_text="The rows it moved, changed or removed, as JSON: what an undo puts back.",
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-merged_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "merged_slug"], name="merge_slug_idx"),
            models.Index(fields=["content_type", "merged_id"], name="merge_id_idx"),
        ]

    def __str__(self):
        return f"{self.merged_name} ({self.merged_slug}) merged into {self.kept_id}"

    @functools.cached_property
    def moved(self) -> dict:
        """`moves` read: parsed once, however many readers (its counts, its aliases, its
        dropped rows) a request asks of it."""
        return json.loads(self.moves or "{}")
