"""Importing a file of facts in the admin: an "Import" link on each fact kind's list, a form
to upload the file, a preview of every row (new, update, unchanged or refused, with each
problem's line and column) from a dry run, and "Confirm import", which writes all the rows
or none (factbase.imports.running).

Between the preview and the confirmation the file waits on the server, in
settings.IMPORT_DIR, under a random token; the session holds only the token and what the
form said (never the file). Confirming or cancelling deletes it; a file left waiting is
deleted by the next upload once it is a day old.
"""

import re
import secrets
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from factbase.core import reasons
from factbase.core.kinds import kind_of
from factbase.imports.kinds import importable
from factbase.imports.reading import FileProblem, format_of, max_bytes
from factbase.imports.report import NEW
from factbase.imports.running import import_reason, run_import

SESSION_KEY = "factbase_imports"
TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")
STALE_SECONDS = 24 * 3600


class ImportForm(forms.Form):
    file = forms.FileField(
        help_text="CSV (UTF-8) or XLSX with the columns of this list's CSV export, and "
        "citation_source and citation_quote for a citation; or JSON lines (.jsonl).",
    )
    reason = forms.CharField(
        label="Reason",
        max_length=reasons.MAX_LENGTH,
        required=False,
        help_text="Optional; the history says “import <file name>: <reason>”.",
    )
    create_missing = forms.BooleanField(
        label="Create missing related records",
        required=False,
        help_text="A company, platform... that a row names by a slug no record has is "
        "created (and listed in the preview), rather than refusing the row.",
    )

    allow_duplicates = forms.BooleanField(
        label="Allow likely duplicates",
        required=False,
        help_text="A new company, product or person whose name or an alias is close to a "
        "stored one's is created anyway, rather than refusing the row.",
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        try:
            cleaned["format"] = format_of(upload.name)
        except FileProblem as problem:
            self.add_error("file", str(problem))
        if upload.size > max_bytes():
            self.add_error("file", f"The file is larger than {max_bytes():,} bytes.")
        try:
            cleaned["history_reason"] = import_reason(
                Path(upload.name).name, cleaned.get("reason", "")
            )
        except ValidationError as error:
            self.add_error("reason", error)
        return cleaned


class ImportAdminMixin:
    """For TrackedAdmin: the import pages of the model's kind, if it is a fact kind with an
    endpoint (the same kinds the API imports)."""

    def may_import(self, request) -> bool:
        return (
            importable(self.model)
            and self.has_add_permission(request)
            and self.has_change_permission(request)
        )

    def get_urls(self):
        urls = super().get_urls()
        if not importable(self.model):
            return urls
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name=f"{info}_import"),
            path("import/confirm/", view(self.import_confirm_view), name=f"{info}_import_confirm"),
            path("import/cancel/", view(self.import_cancel_view), name=f"{info}_import_cancel"),
            *urls,
        ]

    def changelist_view(self, request, extra_context=None):
        if self.may_import(request):
            extra_context = {**(extra_context or {}), "import_url": self._url("import")}
        return super().changelist_view(request, extra_context)

    def _url(self, name: str) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}")

    def _context(self, request, title: str, **more) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "import_url": self._url("import"),
            **more,
        }

    # --- the pages --------------------------------------------------------------------------

    def import_view(self, request):
        """The upload form; posted, the file is kept and its dry run shown."""
        if not self.may_import(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            token = _keep(upload)
            entry = {
                "model": self.opts.label_lower,
                "name": Path(upload.name).name,
                "format": form.cleaned_data["format"],
                "reason": form.cleaned_data["history_reason"],
                "create_missing": form.cleaned_data["create_missing"],
                "allow_duplicates": form.cleaned_data["allow_duplicates"],
            }
            request.session[SESSION_KEY] = {**request.session.get(SESSION_KEY, {}), token: entry}
            return self._preview(request, token, entry, self._run(request, token, entry, True))
        title = f"Import {self.opts.verbose_name_plural}"
        return TemplateResponse(
            request, "admin/imports/upload.html", self._context(request, title, form=form)
        )

    def import_confirm_view(self, request):
        """Write the file kept under the posted token: all its rows, or none."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.may_import(request):
            raise PermissionDenied
        token, entry = self._entry(request)
        if entry is None:
            return self._gone(request)
        report = self._run(request, token, entry, False)
        if report.failed:
            self.message_user(request, "Nothing was imported: a row was refused.", messages.ERROR)
            return self._preview(request, token, entry, report)
        _forget(request, token)
        counts = report.counts
        self.message_user(
            request,
            f"Imported {entry['name']}: {counts['new']:,} new, {counts['update']:,} updated, "
            f"{counts['unchanged']:,} unchanged.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._url("changelist"))

    def import_cancel_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        token, entry = self._entry(request)
        if entry is not None:
            _forget(request, token)
            self.message_user(request, f"Import of {entry['name']} cancelled: nothing written.")
        return HttpResponseRedirect(self._url("changelist"))

    # --- helpers ----------------------------------------------------------------------------

    def _entry(self, request) -> tuple[str, dict | None]:
        token = request.POST.get("token", "")
        entry = request.session.get(SESSION_KEY, {}).get(token) if TOKEN.fullmatch(token) else None
        if entry is not None and entry["model"] != self.opts.label_lower:
            entry = None
        if entry is not None and not _path(token).exists():
            _forget(request, token)
            entry = None
        return token, entry

    def _gone(self, request):
        self.message_user(
            request,
            "This import is no longer waiting (confirmed, cancelled or expired): upload the "
            "file again.",
            messages.WARNING,
        )
        return HttpResponseRedirect(self._url("import"))

    def _run(self, request, token: str, entry: dict, dry_run: bool):
        with _path(token).open("rb") as stream:
            return run_import(
                stream,
                kind=kind_of(self.model).name,
                file_name=entry["name"],
                format=entry["format"],
                user=request.user,
                reason=entry["reason"],
                dry_run=dry_run,
                create_missing=entry["create_missing"],
                allow_duplicates=entry.get("allow_duplicates", False),
            )

    def _preview(self, request, token: str, entry: dict, report):
        shown = {id(outcome) for outcome in report.rows}
        context = self._context(
            request,
            f"Import {entry['name']}: preview",
            report=report,
            rows=[(outcome, self._record_url(report, outcome)) for outcome in report.rows],
            # Rows refused past the rows shown: listed on their own.
            refused=[outcome for outcome in report.errors if id(outcome) not in shown],
            token=token,
            entry=entry,
        )
        return TemplateResponse(request, "admin/imports/preview.html", context)

    def _record_url(self, report, outcome) -> str | None:
        """The admin page of the row's record, when it exists (not a dry run's new one)."""
        if outcome.record_id is None or (report.dry_run and outcome.outcome == NEW):
            return None
        info = f"admin:{self.opts.app_label}_{self.opts.model_name}_change"
        return reverse(info, args=[outcome.record_id])


def _directory() -> Path:
    directory = Path(settings.IMPORT_DIR)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def _path(token: str) -> Path:
    return _directory() / token


def _keep(upload) -> str:
    """Store the uploaded file under a new token; delete files left waiting for a day."""
    directory = _directory()
    now = time.time()
    for old in directory.iterdir():
        try:
            if old.is_file() and now - old.stat().st_mtime > STALE_SECONDS:
                old.unlink()
        except OSError:
            continue  # deleted meanwhile by another worker
    token = secrets.token_urlsafe(16)
    with (directory / token).open("xb") as kept:
        for chunk in upload.chunks():
            kept.write(chunk)
    return token


def _forget(request, token: str) -> None:
    _path(token).unlink(missing_ok=True)
    waiting = dict(request.session.get(SESSION_KEY, {}))
    waiting.pop(token, None)
    request.session[SESSION_KEY] = waiting
