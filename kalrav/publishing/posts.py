"""Writing posts and their variants: a post with a variant per channel, the channels and media
it goes out with, each variant's own words and extras, and what the composer saves in one go.

Each function is one transaction and writes its audit entry; views, the API, the CSV import and the
demo call these and hold no rules of their own. An edit of an approved or scheduled variant sends it
back to approval where the workspace asks for it (approvals.py and scheduling.py keep the rest of
the rule: nothing unapproved is scheduled).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kalrav.channels.models import Channel
from kalrav.publishing import states
from kalrav.publishing.composer import variant_check, variant_options
from kalrav.publishing.models import (
    ApprovalRequest,
    MediaAsset,
    Post,
    Variant,
    VariantMedia,
    VariantState,
)
from kalrav.publishing.workspace_settings import publishing_settings
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

POST_FIELDS = ("title", "text", "campaign", "tags", "notes")
MAX_TAGS = 30


def clean_tags(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.replace("\n", ",").split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValidationError({"tags": _("Give tags as a list of words.")})
    tags: list[str] = []
    for tag in value:
        tag = tag.strip().lstrip("#").strip()
        if tag and tag.casefold() not in {t.casefold() for t in tags}:
            tags.append(tag[:50])
    if len(tags) > MAX_TAGS:
        raise ValidationError({"tags": _("Keep to %(n)d tags or fewer.") % {"n": MAX_TAGS}})
    return tags


def _channels(workspace_id: int, channel_ids: Iterable[int]) -> list[Channel]:
    ids = list(dict.fromkeys(int(i) for i in channel_ids))
    found = {c.pk: c for c in Channel.objects.filter(workspace_id=workspace_id, pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError({"channels": _("Choose channels of this workspace.")})
    return [found[i] for i in ids]


def _assets(workspace_id: int, media_ids: Iterable[int]) -> list[MediaAsset]:
    ids = list(dict.fromkeys(int(i) for i in media_ids))
    found = {a.pk: a for a in MediaAsset.objects.filter(workspace_id=workspace_id, pk__in=ids)}
    if len(found) != len(ids):
        raise ValidationError({"media": _("Choose media from this workspace's library.")})
    return [found[i] for i in ids]


def _set_media(variant: Variant, assets: list[MediaAsset]) -> None:
    VariantMedia.objects.filter(variant=variant).delete()
    VariantMedia.objects.bulk_create(
        VariantMedia(variant=variant, asset=asset, position=n) for n, asset in enumerate(assets)
    )


def locked_post(member: Member, post_id: int) -> Post:
    return Post.objects.select_for_update().get(pk=post_id, workspace_id=member.workspace_id)


def locked_variant(member: Member, variant_id: int) -> Variant:
    return (
        Variant.objects.select_for_update()
        .select_related("post", "channel")
        .get(pk=variant_id, post__workspace_id=member.workspace_id)
    )


@transaction.atomic
def create_post(
    member: Member,
    actor: Actor,
    *,
    title: str = "",
    text: str = "",
    campaign: str = "",
    tags: Any = (),
    notes: str = "",
    channel_ids: Iterable[int] = (),
    media_ids: Iterable[int] = (),
) -> Post:
    """A post and a variant per channel, each starting from the master copy and media."""
    member.require(Perm.CONTENT_EDIT)
    post = Post(
        workspace=member.workspace,
        title=title.strip(),
        text=text.strip(),
        campaign=campaign.strip(),
        tags=clean_tags(list(tags) if not isinstance(tags, str) else tags),
        notes=notes.strip(),
        author=actor.user,
    )
    if not post.title and not post.text:
        raise ValidationError({"text": _("Write a title or the master copy first.")})
    post.full_clean()
    post.save()
    assets = _assets(member.workspace_id, media_ids)
    channels = _channels(member.workspace_id, channel_ids)
    for channel in channels:
        variant = Variant.objects.create(post=post, channel=channel, text=post.text)
        _set_media(variant, assets)
    audit.record(
        member.workspace,
        actor,
        "post.create",
        post,
        {
            **audit.diff({}, audit.snapshot(post, POST_FIELDS)),
            "channels": [None, [c.name for c in channels]],
        },
    )
    return post


@transaction.atomic
def update_post(
    member: Member,
    actor: Actor,
    post_id: int,
    *,
    channel_ids: Iterable[int] | None = None,
    **fields,
) -> Post:
    """Change the post's own fields and, with `channel_ids`, which channels get a variant. Variants
    already written keep their text: after the first copy each is the channel's own."""
    member.require(Perm.CONTENT_EDIT)
    unknown = set(fields) - set(POST_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in unknown})
    post = locked_post(member, post_id)
    before = audit.snapshot(post, POST_FIELDS)
    for name, value in fields.items():
        setattr(post, name, clean_tags(value) if name == "tags" else str(value).strip())
    if not post.title and not post.text:
        raise ValidationError({"text": _("Write a title or the master copy first.")})
    post.full_clean()
    post.save()
    changes = audit.diff(before, audit.snapshot(post, POST_FIELDS))
    if channel_ids is not None:
        changes.update(_sync_channels(member, post, list(channel_ids)))
    if changes:
        audit.record(member.workspace, actor, "post.update", post, changes)
    return post


