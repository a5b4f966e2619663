from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from factbase.core.groups import ensure_groups


class Command(BaseCommand):
    help = (
        'Create the "editor" and "viewer" staff groups with their permissions '
        "(migrate also does this). --add USERNAME GROUP also makes a user staff in a group, "
        "creating the user, without a password, if there is none of that name."
    )

    def add_arguments(self, parser):
        parser.add_argument("--add", nargs=2, metavar=("USERNAME", "GROUP"), help="also add a user")

    def handle(self, *args, add=None, **options):
        counts = ensure_groups()
        for name, count in counts.items():
            self.stdout.write(f"group {name}: {count} permissions")
        if add:
            self.add(*add)

    @transaction.atomic
    def add(self, username: str, group_name: str) -> None:
        User = get_user_model()
        group = Group.objects.filter(name=group_name).first()
        if group is None:
            names = ", ".join(Group.objects.order_by("name").values_list("name", flat=True))
            raise CommandError(f"GROUP: no group {group_name!r}. Groups: {names}.")
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            user = self.create_user(username)
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(group)
        self.stdout.write(f"{username} is now staff in {group_name}")

    def create_user(self, username: str):
        """A user for a program or a person who has no login yet: no password, so no
        admin login until one is set; an API token works without one."""
        User = get_user_model()
        try:
            User._meta.get_field(User.USERNAME_FIELD).run_validators(username)
        except ValidationError as error:
            raise CommandError(f"USERNAME {username!r}: {' '.join(error.messages)}") from error
        user = User.objects.create_user(username)  # no password given: an unusable one
        self.stdout.write(
            f"created user {username} without a password; to log in to the admin, set one "
            f"with: python manage.py changepassword {username}"
        )
        return user
