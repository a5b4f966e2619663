"""Factbase: a structured fact database for the technology industry."""

__version__ = "0.1.0"
