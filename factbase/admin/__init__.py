"""The admin. Every save, delete and bulk action goes through `factbase.core.services`, so the
admin writes the same history, with the editor as author, as the API and commands.

- base.py: TrackedAdmin, the admin of any tracked record (and AUDIT_FIELDS, partial_date);
- forms.py: its forms (the reason, the version opened);
- dates.py: the text input of partial dates ("Jun 2024"), installed on every form by TrackedAdmin;
- facts.py: FactAdmin, for fact records (citations inline, status actions);
- actions.py: the status actions, confirmed with a reason kept in history;
- filters.py: list filters offering only the values in use, by name;
- widgets.py, languages.py: searchable pickers of countries, currencies and languages;
- columns.py: list columns under plain names ("Value", "Period");
- sources.py, snapshots.py: the admin of sources and citations, and of snapshots.
- dashboard.py: the index page's dashboard (the work waiting, this week's changes);
- cited.py: the "has citations" filter of every fact list;
- tokens.py: API tokens, each staff user's own (replaces DRF's token admin).

The domain apps build their admins on TrackedAdmin and FactAdmin, imported from here.
"""

from . import dashboard, snapshots, sources, tokens  # noqa: F401  (they register themselves)
from .base import AUDIT_FIELDS, TrackedAdmin, partial_date
from .facts import FactAdmin

__all__ = ["AUDIT_FIELDS", "FactAdmin", "TrackedAdmin", "partial_date"]
