import getpass
import os

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from kalrav.accounts.models import User
from kalrav.workspaces import services
from kalrav.workspaces.audit import Actor


class Command(BaseCommand):
    help = "Create an administrator account, and optionally a first workspace they own."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument(
            "--workspace", help="name of a workspace to create, owned by this account"
        )
        parser.add_argument("--first-name", default="")
        parser.add_argument(
            "--password-from-env", action="store_true",
            help="read the password from KALRAV_ADMIN_PASSWORD instead of asking",
        )  # fmt: skip

    def handle(self, *args, **options):
        email = options["email"].strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"{email!r} is not an email address") from None
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"an account for {email} exists already")
        if options["password_from_env"]:
            password = os.environ.get("KALRAV_ADMIN_PASSWORD", "")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the two passwords differ")
        try:
            validate_password(password, User(email=email))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        with transaction.atomic():
            user = User.objects.create_superuser(email, password, first_name=options["first_name"])
            if options["workspace"]:
                workspace = services.create_workspace(
                    user, Actor(user=user, via="command"), name=options["workspace"]
                )
                self.stdout.write(f"Workspace {workspace.name} at /w/{workspace.slug}/")
        self.stdout.write(self.style.SUCCESS(f"Administrator {email} created."))
