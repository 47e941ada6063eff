"""A failed publication is never silent: the post's author and the workspace's managers get a
notification in Kalrav and an email, both carrying the network's own words.

The in-Kalrav notifications are written in the same transaction as the failure, so they cannot be
lost; the emails go through a Huey task after commit, because a mail server that is slow or down
must not hold up the publisher.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from kalrav.publishing.models import Notification, Variant
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Role

# Who answers for what goes out: the people who may publish (see the permission matrix).
RESPONSIBLE_ROLES = (Role.OWNER, Role.MANAGER)


def recipients(variant: Variant) -> list[int]:
    """User ids of the author and the workspace's owners and managers, each once."""
    workspace_id = variant.post.workspace_id
    ids = list(
        Member.objects.filter(workspace_id=workspace_id, role__in=RESPONSIBLE_ROLES)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    author = variant.post.author_id
    # An author who has since left the workspace is not told about its content any more.
    if (
        author
        and author not in ids
        and Member.objects.filter(workspace_id=workspace_id, user_id=author).exists()
    ):
        ids.insert(0, author)
    return ids


def notify_failure(variant: Variant, error_text: str) -> list[Notification]:
    """Record the failure for each recipient and send the emails once the failure is committed."""
    notes = Notification.objects.bulk_create(
        Notification(
            user_id=user_id,
            workspace_id=variant.post.workspace_id,
            variant=variant,
            kind=Notification.Kind.PUBLISH_FAILED,
            text=error_text,
        )
        for user_id in recipients(variant)
    )
    if notes:
        ids = [note.pk for note in notes]
        transaction.on_commit(lambda: send_emails_task(ids))
    return notes


def unread_count(user_id: int | None, workspace_id: int) -> int:
    if user_id is None:
        return 0
    return Notification.objects.filter(
        user_id=user_id, workspace_id=workspace_id, read_at=None
    ).count()


def mark_read(user_id: int | None, post_id: int) -> int:
    """Opening a post is how its failures are seen; the count in the calendar goes down."""
    if user_id is None:
        return 0
    return Notification.objects.filter(
        user_id=user_id, variant__post_id=post_id, read_at=None
    ).update(read_at=timezone.now())


def send_emails(notification_ids: list[int]) -> int:
    """One email per notification, in its recipient's language. Taking the ids (not the variant)
    means a variant that fails again later never re-sends an older email."""
    notes = Notification.objects.filter(pk__in=notification_ids).select_related(
        "variant__post__workspace", "variant__channel"
    )
    sent = 0
    users = {
        u.pk: u
        for u in get_user_model().objects.filter(pk__in=[n.user_id for n in notes], is_active=True)
    }
    for note in notes:
        user = users.get(note.user_id)
        if user is None or not user.email or note.variant is None:
            continue
        variant = note.variant
        post = variant.post
        link = settings.BASE_URL.rstrip("/") + reverse(
            "publishing:post", kwargs={"ws": post.workspace.slug, "post_id": post.pk}
        )
        with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
            subject = _("Not published on %(channel)s: %(post)s") % {
                "channel": variant.channel.name,
                "post": str(post)[:80],
            }
            body = _(
                "Kalrav could not publish “%(post)s” on %(channel)s.\n\n"
                "The network said: %(error)s\n\n"
                "Open the post to fix it and schedule it again: %(link)s"
            ) % {
                "post": str(post),
                "channel": variant.channel.name,
                "error": note.text,
                "link": link,
            }
        send_mail(subject, body, None, [user.email])
        sent += 1
    return sent


@db_task()
def send_emails_task(notification_ids: list[int]) -> int:
    return send_emails(notification_ids)
