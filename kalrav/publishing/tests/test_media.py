"""Media is recognised by its bytes: a renamed file is caught, a real one is measured."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from kalrav.publishing.media import inspection, library
from kalrav.publishing.models import MediaAsset
from kalrav.publishing.tests.helpers import gif_bytes, mp4_bytes, png_bytes
from kalrav.workspaces.audit import Actor


def test_png_is_read_with_its_size():
    found = inspection.inspect(io.BytesIO(png_bytes(640, 360)))
    assert (found.kind, found.mime_type, found.width, found.height) == (
        "image",
        "image/png",
        640,
        360,
    )


def test_animated_gif_is_a_gif_and_a_still_gif_an_image():
    assert inspection.inspect(io.BytesIO(gif_bytes(3))).kind == "gif"
    assert inspection.inspect(io.BytesIO(gif_bytes(1))).kind == "image"


@pytest.mark.parametrize("moov_last", [True, False])
def test_mp4_duration_is_read_from_the_movie_header(moov_last):
    found = inspection.inspect(io.BytesIO(mp4_bytes(seconds=12.5, moov_last=moov_last)))
    assert (found.kind, found.mime_type, found.duration) == ("video", "video/mp4", 12.5)


def test_quicktime_and_webm_are_told_apart_by_signature():
    assert inspection.inspect(io.BytesIO(mp4_bytes(brand=b"qt  "))).mime_type == "video/quicktime"
    webm = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + bytes(100)
    assert inspection.inspect(io.BytesIO(webm)).mime_type == "video/webm"


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
        inspection.inspect(io.BytesIO(content))
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
def test_control_and_bidi_characters_leave_the_file_name(members, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    editor = members["editor"]
    name = "ph\x00o\x1bto\u202egpj.\x7fনতুন\u200d.png"
    upload = SimpleUploadedFile(name, png_bytes(5, 4), "image/png")
    asset = library.upload_media(editor, Actor(user=editor.user), upload)
    assert asset.original_name == "photogpj.নতুন\u200d.png"


def _bilevel_png(width: int, height: int) -> bytes:
    """A 1-bit black PNG, compressed row by row: 14000x14000 pixels in a few dozen KB, the
    shape of a decompression bomb, made without holding its pixels."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    packer = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte and the packed pixels
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.mark.django_db
def test_an_image_over_the_pixel_limit_is_refused_from_its_header(members, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    editor = members["editor"]
    data = _bilevel_png(14_000, 14_000)
    assert len(data) < 300_000
    upload = SimpleUploadedFile("bomb.png", data, "image/png")
    with pytest.raises(ValidationError) as refused:
        library.upload_media(editor, Actor(user=editor.user), upload)
    assert "14000×14000" in refused.value.message_dict["file"][0]
    assert not MediaAsset.objects.exists()


@pytest.mark.django_db
def test_the_limit_for_whole_decoded_formats_is_stated(members, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    editor = members["editor"]
    upload = SimpleUploadedFile("wide.png", _bilevel_png(4_001, 4_000), "image/png")
    with pytest.raises(ValidationError) as refused:
        library.upload_media(editor, Actor(user=editor.user), upload)
    assert "at most 16 megapixels" in refused.value.message_dict["file"][0]
    fits = SimpleUploadedFile("fits.png", _bilevel_png(4_000, 4_000), "image/png")
    assert library.upload_media(editor, Actor(user=editor.user), fits).width == 4_000


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
