"""The demo's listening: two monitors and two weeks of mentions in the five UI languages, shown
on the mentions page and the dashboard at once; a second run adds nothing."""

from __future__ import annotations

from django.core.management import call_command
from django.urls import reverse

from kalrav.demo.workspaces import DEMO_EMAIL
from kalrav.listening.models import Mention, MentionMatch, Monitor
from kalrav.workspaces.models import Workspace


def test_the_demo_hears_the_brand_and_its_competitor(db, client):
    call_command("demo")
    tea = Workspace.objects.get(slug="shanti-tea")
    brand, rival = Monitor.objects.filter(workspace=tea).order_by("pk")
    assert (brand.kind, rival.kind) == ("brand", "competitor")
    mentions = Mention.objects.filter(workspace=tea)
    assert mentions.count() == 30
    assert set(mentions.values_list("language", flat=True)) == {"en", "bn", "hi", "gu", "el"}
    # Read on arrival: every sentiment occurs, and each post matches the monitor it names.
    assert set(mentions.values_list("sentiment", flat=True)) == {"positive", "neutral", "negative"}
    assert MentionMatch.objects.filter(monitor=brand).count() == 24
    assert MentionMatch.objects.filter(monitor=rival).count() == 7
    call_command("demo")
    assert Mention.objects.filter(workspace=tea).count() == 30

    client.force_login(tea.members.get(user__email=DEMO_EMAIL).user)
    page = client.get(reverse("listening:mentions", kwargs={"ws": tea.slug})).content.decode()
    assert "শান্তি চায়ের নলেন গুড়ের চা দারুণ" in page  # two days ago: in the default week
