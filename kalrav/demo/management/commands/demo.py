from django.core.management.base import BaseCommand

from kalrav.demo import seed
from kalrav.demo.workspaces import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Create demo workspaces and logins (safe to run again: existing demo data is kept)."

    def handle(self, *args, **options):
        user, workspaces = seed.load()
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        self.stdout.write(f"  Sign in as {user.email} with password {DEMO_PASSWORD}")
        self.stdout.write(
            "  Other roles: manager@, editor@, agent@, analyst@, client@kalrav.local (same password)"
        )
        for workspace in workspaces:
            self.stdout.write(f"  Workspace: {workspace.name} (/w/{workspace.slug}/)")
        self.stdout.write(
            f"  Sandbox network, a simulation to publish and answer on: "
            f"/w/{workspaces[0].slug}/sandbox/"
        )
