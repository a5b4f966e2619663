"""What the admin answers when a value that names a record by id is not an id (`abc`,
`1.5`, thirty digits), however it arrives: a record picker, a list action's selection, a
history page's address. The field's message, a message on the list or a 404, with
nothing written: never a server error."""

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from companies.models import Company
from events.models import Metric

from .api.base import row_counts
from .test_admin_forms import page_data

pytestmark = pytest.mark.django_db

NOT_IDS = ["abc", "1.5", "9" * 30]


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def pickers():
    """(model, the page's field of the record form or of an inline, the inline's model)
    of every record picker on an add page."""
    for model, model_admin in admin.site._registry.items():
        for name in model_admin.autocomplete_fields:
            yield pytest.param(model, name, None, id=f"{model._meta.model_name}.{name}")
        for inline in model_admin.inlines:
            for name in inline.autocomplete_fields:
                label = f"{model._meta.model_name}.{inline.model._meta.model_name}.{name}"
                yield pytest.param(model, name, inline.model, id=label)


@pytest.mark.parametrize("model, name, inline_model", list(pickers()))
def test_a_picker_given_no_id_says_so_on_its_field(admin_client, model, name, inline_model):
    data = page_data(admin_client.get(url(model, "add")))
    before = model._default_manager.count()
    for value in NOT_IDS:
        if inline_model is None:
            data[name] = value
        else:
            response = admin_client.get(url(model, "add"))
            formset = next(
                f.formset
                for f in response.context["inline_admin_formsets"]
                if f.formset.model is inline_model
            )
            data[f"{formset.prefix}-TOTAL_FORMS"] = "1"
            data[f"{formset.prefix}-0-{name}"] = value
        response = admin_client.post(url(model, "add"), data)
        assert response.status_code == 200, (value, response.status_code)
        if inline_model is None:
            errors = response.context["adminform"].form.errors
        else:
            formset = next(
                f.formset
                for f in response.context["inline_admin_formsets"]
                if f.formset.model is inline_model
            )
            errors = formset.forms[0].errors
        assert {
            "Select a valid choice. That choice is not one of the available choices.",
            f"“{value}” is not a valid value.",
        } & set(errors.get(name, [])), (value, errors)
    assert model._default_manager.count() == before


def test_the_record_to_keep_of_a_merge_given_no_id_is_refused(admin_client):
    one, two = (Company.objects.create(name=n, slug=n.lower()) for n in ("One", "Two"))
    for value in NOT_IDS:
        response = admin_client.get(
            url(Company, "merge"), {"ids": f"{one.pk},{two.pk}", "keep": value}
        )
        assert response.status_code == 200, value
        assert "Select a valid choice" in response.content.decode(), value
    assert Company.objects.count() == 2


@pytest.mark.parametrize("value", NOT_IDS)
def test_a_list_action_given_no_id_does_nothing_and_says_so(editor_client, value):
    before = row_counts()
    metric_list = url(Metric, "changelist")
    response = editor_client.post(
        metric_list,
        {
            "action": "mark_disputed",
            ACTION_CHECKBOX_NAME: [value],
            "index": "0",
            "post": "yes",
            "change_reason": "checked",
        },
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert shown == [f"Nothing done: not the id of a record: “{value[:20]}”."]
    assert row_counts() == before


@pytest.mark.parametrize("value", NOT_IDS)
def test_a_history_page_of_no_id_is_not_found(admin_client, value):
    company = Company.objects.create(name="One", slug="one")
    assert admin_client.get(url(Company, "history", value)).status_code == 404
    version = company.history.get().history_id
    assert admin_client.get(url(Company, "history", company.pk)).status_code == 200
    address = url(Company, "simple_history", company.pk, version)
    assert admin_client.get(address).status_code == 200
    assert admin_client.get(address.replace(f"/{version}/", f"/{value}/")).status_code == 404
