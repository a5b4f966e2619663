"""Bulk imports of facts: a file of one kind of fact (CSV or XLSX with the columns of the
kind's CSV export, or JSON lines with the fields of its POST body), every row validated by
the API's serializer and written through the services, all rows or none. See
docs/import.md.

- reading.py: the file as rows with their lines (encodings, formulas, XLSX cells);
- columns.py: the columns a kind's import reads, from its export's declaration;
- rows.py: one row as the serializer's input, bound to what is stored;
- lookups.py: the records rows name, read once for the whole file;
- running.py: the import itself: validation, writes, the transaction, the dry run;
- report.py: each row's outcome, and the counts;
- kinds.py: the kinds that import, and the serializer each is written through;
- api.py: `POST /api/v1/<kind>/import/` (the admin's pages: factbase/admin/imports.py);
- management/commands/import_facts.py: the command.
"""
