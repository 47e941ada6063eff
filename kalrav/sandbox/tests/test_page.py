"""The sandbox network's page: what a workspace's sandbox channels published, with their growing
numbers and their audience, labelled as a simulation; and the outage switch, which makes the
network fail as a real one does until it is switched off."""

from __future__ import annotations

import pytest

from kalrav.channels import services as channels
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.base import OutgoingPost, opened
from kalrav.connectors.errors import Transient
from kalrav.sandbox.models import SandboxAccount
from kalrav.workspaces.audit import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox(members, django_capture_on_commit_callbacks) -> Channel:
    owner = members["owner"]
    with django_capture_on_commit_callbacks(execute=True):  # the check that signs it up
        made = channels.connect_channel(
            owner,
            Actor(user=owner.user),
            network="sandbox",
            name="Tea sandbox",
            values={"handle": "tea"},
        )
    made.refresh_from_db()
    assert made.state == ChannelState.ACTIVE
    return made


def test_the_page_lists_what_was_published_there(member_client, workspace, sandbox, outsider):
    with opened(channels.connector_for(sandbox)) as connector:
        connector.publish(OutgoingPost("নতুন চা এসেছে!"), idempotency_key="k1")
    html = member_client("editor").get(f"/w/{workspace.slug}/sandbox/").content.decode()
    assert "নতুন চা এসেছে!" in html and "Simulation" in html and "Tea sandbox" in html
    # The sidebar leads there from every page of a workspace with a sandbox channel.
    calendar = member_client("editor").get(f"/w/{workspace.slug}/calendar/").content.decode()
    assert f"/w/{workspace.slug}/sandbox/" in calendar


def test_the_outage_switch_makes_the_network_fail_until_it_is_off(
    member_client, workspace, sandbox, django_capture_on_commit_callbacks
):
    client = member_client("owner")
    client.post(f"/w/{workspace.slug}/sandbox/{sandbox.pk}/outage/", {"outage": "on"})
    assert SandboxAccount.objects.get().outage
    with opened(channels.connector_for(sandbox)) as connector, pytest.raises(Transient):
        connector.publish(OutgoingPost("Chai at six"), idempotency_key="k1")
    assert "Switch the outage off" in client.get(f"/w/{workspace.slug}/sandbox/").content.decode()
    client.post(f"/w/{workspace.slug}/sandbox/{sandbox.pk}/outage/", {"outage": "off"})
    with opened(channels.connector_for(sandbox)) as connector:
        assert connector.publish(OutgoingPost("Chai at six"), idempotency_key="k1").remote_id


def test_an_editor_cannot_switch_an_outage(member_client, workspace, sandbox):
    answer = member_client("editor").post(
        f"/w/{workspace.slug}/sandbox/{sandbox.pk}/outage/", {"outage": "on"}
    )
    assert answer.status_code == 403
    assert not SandboxAccount.objects.get().outage
