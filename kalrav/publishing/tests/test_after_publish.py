"""After publishing: deleting a variant from its network and editing its words where the network
allows it, through the services, the post page and the API, against fake networks."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from kalrav.api import tokens
from kalrav.connectors import registry
from kalrav.connectors.base import Editor, OutgoingPost, PublishedRef, Publisher
from kalrav.connectors.errors import AuthExpired, Rejected
from kalrav.publishing import posts
from kalrav.publishing.editing import services as editing
from kalrav.publishing.models import Variant, VariantState
from kalrav.publishing.tests.helpers import channel
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import AuditEntry

pytestmark = pytest.mark.django_db
S = VariantState


class EditableNet:
    """Deletes and edits like Mastodon: answers with the next scripted error, if any."""

    slug = "editnet"
    label = "Editable network"
    rules = registry.get("mastodon").rules
    capabilities: tuple[type, ...] = (Publisher, Editor)
    settings_fields = ()
    script: list = []
    deleted: list[tuple[PublishedRef, str]] = []
    edited: list[tuple[PublishedRef, OutgoingPost]] = []

    def __init__(self, context):
        self.context = context

    def _step(self):
        step = EditableNet.script.pop(0) if EditableNet.script else None
        if step is not None:
            raise step

    def validate(self, post):
        return []

    def publish(self, post, *, idempotency_key):
        raise AssertionError("not published here")

    def delete(self, ref, *, idempotency_key):
        self._step()
        EditableNet.deleted.append((ref, idempotency_key))

    def edit(self, ref, post, *, idempotency_key):
        self._step()
        EditableNet.edited.append((ref, post))
        return PublishedRef(ref.remote_id, ref.url + "?edited", extra={"edits": "1"})


class FixedNet(EditableNet):
    """A network without editing (Bluesky's case): Publisher only."""

    slug = "fixednet"
    label = "Fixed network"
    capabilities = (Publisher,)
    edit = None  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def networks():
    registry.reset(
        {
            **registry.CONNECTORS,
            "editnet": f"{__name__}.EditableNet",
            "fixednet": f"{__name__}.FixedNet",
        }
    )
    EditableNet.script, EditableNet.deleted, EditableNet.edited = [], [], []
    yield
    registry.reset()


def published(members, network="editnet", text="Chai at six.") -> Variant:
    owner = members["owner"]
    chan = channel(owner.workspace, network=network, name=f"Shanti on {network}")
    post = posts.create_post(
        owner, Actor(user=owner.user), title="Chai", text=text, channel_ids=[chan.pk]
    )
    variant = post.variants.get()
    Variant.objects.filter(pk=variant.pk).update(
        state=S.PUBLISHED,
        remote_id="109",
        remote_url="https://net.example/@shanti/109",
        remote_extra={"thread": "110,111"},
        published_at=timezone.now(),
    )
    return Variant.objects.select_related("channel", "post").get(pk=variant.pk)


def actions(variant) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_id=str(variant.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


def test_delete_removes_it_from_the_network_and_keeps_a_visible_record(
    members, django_capture_on_commit_callbacks
):
    variant = published(members)
    manager = members["manager"]
    with django_capture_on_commit_callbacks(execute=True):
        editing.delete_published(manager, Actor(user=manager.user), variant.pk)
    variant.refresh_from_db()
    assert variant.state == S.DELETED
    [(ref, key)] = EditableNet.deleted
    # The whole reference goes to the connector: the thread parts are deleted too.
    assert ref.remote_id == "109" and ref.extra == {"thread": "110,111"}
    assert key == f"{variant.idempotency_key}:delete"
    assert actions(variant)[-2:] == ["variant.delete_requested", "variant.deleted"]
    # A deleted variant is final; deleting again is refused with a reason.
    with pytest.raises(ValidationError, match="Only a published variant"):
        editing.delete_published(manager, Actor(user=manager.user), variant.pk)


def test_a_refused_delete_leaves_it_published_with_the_networks_words(
    members, django_capture_on_commit_callbacks
):
    variant = published(members)
    EditableNet.script = [Rejected("Record not found or not yours")]
    manager = members["manager"]
    with django_capture_on_commit_callbacks(execute=True):
        editing.delete_published(manager, Actor(user=manager.user), variant.pk)
    variant.refresh_from_db()
    assert variant.state == S.PUBLISHED
    assert variant.last_error == "Record not found or not yours"
    assert actions(variant)[-1] == "variant.delete_failed"


def test_an_expired_login_marks_the_channel_and_keeps_the_post(
    members, django_capture_on_commit_callbacks
):
    variant = published(members)
    EditableNet.script = [AuthExpired("The access token was revoked")]
    owner = members["owner"]
    with django_capture_on_commit_callbacks(execute=True):
        editing.delete_published(owner, Actor(user=owner.user), variant.pk)
    variant.refresh_from_db()
    variant.channel.refresh_from_db()
    assert variant.state == S.PUBLISHED and "revoked" in variant.last_error
    assert variant.channel.state == "needs_reconnect"


def test_only_those_who_publish_may_delete_or_edit(members):
    variant = published(members)
    editor = members["editor"]
    with pytest.raises(PermissionDenied):
        editing.delete_published(editor, Actor(user=editor.user), variant.pk)
    with pytest.raises(PermissionDenied):
        editing.edit_published(editor, Actor(user=editor.user), variant.pk, "New")


def test_a_draft_cannot_be_deleted_from_the_network(members):
    owner = members["owner"]
    chan = channel(owner.workspace, network="editnet")
    post = posts.create_post(owner, Actor(user=owner.user), text="Hi", channel_ids=[chan.pk])
    with pytest.raises(ValidationError, match="Only a published variant"):
        editing.delete_published(owner, Actor(user=owner.user), post.variants.get().pk)


def test_edit_changes_the_words_on_the_network(members, django_capture_on_commit_callbacks):
    variant = published(members)
    manager = members["manager"]
    with django_capture_on_commit_callbacks(execute=True):
        editing.edit_published(
            manager, Actor(user=manager.user), variant.pk, "Chai at seven, not six."
        )
    variant.refresh_from_db()
    [(ref, post)] = EditableNet.edited
    assert ref.remote_id == "109" and post.text == "Chai at seven, not six."
    assert variant.text == "Chai at seven, not six." and variant.state == S.PUBLISHED
    assert variant.remote_url.endswith("?edited")
    assert variant.remote_extra == {"thread": "110,111", "edits": "1"}
    assert actions(variant)[-2:] == ["variant.edit_requested", "variant.edited_published"]


def test_a_refused_edit_keeps_the_old_words_and_says_why(
    members, django_capture_on_commit_callbacks
):
    variant = published(members)
    EditableNet.script = [Rejected("Validation failed: Text character limit of 500 exceeded")]
    owner = members["owner"]
    with django_capture_on_commit_callbacks(execute=True):
        editing.edit_published(owner, Actor(user=owner.user), variant.pk, "Better words")
    variant.refresh_from_db()
    assert variant.text == "Chai at six."
    assert variant.last_error == "Validation failed: Text character limit of 500 exceeded"
    assert actions(variant)[-1] == "variant.edit_failed"


def test_words_the_network_would_refuse_are_refused_before_asking(members):
    variant = published(members)
    owner = members["owner"]
    with pytest.raises(ValidationError, match="Too long by 1"):
        editing.edit_published(owner, Actor(user=owner.user), variant.pk, "x" * 501)
    assert EditableNet.edited == []


def test_a_network_without_editing_says_delete_and_post_again(members):
    variant = published(members, network="fixednet")
    owner = members["owner"]
    with pytest.raises(ValidationError, match="does not allow editing a published post"):
        editing.edit_published(owner, Actor(user=owner.user), variant.pk, "New words")
    assert editing.can_edit("mastodon") and editing.can_edit("telegram")
    assert not editing.can_edit("bluesky")


def test_post_page_offers_edit_or_explains_and_confirms_deletion(
    client, members, django_capture_on_commit_callbacks
):
    editable = published(members)
    fixed = published(members, network="fixednet")
    client.force_login(members["manager"].user)
    page = client.get(
        reverse(
            "publishing:post",
            kwargs={"ws": editable.post.workspace.slug, "post_id": editable.post_id},
        )
    ).content.decode()
    assert "Edit on the network" in page and "Delete from the network" in page
    page = client.get(
        reverse(
            "publishing:post", kwargs={"ws": fixed.post.workspace.slug, "post_id": fixed.post_id}
        )
    ).content.decode()
    assert "Fixednet does not allow editing a published post; delete it and post again." in page

    url = reverse(
        "publishing:variant-delete-published",
        kwargs={"ws": editable.post.workspace.slug, "variant_id": editable.pk},
    )
    # Without the confirmation box nothing happens.
    answer = client.post(url, follow=True)
    assert "Tick the box to confirm" in answer.content.decode()
    assert Variant.objects.get(pk=editable.pk).state == S.PUBLISHED
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"confirm": "yes"})
    assert Variant.objects.get(pk=editable.pk).state == S.DELETED
    page = client.get(
        reverse(
            "publishing:post",
            kwargs={"ws": editable.post.workspace.slug, "post_id": editable.post_id},
        )
    ).content.decode()
    assert "Deleted from the network" in page
    assert "https://net.example/@shanti/109" not in page  # no link to a post that is gone


