from django.core.management.base import BaseCommand

from kalrav.workspaces import demo


class Command(BaseCommand):
    help = "Create demo workspaces and logins (safe to run again: existing demo data is kept)."

    def handle(self, *args, **options):
        user, workspaces = demo.load()
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        self.stdout.write(f"  Sign in as {user.email} with password {demo.DEMO_PASSWORD}")
        self.stdout.write(
            "  Other roles: manager@, editor@, agent@, analyst@, client@kalrav.local (same password)"
        )
        for workspace in workspaces:
            self.stdout.write(f"  Workspace: {workspace.name} (/w/{workspace.slug}/)")
