"""`python -m kalrav rebuild_analytics_rollups [--workspace SLUG]`: the dashboards' rollups made
again from the stored readings, after a time zone change, a repair or an import."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from kalrav.analytics.rollups import services as rollups
from kalrav.workspaces.models import Workspace


class Command(BaseCommand):
    help = "Rebuild the analytics rollups (per day, per hour, per post) from the readings."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--workspace", help="only this workspace (its slug)")

    def handle(self, *args, **options) -> None:
        workspace_id = None
        if options.get("workspace"):
            found = Workspace.objects.filter(slug=options["workspace"]).first()
            if found is None:
                raise CommandError(f"No workspace {options['workspace']!r}.")
            workspace_id = found.pk
        count = rollups.rebuild(workspace_id)
        self.stdout.write(f"Rollups rebuilt from the readings of {count} posts.")
