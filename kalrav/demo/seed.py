"""`kalrav demo`: the demo's parts in the order they build on each other. Each part checks
whether it exists, so running it again changes nothing and an older demo gains the newer parts."""

from __future__ import annotations

from django.db import transaction

from kalrav.accounts.models import User
from kalrav.demo import inbox, listening, networks, publishing, sandbox
from kalrav.demo.workspaces import load_workspaces
from kalrav.workspaces.models import Workspace


@transaction.atomic
def load() -> tuple[User, list[Workspace]]:
    """Create the demo data unless it is there already; running it again changes nothing."""
    demo, (tea, travel) = load_workspaces()
    # The inbox and the calendar use the sandbox channel, so answering and publishing work.
    channel = sandbox.channel(tea)
    sandbox.adopt_old_inbox(tea, channel)
    inbox.load(tea, channel)
    publishing.load_demo_posts(tea.slug)
    # After the sample posts, which are written for the networks the demo first had.
    networks.demo_channels(tea)
    sandbox.history(tea, channel)
    listening.load(tea)
    return demo, [tea, travel]
