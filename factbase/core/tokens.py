"""API tokens: DRF's authtoken, one token per user, sent as `Authorization: Token <key>`.

Created, regenerated and revoked here, for the admin's token pages
(factbase/admin/tokens.py) and `manage.py api_token`. Tokens are credentials, not facts:
they have no history of their own; the admin records who did what in its LogEntry.
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token

SHOWN = 4  # the characters of a key shown once it is no longer new


class TokenExists(Exception):
    """The user already has a token: regenerate or revoke it instead."""


def masked(key: str) -> str:
    """A key as lists and pages show it: enough to tell it apart, not enough to use it."""
    return "•" * 8 + key[-SHOWN:]


def describe(token: Token) -> str:
    """The token named without its key: for messages and the admin's log."""
    return f"API token {masked(token.key)} of {token.user.get_username()}"


def _lock(user) -> None:
    # One change at a time per user: two requests creating or regenerating a token for
    # the same user would otherwise both insert one, and the second would fail on the
    # one-token-per-user constraint.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()


def token_create(user) -> Token:
    """A new token for a user who has none; TokenExists otherwise."""
    try:
        with transaction.atomic():
            _lock(user)
            if Token.objects.filter(user=user).exists():
                raise TokenExists(user)
            return Token.objects.create(user=user)
    except IntegrityError as error:  # created meanwhile by a request that did not lock
        raise TokenExists(user) from error


def token_regenerate(user) -> Token:
    """A new token for the user; the old one, if any, stops authenticating at once."""
    with transaction.atomic():
        _lock(user)
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)


def token_get_or_create(user) -> tuple[Token, bool]:
    """The user's token, created if they have none; and whether it was created."""
    token = Token.objects.filter(user=user).first()
    if token is not None:
        return token, False
    try:
        return token_create(user), True
    except TokenExists:
        return Token.objects.get(user=user), False


def token_revoke(user) -> bool:
    """Delete the user's token; whether there was one."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)
