"""Nobody writes through the admin without the permission for that write.

Walks every admin URL (lists, forms, history pages and their revert forms, deleted
records, restores, conflicts, snapshots) and every list action as a viewer and as a
staff user with no group, GET and POST, with bodies that would change something if the
view let them, and proves that no row of any table changed (a hash of every table,
before and after)."""

import hashlib

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, models
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, reverse

from factbase.core.choices import Status

pytestmark = pytest.mark.django_db

# Tables a request may write without writing a fact: the session of the logged-in
# user, and the log of admin logins.
NOT_CONTENT = {"django_session", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"}


def table_hashes() -> dict[str, str]:
    hashes = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if table in NOT_CONTENT or not model._meta.managed:
                continue
            pk = model._meta.pk.column
            cursor.execute(f'SELECT * FROM "{table}" ORDER BY "{pk}"')
            digest = hashlib.sha256()
            for row in cursor.fetchall():
                digest.update(repr(row).encode())
            hashes[table] = digest.hexdigest()
    return hashes


def tampered(obj) -> dict:
    """The record's own form data with every free-text field changed: what a revert or a
    change form POST would save if it were let through."""
    data = {}
    for name, value in model_to_dict(obj).items():
        if value is None:
            continue
        field = obj._meta.get_field(name)
        if isinstance(value, list):
            data[name] = [getattr(item, "pk", item) for item in value]
        elif type(field) in (models.CharField, models.TextField) and value and not field.choices:
            data[name] = f"{value} (tampered)"
        else:
            data[name] = value
    data["loaded_version"] = getattr(obj, "version", "")
    data["change_reason"] = "tampering"
    data["post"] = "yes"
    return data


def admin_urls(model, model_admin) -> list[str]:
    """Every URL the model's admin serves, with its arguments filled from real rows."""
    obj = model._default_manager.order_by("pk").first()
    history = getattr(model, "history", None)
    version = history.filter(id=obj.pk).order_by("history_id").first() if obj and history else None
    args = {"object_id": obj.pk if obj else 1, "version_id": version.history_id if version else 1}
    urls = []

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
                continue
            assert isinstance(pattern, URLPattern)
            if pattern.name is None:
                continue  # the redirect of a bare id to its change page
            regex = pattern.pattern.regex
            if regex.groupindex:
                kwargs = {k: args.get(k, args["object_id"]) for k in regex.groupindex}
                urls.append(reverse(f"admin:{pattern.name}", kwargs=kwargs))
            else:  # simple-history's revert form: (object id, version id)
                positional = [args["object_id"], args["version_id"]][: regex.groups]
                urls.append(reverse(f"admin:{pattern.name}", args=positional))

    walk(model_admin.get_urls())
    return urls


def action_posts(model, model_admin) -> list[dict]:
    ids = [str(pk) for pk in model._default_manager.values_list("pk", flat=True)[:20]]
    actions = {name for _, name, _ in model_admin._get_base_actions()}
    return [
        {"action": action, "_selected_action": ids, "post": "yes", "index": "0"}
        for action in sorted(actions)
    ]


@pytest.fixture
def demo():
    call_command("load_demo", verbosity=0)


@pytest.fixture
def no_group_staff(db):
    return get_user_model().objects.create_user("staff", password="pw", is_staff=True)


@pytest.fixture(params=["viewer", "no_group_staff"])
def user_without_write(request, demo):
    return request.getfixturevalue(request.param)


def test_no_admin_url_or_action_writes_without_permission(client, user_without_write):
    client.force_login(user_without_write)
    before = table_hashes()
    requests = 0
    for model, model_admin in admin.site._registry.items():
        obj = model._default_manager.order_by("pk").first()
        body = tampered(obj) if obj is not None else {}
        for url in admin_urls(model, model_admin):
            assert client.get(url).status_code < 500, url
            assert client.post(url, body).status_code < 500, url
            requests += 2
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for post in action_posts(model, model_admin):
            assert client.post(changelist, post).status_code < 500, post["action"]
            requests += 1
    assert requests > 250  # the walk reached every admin, not a handful
    assert table_hashes() == before


def test_a_viewer_sees_a_past_version_without_inputs_and_cannot_revert_it(client, viewer, demo):
    from companies.models import Company

    company = Company.objects.get(slug="mistral-ai")
    version = company.history.order_by("history_id").first()
    url = reverse("admin:companies_company_simple_history", args=[company.pk, version.history_id])
    client.force_login(viewer)
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="description"' not in page.content  # values, not a form to post back
    assert b'value="Revert"' not in page.content  # no button to post the form back with

    response = client.post(url, tampered(company))
    assert response.status_code == 403
    company.refresh_from_db()
    assert "(tampered)" not in company.description


def test_a_viewer_cannot_run_status_actions(client, viewer, demo):
    from events.models import Metric

    metric = Metric.objects.exclude(status=Status.DISPUTED).order_by("pk").first()
    client.force_login(viewer)
    page = client.get(reverse("admin:events_metric_changelist"))
    assert b"mark_disputed" not in page.content  # not offered
    client.post(
        reverse("admin:events_metric_changelist"),
        {"action": "mark_disputed", "_selected_action": [metric.pk], "index": "0"},
    )
    metric.refresh_from_db()
    assert metric.status != Status.DISPUTED


def test_an_editor_still_reverts_and_marks(client, editor, demo):
    from companies.models import Company
    from events.models import Metric

    company = Company.objects.get(slug="mistral-ai")
    version = company.history.order_by("history_id").first()
    url = reverse("admin:companies_company_simple_history", args=[company.pk, version.history_id])
    client.force_login(editor)
    page = client.get(url).content
    assert b'name="description"' in page and b'value="Revert"' in page
    response = client.post(url, tampered(company))
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.description.endswith("(tampered)")

    metric = Metric.objects.exclude(status=Status.DISPUTED).order_by("pk").first()
    client.post(
        reverse("admin:events_metric_changelist"),
        {
            "action": "mark_disputed",
            "_selected_action": [metric.pk],
            "index": "0",
            "post": "yes",  # confirmed on the action's page, with a reason
            "change_reason": "Doubtful date",
        },
    )
    metric.refresh_from_db()
    assert metric.status == Status.DISPUTED
