import argparse
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

PASSWORD_FILE = Path(settings.BASE_DIR) / ".local-admin-password"


def port_number(text: str) -> int:
    """A TCP port, 1 to 65535; anything else is refused with the value named."""
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1 to 65535).")
    return int(text)


class Command(BaseCommand):
    help = (
        "Make sure a local superuser exists for a development run and print its login. "
        "The password is random, kept in .local-admin-password (not in git). DEBUG only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        # The port the server is started on (make run PORT=...), so the URL printed is
        # the one it serves.
        parser.add_argument("--port", type=port_number, default=8000)

    def handle(self, *args, username, port, **options):
        if not settings.DEBUG:
            raise CommandError("local_admin is for local DEBUG runs; use createsuperuser.")
        User = get_user_model()
        password = PASSWORD_FILE.read_text().strip() if PASSWORD_FILE.exists() else ""
        user = User.objects.filter(username=username).first()
        if user is None or not password or not user.check_password(password):
            password = password or secrets.token_urlsafe(12)
            user = user or User(username=username, email=f"{username}@localhost")
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
            PASSWORD_FILE.write_text(password + "\n")
            PASSWORD_FILE.chmod(0o600)
        self.stdout.write(
            f"Admin login: http://127.0.0.1:{port}/admin/  user {username}  password {password}"
        )
