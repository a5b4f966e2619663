"""API tokens in the admin: every active staff user manages their own token.

Replaces DRF's token admin, which only a superuser could use and which showed every key
in full. Here a key is shown in full once, on the page that answers its creation or
regeneration, and masked everywhere else. An editor sees, creates, regenerates and
revokes their own token only; another user's token is a 404 to them. A superuser sees and
revokes every token, and may create one for a user who has none.

Pages (each write asks for a confirmation first): the list; "mine/" (the user tools' "My
API token": one's token, or the page to create it); add/; <user id>/change/ (the token's
page); <user id>/regenerate/; <user id>/delete/ (revoke); <user id>/history/. A token
is addressed by its user's id, never by its key, so no key is ever in a URL or a log.

Each write is logged in Django's admin log (LogEntry) with who did it and whose token it
was, under the masked key.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.admin.options import get_content_type_for_model
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

# DRF's token admin registers itself when its module is imported (the admin's
# autodiscovery does, before this module runs); imported here so that it has been
# registered before it is replaced, whatever imports this module first.
from rest_framework.authtoken import admin as drf_token_admin
from rest_framework.authtoken.models import TokenProxy

from factbase.core.tokens import (
    TokenExists,
    describe,
    masked,
    token_create,
    token_regenerate,
    token_revoke,
)

CONFIRMED = "post"  # the hidden field of a confirmation form, as Django's delete page has


class TokenCreateForm(forms.Form):
    """Whom a new token is for: oneself, or, for a superuser, a user without a token."""

    user = forms.ModelChoiceField(
        # Inactive users are left out: their token would not authenticate.
        queryset=get_user_model().objects.filter(is_active=True, auth_token__isnull=True),
        required=False,
        empty_label="Myself",
        help_text="Active users who have no token. Leave as it is to create your own.",
    )

    def __init__(self, *args, requester, **kwargs):
        super().__init__(*args, **kwargs)
        self.requester = requester
        if not requester.is_superuser:
            del self.fields["user"]
        else:
            users = self.fields["user"]
            users.queryset = users.queryset.order_by(get_user_model().USERNAME_FIELD)

    def clean(self):
        data = super().clean()
        user = data.get("user") or self.requester
        if TokenProxy.objects.filter(user=user).exists():
            raise ValidationError(f"{user.get_username()} already has a token.")
        data["user"] = user
        return data


class TokenAdmin(admin.ModelAdmin):
    list_display = ("masked_key", "user", "created")
    list_select_related = ("user",)
    list_filter = ("created",)
    search_fields = ("user__username",)
    search_help_text = "Username"
    ordering = ("user__username",)
    actions = None  # a token is addressed by its user's id, which list actions do not map
    object_history_template = "admin/tokens/history.html"

    # Who may do what. Any active staff user manages their own token; a superuser every
    # token. The model permissions are not asked: the groups give none on tokens, and a
    # token is its user's own credential, not a record of the database.

    @staticmethod
    def is_staff(request) -> bool:
        return request.user.is_active and request.user.is_staff

    def may_manage(self, request, token) -> bool:
        return self.is_staff(request) and (
            request.user.is_superuser or token.user_id == request.user.pk
        )

    def has_module_permission(self, request):
        return self.is_staff(request)

    def has_view_permission(self, request, obj=None):
        return self.is_staff(request) if obj is None else self.may_manage(request, obj)

    def has_add_permission(self, request):
        return self.is_staff(request)

    def has_change_permission(self, request, obj=None):
        return False  # a token is regenerated or revoked, never edited

    def has_delete_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def get_queryset(self, request):
        tokens = super().get_queryset(request).select_related("user")
        return tokens if request.user.is_superuser else tokens.filter(user=request.user)

    def get_object(self, request, object_id, from_field=None):
        """The token of the user whose id is in the URL, among the tokens this user may
        see: anything else, another's token included, is a 404."""
        try:
            user_id = get_user_model()._meta.pk.to_python(object_id)
            token = self.get_queryset(request).filter(user_id=user_id).first()
        except (ValidationError, ValueError):
            token = None
        if token is None:
            raise Http404("No such token.")
        return token

    def get_changelist(self, request, **kwargs):
        return drf_token_admin.TokenChangeList  # links each row by its user's id

    @admin.display(description="key")
    def masked_key(self, token):
        return masked(token.key)

    # URLs and pages.

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("mine/", view(self.mine_view), name=f"{name}_mine"),
            path(
                "<path:object_id>/regenerate/",
                view(self.regenerate_view),
                name=f"{name}_regenerate",
            ),
            *super().get_urls(),
        ]

    def url(self, view: str, token=None) -> str:
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_{view}"
        return reverse(name, args=[] if token is None else [token.user_id])

    def render(self, request, template: str, title: str, **context):
        return TemplateResponse(
            request,
            f"admin/tokens/{template}.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": title,
                "mine": request.user,
                **context,
            },
        )

    def mine_view(self, request):
        token = TokenProxy.objects.filter(user=request.user).first()
        return HttpResponseRedirect(self.url("change", token) if token else self.url("add"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The token's page: whose it is, its masked key, and the buttons to regenerate or
        revoke it."""
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        token = self.get_object(request, object_id)
        return self.render(
            request,
            "token",
            "API token" if token.user_id == request.user.pk else describe(token),
            token=token,
            masked_key=masked(token.key),
        )

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        own = TokenProxy.objects.filter(user=request.user).first()
        if own is not None and not request.user.is_superuser:
            self.message_user(
                request, "You already have an API token: regenerate or revoke it here."
            )
            return HttpResponseRedirect(self.url("change", own))
        confirmed = request.method == "POST" and CONFIRMED in request.POST
        form = TokenCreateForm(request.POST if confirmed else None, requester=request.user)
        if confirmed and form.is_valid():
            user = form.cleaned_data["user"]
            try:
                token = token_create(user)
            except TokenExists:
                form.add_error(None, f"{user.get_username()} already has a token.")
            else:
                self.log_addition(request, token, "Created.")
                return self.show_key(request, token, "created")
        return self.render(
            request,
            "confirm",
            "Create an API token",
            form=form,
            action="create",
            button="Create the token",
        )

    def regenerate_view(self, request, object_id):
        token = self.get_object(request, object_id)
        if not self.may_manage(request, token):
            raise PermissionDenied
        if request.method == "POST" and CONFIRMED in request.POST:
            new = token_regenerate(token.user)
            self.log_change(request, new, f"Regenerated: {masked(token.key)} revoked.")
            return self.show_key(request, new, "regenerated")
        return self.render(
            request,
            "confirm",
            "Regenerate the API token",
            token=token,
            masked_key=masked(token.key),
            action="regenerate",
            button="Yes, regenerate it",
        )

    def delete_view(self, request, object_id, extra_context=None):
        """Revoke: the token is deleted, and whatever sends it gets 401 from then on."""
        token = self.get_object(request, object_id)
        if not self.has_delete_permission(request, token):
            raise PermissionDenied
        if request.method == "POST" and CONFIRMED in request.POST:
            self.log_deletions(request, [token])
            token_revoke(token.user)
            self.message_user(request, f"Revoked the {describe(token)}.", messages.SUCCESS)
            return HttpResponseRedirect(self.url("changelist"))
        return self.render(
            request,
            "confirm",
            "Revoke the API token",
            token=token,
            masked_key=masked(token.key),
            action="revoke",
            button="Yes, revoke it",
        )

    def history_view(self, request, object_id, extra_context=None):
        token = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), "title": f"History of the {describe(token)}"}
        return super().history_view(request, object_id, extra_context)

    def show_key(self, request, token, done: str):
        """The page answering a creation or a regeneration: the only one with the key in
        full. It is not kept anywhere to be shown again."""
        return self.render(
            request,
            "key",
            f"API token {done}",
            token=token,
            api_url=request.build_absolute_uri(reverse("factbase-api:root")),
        )

    # The admin log, under the masked key: Django's own would write str(token), the key.

    def log_token(self, request, token, flag: int, message: str) -> LogEntry:
        return LogEntry.objects.create(
            user_id=request.user.pk,
            content_type_id=get_content_type_for_model(self.model).pk,
            object_id=str(token.user_id),
            object_repr=describe(token)[:200],
            action_flag=flag,
            change_message=message,
        )

    def log_addition(self, request, obj, message):
        return self.log_token(request, obj, ADDITION, message)

    def log_change(self, request, obj, message):
        return self.log_token(request, obj, CHANGE, message)

    def log_deletions(self, request, queryset):
        return [self.log_token(request, token, DELETION, "Revoked.") for token in queryset]


if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)
admin.site.register(TokenProxy, TokenAdmin)
