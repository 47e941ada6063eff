"""Media is recognised by its bytes: a renamed file is caught, a real one is measured."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from kalrav.publishing import library, media
from kalrav.publishing.models import MediaAsset
from kalrav.publishing.tests.helpers import gif_bytes, mp4_bytes, png_bytes
from kalrav.workspaces.audit import Actor


def test_png_is_read_with_its_size():
    found = media.inspect(io.BytesIO(png_bytes(640, 360)))
    assert (found.kind, found.mime_type, found.width, found.height) == (
        "image",
        "image/png",
        640,
        360,
    )


def test_animated_gif_is_a_gif_and_a_still_gif_an_image():
    assert media.inspect(io.BytesIO(gif_bytes(3))).kind == "gif"
    assert media.inspect(io.BytesIO(gif_bytes(1))).kind == "image"


@pytest.mark.parametrize("moov_last", [True, False])
def test_mp4_duration_is_read_from_the_movie_header(moov_last):
    found = media.inspect(io.BytesIO(mp4_bytes(seconds=12.5, moov_last=moov_last)))
    assert (found.kind, found.mime_type, found.duration) == ("video", "video/mp4", 12.5)


def test_quicktime_and_webm_are_told_apart_by_signature():
    assert media.inspect(io.BytesIO(mp4_bytes(brand=b"qt  "))).mime_type == "video/quicktime"
    webm = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + bytes(100)
    assert media.inspect(io.BytesIO(webm)).mime_type == "video/webm"


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00 this is a Windows program, not a picture" + bytes(100),
        b"%PDF-1.7\n" + bytes(200),
        png_bytes()[:60],  # a PNG cut short
        b"",
    ],
    ids=["exe", "pdf", "truncated-png", "empty"],
)
def test_anything_else_is_refused_with_a_clear_message(content):
    with pytest.raises(ValidationError) as raised:
        media.inspect(io.BytesIO(content))
    assert raised.value.message_dict["file"]


@pytest.mark.django_db
def test_a_renamed_file_is_refused_and_nothing_is_stored(members, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    editor = members["editor"]
    fake = SimpleUploadedFile("holiday.jpg", b"#!/bin/sh\necho not an image\n", "image/jpeg")
    with pytest.raises(ValidationError, match="not an image or video"):
        library.upload_media(editor, Actor(user=editor.user), fake)
    assert not MediaAsset.objects.exists()
    assert not any(tmp_path.rglob("*.*"))


@pytest.mark.django_db
def test_a_png_named_jpg_is_stored_as_what_it_is(members, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    editor = members["editor"]
    upload = SimpleUploadedFile("photo.jpg", png_bytes(50, 40), "image/jpeg")
    asset = library.upload_media(editor, Actor(user=editor.user), upload, alt_text=" Tea cup ")
    assert (asset.mime_type, asset.width, asset.height, asset.alt_text) == (
        "image/png",
        50,
        40,
        "Tea cup",
    )
    assert asset.file.name.endswith(".png") and "photo" not in asset.file.name
    assert asset.original_name == "photo.jpg"


@pytest.mark.django_db
def test_upload_page_shows_the_error_for_a_wrong_file(
    members, member_client, workspace, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    client = member_client("editor")
    fake = SimpleUploadedFile("clip.mp4", b"plain text pretending" * 10, "video/mp4")
    response = client.post(f"/w/{workspace.slug}/media/", {"file": fake})
    assert response.status_code == 400
    assert "not an image or video Kalrav can read" in response.content.decode()
