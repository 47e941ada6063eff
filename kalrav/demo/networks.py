"""Demo channels for the big networks: an X account, a Facebook Page and an Instagram account in
the demo workspace, so a newcomer sees the composer's preview and limits for each, without an
account there. Each is marked as a demo channel (`config["demo"]`): it is paused, never calls
the network, and a post to it is held with the reason (kalrav.publishing.held). A network whose
connector is not in this Kalrav (registry.available()) gets no demo channel. Running it again
changes nothing."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors import registry
from kalrav.workspaces.models import Workspace

# Stored untranslated and shown in the reader's language (stored_words.in_reader_language).
DEMO_NOTICE = gettext_noop("demo: connect your own account to publish")
DEMO_NETWORKS = (
    ("x", "Shanti Tea on X", "shantitea"),
    ("facebook", "Shanti Tea (Facebook Page)", "shantitea"),
    ("instagram", "Shanti Tea on Instagram", "shantitea"),
)


def demo_channels(workspace: Workspace) -> list[Channel]:
    """The demo channel of each network that is available and that the workspace lacks."""
    available = set(registry.available())
    made = []
    for network, name, handle in DEMO_NETWORKS:
        if network not in available:
            continue
        if Channel.objects.filter(workspace=workspace, network=network).exists():
            continue
        made.append(
            Channel.objects.create(
                workspace=workspace,
                network=network,
                name=name,
                handle=handle,
                config={"demo": True},
                state=ChannelState.PAUSED,
                state_detail=DEMO_NOTICE,
            )
        )
    return made
