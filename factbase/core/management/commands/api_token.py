from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from factbase.core.tokens import token_get_or_create, token_regenerate


class Command(BaseCommand):
    help = (
        "Print a user's API token key, and nothing else (export TOKEN=$(python manage.py "
        "api_token alice)); a token is created if the user has none. --regenerate replaces "
        "it with a new one: the old key stops working."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", metavar="USERNAME")
        parser.add_argument(
            "--regenerate", action="store_true", help="replace the user's token with a new one"
        )

    def handle(self, *args, username, regenerate, **options):
        User = get_user_model()
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(
                f"USERNAME: no user {username!r}. Create one with: "
                f"python manage.py setup_groups --add {username} editor"
            )
        if not user.is_active:
            raise CommandError(
                f"USERNAME: {username} is not active: a token would not authenticate."
            )
        if regenerate:
            token, note = token_regenerate(user), "regenerated"
        else:
            token, created = token_get_or_create(user)
            note = "created" if created else ""
        if note:  # on stderr: stdout holds the key alone, for $(...)
            self.stderr.write(f"API token of {username} {note}.")
        self.stdout.write(token.key)
