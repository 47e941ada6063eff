"""The composer's live check, saving a composed post, and what each role sees on a post."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kalrav.publishing import approvals, posts, scheduling
from kalrav.publishing.models import Post, VariantState
from kalrav.publishing.tests.helpers import channel
from kalrav.workspaces import services as workspace_services
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member

pytestmark = pytest.mark.django_db


@pytest.fixture
def bluesky(workspace):
    return channel(workspace)


def test_check_counts_as_the_network_and_locates_problems(
    member_client, workspace, bluesky, members
):
    owner = members["owner"]
    workspace_services.update_brand_profile(
        owner,
        Actor(user=owner.user),
        banned_words=["সস্তা"],
        network_notes={"bluesky": "Short and warm."},
    )
    client = member_client("editor")
    url = f"/w/{workspace.slug}/posts/check/{bluesky.pk}/"
    # 👩‍👩‍👧 is one grapheme of five code points: Bluesky counts it as one.
    ok = client.post(
        url, {f"variant-{bluesky.pk}": "চা 👩‍👩‍👧 @rina #tea https://x.test"}
    ).content.decode()
    assert "29 / 300" in ok and "would accept this" in ok
    assert (
        '<span class="ent mention">@rina</span>' in ok and '<span class="ent tag">#tea</span>' in ok
    )
    assert "Short and warm." in ok
    # সস্তা is five code points but two characters to a reader (স and the conjunct স্তা).
    long = client.post(url, {f"variant-{bluesky.pk}": "সস্তা " + "a" * 300}).content.decode()
    assert "Too long by 3" in long
    assert "(characters 301–303)" in long
    assert "banned list" in long and "(characters 1–2)" in long
    assert '<mark class="over">' in long


def test_check_escapes_what_it_shows(member_client, workspace, bluesky):
    html = (
        member_client("editor")
        .post(
            f"/w/{workspace.slug}/posts/check/{bluesky.pk}/",
            {f"variant-{bluesky.pk}": "<script>x</script>"},
        )
        .content.decode()
    )
    assert "<script>x" not in html and "&lt;script&gt;" in html


def test_check_refuses_a_channel_of_another_workspace(member_client, workspace, outsider):

    foreign = channel(Member.objects.get(user=outsider).workspace)
    response = member_client("editor").post(f"/w/{workspace.slug}/posts/check/{foreign.pk}/", {})
    assert response.status_code == 404


def test_composer_saves_a_post_with_its_own_variant_texts(member_client, workspace, bluesky):
    mastodon = channel(workspace, network="mastodon", name="Masto", handle="@a@b.test")
    response = member_client("editor").post(
        f"/w/{workspace.slug}/posts/new/",
        {
            "title": "Winter",
            "text": "Winter blend",
            "tags": "tea, winter",
            "channels": [bluesky.pk, mastodon.pk],
            f"variant-{bluesky.pk}": "",
            f"variant-{mastodon.pk}": "Winter blend, now with #chai",
        },
    )
    assert response.status_code == 302
    post = Post.objects.get(title="Winter")
    texts = dict(post.variants.values_list("channel__network", "text"))
    assert texts == {"bluesky": "Winter blend", "mastodon": "Winter blend, now with #chai"}


def test_client_sees_approve_buttons_not_the_editor(member_client, workspace, bluesky, members):
    editor = members["editor"]
    post = posts.create_post(editor, Actor(user=editor.user), text="Tea", channel_ids=[bluesky.pk])
    approvals.submit_post(editor, Actor(user=editor.user), post.pk)
    client_html = (
        member_client("client").get(f"/w/{workspace.slug}/posts/{post.pk}/").content.decode()
    )
    assert "Approve" in client_html and "Save post" not in client_html
    editor_html = (
        member_client("editor").get(f"/w/{workspace.slug}/posts/{post.pk}/").content.decode()
    )
    assert "Save post" in editor_html and ">Approve<" not in editor_html
    approve = member_client("client").post(
        f"/w/{workspace.slug}/variants/{post.variants.get().pk}/approve/", {"comment": "Yes"}
    )
    assert approve.status_code == 302
    assert post.variants.get().state == VariantState.APPROVED


def test_approving_on_the_page_says_when_it_goes_out(member_client, workspace, bluesky, members):

    editor = members["editor"]
    post = posts.create_post(editor, Actor(user=editor.user), text="Tea", channel_ids=[bluesky.pk])
    variant = post.variants.get()
    when = datetime(2099, 6, 15, 4, 0, tzinfo=UTC)  # 09:30 in Kolkata
    scheduling.plan_variant(editor, Actor(user=editor.user), variant.pk, when)
    approvals.submit_post(editor, Actor(user=editor.user), post.pk)
    workspace.time_zone = "Asia/Kolkata"
    workspace.save()
    page = member_client("client").post(
        f"/w/{workspace.slug}/variants/{variant.pk}/approve/", {"comment": "Yes"}, follow=True
    )
    assert "Approved and scheduled for Mon 15 Jun, 09:30." in page.content.decode()
    variant.refresh_from_db()
    assert variant.state == VariantState.SCHEDULED and variant.scheduled_at == when


def test_scheduling_from_the_post_page_reads_the_workspace_zone(
    member_client, workspace, bluesky, members
):

    editor = members["editor"]
    post = posts.create_post(editor, Actor(user=editor.user), text="Tea", channel_ids=[bluesky.pk])
    variant = post.variants.get()
    member_client("editor").post(
        f"/w/{workspace.slug}/variants/{variant.pk}/schedule/", {"scheduled_at": "2099-05-01T09:30"}
    )
    variant.refresh_from_db()
    assert variant.state == VariantState.SCHEDULED
    assert variant.scheduled_at == datetime(2099, 5, 1, 4, 0, tzinfo=UTC)  # Asia/Kolkata
