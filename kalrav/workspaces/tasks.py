from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from huey.contrib.djhuey import task

from kalrav.workspaces.services import forget_invitation_link, invitation_link


@task(retries=3, retry_delay=60)
def send_invitation_email(invitation_id: int) -> None:
    """Takes the id only: task arguments sit in the queue's storage, so no secret goes there."""
    found = invitation_link(invitation_id)
    if found is None:
        return
    invitation, token = found
    link = f"{settings.BASE_URL}/invite/{token}/"
    with translation.override(invitation.workspace.language):
        context = {"invitation": invitation, "link": link, "days": settings.INVITATION_DAYS}
        subject = render_to_string("workspaces/email/invitation_subject.txt", context).strip()
        body = render_to_string("workspaces/email/invitation.txt", context)
    send_mail(subject, body, None, [invitation.email])
    forget_invitation_link(invitation.pk)