def test_edit_on_the_post_page(client, members, django_capture_on_commit_callbacks):
    variant = published(members)
    client.force_login(members["owner"].user)
    url = reverse(
        "publishing:variant-edit-published",
        kwargs={"ws": variant.post.workspace.slug, "variant_id": variant.pk},
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"text": "Chai at seven."})
    assert Variant.objects.get(pk=variant.pk).text == "Chai at seven."


def test_api_delete_and_edit(client, members, django_capture_on_commit_callbacks):

    variant = published(members)
    owner = members["owner"]
    token = tokens.create_token(owner, Actor(user=owner.user), name="s", role="owner")[1]
    base = f"/api/v1/workspaces/{owner.workspace.slug}/variants/{variant.pk}"
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            base + "/edit-published",
            {"text": "Chai at seven."},
            content_type="application/json",
            **headers,
        )
    assert answer.status_code == 202
    assert Variant.objects.get(pk=variant.pk).text == "Chai at seven."
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(base + "/delete-published", **headers)
    assert answer.status_code == 202
    assert answer.json()["state"] in (S.DELETING, S.DELETED)
    assert Variant.objects.get(pk=variant.pk).state == S.DELETED
    answer = client.post(
        base + "/edit-published", {"text": "x"}, content_type="application/json", **headers
    )
    assert answer.status_code == 400
