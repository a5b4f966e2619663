"""Vocabularies shared by every fact record."""

from django.db import models


class Status(models.TextChoices):
    UNVERIFIED = "unverified", "Unverified"
    VERIFIED = "verified", "Verified"
    DISPUTED = "disputed", "Disputed"
    RETRACTED = "retracted", "Retracted"


class Confidence(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class ClaimType(models.TextChoices):
    REPORTED = "reported", "Reported fact"
    TARGET = "target", "Company target or guidance"
    ESTIMATE = "estimate", "Estimate"
    SPECULATION = "speculation", "Rumour or speculation"


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    YEAR = "year", "Year"


class Qualifier(models.TextChoices):
    EXACT = "exact", "Exactly"
    APPROXIMATE = "approximate", "Approximately"
    AT_LEAST = "at_least", "At least"
    AT_MOST = "at_most", "At most"
    RANGE = "range", "Range"


class SourceKind(models.TextChoices):
    NEWS_ARTICLE = "news_article", "News article"
    PRESS_RELEASE = "press_release", "Press release"
    FILING = "filing", "Filing"
    DATASET = "dataset", "Dataset"
    INTERVIEW = "interview", "Interview"
    OTHER = "other", "Other"
