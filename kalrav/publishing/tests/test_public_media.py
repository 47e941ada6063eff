"""Media at a signed, expiring public address (/m/<token>/), for networks that fetch media."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings

from kalrav import public_media
from kalrav.connectors.base import MediaItem, MediaKind


@pytest.fixture
def stored(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    name = default_storage.save("media/1/chai.jpg", ContentFile(b"\xff\xd8\xff jpeg bytes"))
    return MediaItem(MediaKind.IMAGE, "image/jpeg", 15, source=name)


@override_settings(PUBLIC_URL="https://kalrav.example.org")
def test_a_signed_address_serves_the_file_with_its_type(client, stored):
    url = public_media.url_for(stored)
    assert url.startswith("https://kalrav.example.org/m/")
    response = client.get(url.removeprefix("https://kalrav.example.org"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == b"\xff\xd8\xff jpeg bytes"


@override_settings(PUBLIC_URL="https://kalrav.example.org")
def test_an_altered_or_expired_token_is_404(client, stored):
    path = public_media.url_for(stored).removeprefix("https://kalrav.example.org")
    token = path.split("/")[2]
    forged = public_media.token_for("media/2/other.jpg")[:-1] + "x"
    assert client.get(f"/m/{forged}/").status_code == 404
    assert client.get(f"/m/{token[:-2]}ab/").status_code == 404
    with time_machine.travel(datetime.now(UTC) + public_media.MAX_AGE + timedelta(minutes=1)):
        assert client.get(path).status_code == 404


def test_without_a_public_address_there_is_no_builder():
    with override_settings(PUBLIC_URL=""):
        assert public_media.url_builder() is None
    with override_settings(PUBLIC_URL="https://kalrav.example.org"):
        assert public_media.url_builder() is public_media.url_for