def _sync_channels(member: Member, post: Post, channel_ids: list[int]) -> dict:
    wanted = {c.pk: c for c in _channels(member.workspace_id, channel_ids)}
    current = {v.channel_id: v for v in post.variants.select_related("channel")}
    # New variants take the media the post already carries; read it before any variant goes.
    first_media = next(iter(current.values())).ordered_media() if current else []
    for channel_id, variant in current.items():
        if channel_id not in wanted:
            if not variant.editable:
                raise ValidationError(
                    {
                        "channels": _("%(channel)s already has this post; it cannot be taken off.")
                        % {"channel": variant.channel.name}
                    }
                )
            variant.delete()
    for channel_id, channel in wanted.items():
        if channel_id not in current:
            variant = Variant.objects.create(post=post, channel=channel, text=post.text)
            _set_media(variant, first_media)
    before = sorted(v.channel.name for v in current.values())
    after = sorted(c.name for c in wanted.values())
    return {"channels": [before, after]} if before != after else {}


@transaction.atomic
def delete_post(member: Member, actor: Actor, post_id: int) -> None:
    member.require(Perm.CONTENT_EDIT)
    post = locked_post(member, post_id)
    if post.variants.exclude(state__in=states.EDITABLE | {VariantState.DELETED}).exists():
        raise ValidationError(
            _("Part of this post is published or being published; it cannot be deleted here.")
        )
    audit.record(member.workspace, actor, "post.delete", post, {"title": [post.title, None]})
    post.delete()


@transaction.atomic
def edit_variant(
    member: Member,
    actor: Actor,
    variant_id: int,
    *,
    text: str | None = None,
    media_ids: Iterable[int] | None = None,
    options: dict | None = None,
) -> Variant:
    """Rewrite a variant. A last-minute edit of an approved or scheduled variant goes back to
    approval when the workspace asks for it, so nothing unapproved is ever published."""
    member.require(Perm.CONTENT_EDIT)
    variant = locked_variant(member, variant_id)
    if variant.state not in states.EDITABLE:
        raise ValidationError(_("This variant is published or being published; it cannot change."))
    before = {"text": variant.text, "media": [a.pk for a in variant.ordered_media()]}
    before["options"] = variant.options
    if text is not None:
        variant.text = text
    if options is not None:
        rules, _label = variant_check.rules_for(variant.channel.network)
        variant.options = variant_options.clean(options, rules)
    if media_ids is not None:
        _set_media(variant, _assets(member.workspace_id, media_ids))
    after = {
        "text": variant.text,
        "media": [a.pk for a in variant.ordered_media()],
        "options": variant.options,
    }
    changes = audit.diff(before, after)
    if not changes:
        return variant
    setup = publishing_settings(member.workspace_id)
    if (
        setup.require_approval
        and setup.reapprove_after_edit
        and variant.state in (VariantState.APPROVED, VariantState.SCHEDULED)
    ):
        changes["state"] = [states.change(variant, VariantState.PENDING_APPROVAL), variant.state]
        variant.approved_at = None
        variant.approved_by = None
        ApprovalRequest.objects.create(
            variant=variant,
            requested_by=actor.user,
            comment=_("Edited after approval; please look again."),
        )
    variant.last_error = "" if variant.state != VariantState.FAILED else variant.last_error
    variant.save()
    audit.record(member.workspace, actor, "variant.edit", variant, changes)
    return variant


@transaction.atomic
def compose_post(
    member: Member,
    actor: Actor,
    post_id: int | None,
    *,
    fields: dict[str, Any],
    channel_ids: list[int],
    media_ids: list[int],
    variant_texts: dict[int, str],
    variant_extras: dict[int, dict[str, Any]] | None = None,
) -> Post:
    """What the composer saves in one go: the post, its channels, its media on every variant, and
    each variant's own text (an empty one takes the master copy) and extras (thread, poll, first
    comment), merged into its options."""
    if post_id is None:
        post = create_post(member, actor, **fields, channel_ids=channel_ids, media_ids=media_ids)
    else:
        post = update_post(member, actor, post_id, channel_ids=channel_ids, **fields)
    for variant in post.variants.all():
        if not variant.editable:
            continue  # published (or going out): the post page's own buttons act on it
        text = variant_texts.get(variant.channel_id, "").strip() or post.text
        extras = (variant_extras or {}).get(variant.channel_id)
        options = variant_options.merged(variant.options, **extras) if extras else None
        try:
            edit_variant(member, actor, variant.pk, text=text, media_ids=media_ids, options=options)
        except ValidationError as error:
            raise ValidationError(
                {f"extras-{variant.channel_id}": variant_options.explain(variant.channel, error)}
            ) from None
    return post
