"""Uploaded files open for members of their workspace and for nobody else."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kalrav.publishing.media import library
from kalrav.publishing.tests.helpers import png_bytes
from kalrav.web.media import owner_of
from kalrav.workspaces.audit import Actor


@pytest.fixture
def asset(members, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    owner = members["owner"]
    upload = SimpleUploadedFile("photo.png", png_bytes(32, 32), content_type="image/png")
    return library.upload_media(owner, Actor(user=owner.user), upload)


def test_a_member_gets_the_file(asset, member_client):
    response = member_client("client").get(f"/media/{asset.file.name}")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_a_member_of_another_workspace_gets_not_found(asset, client, outsider):
    client.force_login(outsider)
    assert client.get(f"/media/{asset.file.name}").status_code == 404


def test_anonymous_is_sent_to_sign_in(asset, client):
    response = client.get(f"/media/{asset.file.name}")
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


def test_a_logo_belongs_to_its_workspace(workspace):
    workspace.logo.name = "logos/acme.png"
    workspace.save(update_fields=["logo"])
    assert owner_of("logos/acme.png") == workspace.pk
    assert owner_of("logos/unknown.png") is None
    assert owner_of("../etc/passwd") is None
    assert owner_of("publishing/12/x.png") == 12
