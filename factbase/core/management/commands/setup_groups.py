from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from factbase.core.groups import ensure_groups


class Command(BaseCommand):
    help = (
        'Create the "editor" and "viewer" staff groups with their permissions '
        "(migrate also does this). Add a user to a group in the admin or with --add."
    )

    def add_arguments(self, parser):
        parser.add_argument("--add", nargs=2, metavar=("USERNAME", "GROUP"), help="also add a user")

    def handle(self, *args, add=None, **options):
        counts = ensure_groups()
        for name, count in counts.items():
            self.stdout.write(f"group {name}: {count} permissions")
        if add:
            username, group_name = add
            try:
                user = get_user_model().objects.get(username=username)
                group = Group.objects.get(name=group_name)
            except (get_user_model().DoesNotExist, Group.DoesNotExist) as error:
                raise CommandError(str(error)) from error
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            user.groups.add(group)
            self.stdout.write(f"{username} is now staff in {group_name}")
