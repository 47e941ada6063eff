"""Renditions: an image a network would refuse (too heavy, too large, wrong type, too narrow) is
copied to its rules with Pillow once, reused, and the check says so instead of an error."""

from __future__ import annotations

import io
import os
from dataclasses import replace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kalrav.connectors import registry
from kalrav.connectors.base import MediaItem, MediaKind
from kalrav.publishing.composer import variant_check
from kalrav.publishing.media import library, renditions
from kalrav.publishing.models import MediaRendition
from kalrav.publishing.tests.helpers import mp4_bytes
from kalrav.workspaces.audit import Actor

pytestmark = pytest.mark.django_db

BLUESKY = registry.get("bluesky").rules
TELEGRAM = registry.get("telegram").rules


def noisy_png(width: int, height: int) -> bytes:
    """A photo-like PNG: random pixels do not compress, so it is heavy like a real photo."""
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def upload(members, data: bytes, name="photo.png", alt="Tea garden"):
    owner = members["owner"]
    return library.upload_media(
        owner, Actor(user=owner.user), SimpleUploadedFile(name, data), alt_text=alt
    )


def test_a_heavy_photo_is_copied_once_under_blueskys_limit(members):
    asset = upload(members, noisy_png(1200, 900))
    assert asset.size > 1_000_000
    report = variant_check.check_variant("Tea garden", "bluesky", [asset])
    assert report.valid, report.problems  # no "File is 3.2 MB; the limit is 1.0 MB"
    [note] = [w for w in report.warnings if w.code == "rendition"]
    assert "Bluesky" in note.message

    item = renditions.item_for(asset, BLUESKY, "bluesky")
    assert item.size <= 1_000_000 and item.mime_type == "image/jpeg"
    assert item.alt_text == "Tea garden" and item.source != asset.file.name
    with Image.open(MediaRendition.objects.get().file) as made:
        assert made.format == "JPEG" and made.size == (item.width, item.height)
    # Made once, then reused: a second publish reads the same copy.
    assert renditions.item_for(asset, BLUESKY, "bluesky") == item
    assert MediaRendition.objects.count() == 1
    # The check now names the copy's real size.
    again = variant_check.check_variant("Tea garden", "bluesky", [asset])
    assert f"{item.width}×{item.height}" in " ".join(w.message for w in again.warnings) or (
        "compressed" in " ".join(w.message for w in again.warnings)
    )


def test_an_image_within_the_rules_is_sent_as_it_is(members):
    asset = upload(members, noisy_png(200, 100))
    assert renditions.item_for(asset, BLUESKY, "bluesky") == asset.as_item()
    assert not MediaRendition.objects.exists()


def test_too_large_for_telegram_is_resized_to_fit(members):
    # Telegram: width + height at most 10,000 px.
    item = MediaItem(MediaKind.IMAGE, "image/png", 2_000_000, width=8000, height=4000)
    rule = TELEGRAM.media.rule_for(MediaKind.IMAGE)
    plan = renditions.plan(item, rule)
    assert plan is not None and plan.width + plan.height <= 10_000
    assert plan.describe("Telegram") == (
        f"Will be resized to {plan.width}×{plan.height} for Telegram."
    )
    report = variant_check.check_variant("Hi", "telegram", [item])
    assert report.valid
    assert any("Will be resized to" in w.message for w in report.warnings)


def test_too_narrow_is_padded_and_a_wrong_type_converted(members):
    rule = TELEGRAM.media.rule_for(MediaKind.IMAGE)
    banner = MediaItem(MediaKind.IMAGE, "image/png", 5_000, width=2100, height=100)
    plan = renditions.plan(banner, rule)
    assert plan is not None and plan.pad and plan.width / plan.height <= 20
    asset = upload(members, noisy_png(2100, 100), alt="")  # Telegram has no alt text
    item = renditions.item_for(asset, TELEGRAM, "telegram")
    assert max(item.width, item.height) / min(item.width, item.height) <= 20
    assert not variant_check.check_variant("Hi", "telegram", [item]).problems

    gif = upload(members, _still_gif(), name="still.gif", alt="")
    assert gif.kind == "image" and gif.mime_type == "image/gif"
    converted = renditions.item_for(gif, TELEGRAM, "telegram")  # Telegram photos: no GIF
    assert converted.mime_type in TELEGRAM.media.rule_for(MediaKind.IMAGE).mime_types


def _still_gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (50, 40), (10, 120, 60)).save(out, "GIF")
    return out.getvalue()


def test_video_is_validated_not_converted(members):
    video = MediaItem(MediaKind.VIDEO, "video/quicktime", 1_000, duration=10)
    report = variant_check.check_variant("Hi", "bluesky", [video])
    codes = {p.code for p in report.problems}
    assert "media_type" in codes  # still an error: nothing converts it
    assert any(w.code == "video_not_converted" for w in report.warnings)
    asset = upload(members, mp4_bytes(), name="clip.mp4")
    assert renditions.item_for(asset, BLUESKY, "bluesky") == asset.as_item()


def test_a_copy_is_made_again_for_other_limits(members):
    asset = upload(members, noisy_png(1200, 900))
    renditions.item_for(asset, BLUESKY, "bluesky")
    renditions.item_for(asset, TELEGRAM, "telegram")  # within Telegram's rules: no copy
    assert MediaRendition.objects.count() == 1
    rule = BLUESKY.media.rule_for(MediaKind.IMAGE)
    assert renditions.rule_key("bluesky", rule) != renditions.rule_key(
        "bluesky", type(rule)(**{**rule.__dict__, "max_bytes": 500_000})
    )


def test_a_large_turned_jpeg_is_copied_upright_from_a_reduced_decode():
    """A photo stored sideways (EXIF orientation 6) comes out upright and at the planned size,
    though it is decoded at a reduced scale (draft) to bound memory."""
    stored = Image.new("RGB", (3000, 1000), "white")
    stored.paste((200, 0, 0), (0, 0, 300, 1000))  # red on the stored left = top when upright
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    stored.save(out, "JPEG", exif=exif.tobytes())
    data = out.getvalue()
    rule = TELEGRAM.media.rule_for(MediaKind.IMAGE)
    item = MediaItem(MediaKind.IMAGE, "image/jpeg", len(data), width=1000, height=3000)
    rule = replace(rule, max_width=500, max_height=500, max_dimensions_sum=None, max_pixels=None)
    found = renditions.plan(item, rule)
    encoded, width, height = renditions.render(data, found, rule)
    assert (width, height) == (found.width, found.height) and height > width
    with Image.open(io.BytesIO(encoded)) as copy:
        top, bottom = copy.getpixel((width // 2, 2)), copy.getpixel((width // 2, height - 3))
    assert top[0] > 150 and top[1] < 80, "the stored left edge is the top once upright"
    assert bottom[1] > 200
