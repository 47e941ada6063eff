"""What a person sees in the list and on a conversation: each row's language as a chip and a
filter by language (as sentiment has), a view of unassigned work by that name, and a hand-off
that waits for a team to be chosen instead of starting on the first one."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors import registry
from kalrav.connectors.base import ItemKind
from kalrav.demo.inbox import SAVED_VIEWS
from kalrav.inbox.intake.ingest import ingest
from kalrav.inbox.models import Conversation, Team
from kalrav.inbox.tests.fakes import FakeInboxConnector, item

BENGALI = "আপনাদের ডেলিভারি খুব খারাপ, আমি খুবই হতাশ"
ENGLISH = "Thank you, the tea was wonderful!"


@pytest.fixture
def channel(workspace):
    registry.reset(
        {**registry.CONNECTORS, "fakeinbox": "kalrav.inbox.tests.fakes.FakeInboxConnector"}
    )
    FakeInboxConnector.replies, FakeInboxConnector.fail_with = [], None
    yield Channel.objects.create(
        workspace=workspace, network="fakeinbox", name="Brand", state=ChannelState.ACTIVE
    )
    registry.reset()


@pytest.fixture
def two_languages(channel):
    ingest(
        channel,
        [
            item("b1", BENGALI, kind=ItemKind.MENTION),
            item("e1", ENGLISH, author="ravi", kind=ItemKind.MENTION),
        ],
        via="poll",
    )


def _chips(page: str) -> list[str]:
    return re.findall(r'<span class="badge lang" lang="(\w+)"[^>]*>([^<]+)</span>', page)


def test_each_row_shows_its_language(two_languages, member_client, workspace):
    page = member_client("agent").get(f"/w/{workspace.slug}/inbox/").content.decode()
    assert sorted(_chips(page)) == [("bn", "Bengali"), ("en", "English")]


def test_the_chip_speaks_the_readers_language(two_languages, member_client, workspace):
    client = member_client("agent")
    client.post("/i18n/language/", {"language": "bn", "next": "/"})
    with translation.override("bn"):
        bengali, english = translation.gettext("Bengali"), translation.gettext("English")
    assert bengali != "Bengali"
    page = client.get(f"/w/{workspace.slug}/inbox/").content.decode()
    assert sorted(_chips(page)) == [("bn", bengali), ("en", english)]


def test_the_list_filters_by_language(two_languages, member_client, workspace):
    client = member_client("agent")
    page = client.get(f"/w/{workspace.slug}/inbox/").content.decode()
    assert '<select name="language"' in page
    assert '<option value="bn">Bengali</option>' in page
    bengali = client.get(f"/w/{workspace.slug}/inbox/", {"language": "bn"}).content.decode()
    assert BENGALI in bengali
    assert ENGLISH not in bengali
    english = client.get(f"/w/{workspace.slug}/inbox/", {"language": "en"}).content.decode()
    assert ENGLISH in english
    assert BENGALI not in english


def test_the_demo_names_its_unassigned_view_plainly():
    names = [name for name, _filters, _shared in SAVED_VIEWS]
    assert "Unassigned" in names
    assert "Nobody's yet" not in names


def test_hand_off_starts_on_a_placeholder(channel, member_client, workspace):
    Team.objects.create(workspace=workspace, name="Billing", email="billing@acme.example")
    Team.objects.create(workspace=workspace, name="PR", email="pr@acme.example")
    ingest(channel, [item("q", "Where is my parcel?")], via="poll")
    conversation = Conversation.objects.get()
    client = member_client("agent")
    page = client.get(f"/w/{workspace.slug}/inbox/{conversation.pk}/").content.decode()
    select = re.search(r'<select id="handoff-team"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", select.group(1))
    assert options[0] == (' value="" selected disabled', "Choose a team…")
    assert [label for _attrs, label in options[1:]] == ["Billing", "PR"]
    assert all("selected" not in attrs for attrs, _label in options[1:])
    assert "required" in select.group(0)
    # Sent without a choice anyway (no browser check), nothing is handed off and it says why.
    answer = client.post(
        f"/w/{workspace.slug}/inbox/{conversation.pk}/handoff/", {"team": ""}, follow=True
    )
    assert "Choose a team of this workspace." in answer.content.decode()
    assert not conversation.handoffs.exists()
