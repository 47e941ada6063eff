"""Workers killed with SIGKILL while publishing a burst of photos to the stand-in Instagram
(instagram_standin.py) leave every photo on the account exactly once: no duplicates, none lost.
Instagram takes no idempotency key; "never twice" rests on the container kept by the variant's
key (a retry publishes that container, or finds it PUBLISHED and looks the post up) and on
`reconcile` by caption.

Each container is made only after the stand-in fetched the photo from Kalrav's signed public
address, served by a Kalrav web process behind an https front; every worker is killed at once
while Instagram holds a media_publish whose answer has not left (kill_rounds.py).
"""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from PIL import Image

from kalrav.connectors.networks.instagram.tests.fake import TOKEN
from tests.peers.instagram_standin import (
    OWN_ID,
    PAGE_ID,
    HttpsFront,
    InstagramStandIn,
    certificate,
)
from tests.peers.kill_rounds import kalrav_database, kill_while_posting, run_in_django, seed_channel
from tests.peers.meta_standin import environment_for, serving
from tests.test_publish_kill import SETTINGS

pytestmark = pytest.mark.slow
pytest.importorskip("facebook_business", reason="the fake checks fields against Meta's SDK")

COUNT = 30
KILLS = 2  # rounds, each killing every worker
LATENCY = 0.6  # seconds per media_publish; the media is made after half of it


def attach_photo(photo: str) -> None:
    """One described JPEG in the workspace's library, on every variant (run in Django)."""
    from django.core.files.base import ContentFile

    from kalrav.publishing.models import MediaAsset, Variant, VariantMedia

    variants = list(Variant.objects.select_related("post"))
    asset = MediaAsset(
        workspace=variants[0].post.workspace,
        original_name="chai.jpg",
        kind="image",
        mime_type="image/jpeg",
        size=len(Path(photo).read_bytes()),
        width=1080,
        height=1350,
        alt_text="A glass of masala chai",
    )
    asset.file.save("chai.jpg", ContentFile(Path(photo).read_bytes()), save=True)
    VariantMedia.objects.bulk_create(VariantMedia(variant=v, asset=asset) for v in variants)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _web(env: dict, port: int, log) -> subprocess.Popen:
    """Kalrav's web process alone (no worker): it serves /m/<token>/ to Instagram."""
    process = subprocess.Popen(
        [sys.executable, "-m", "kalrav", "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/m/nothing/", timeout=2)
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("Kalrav's web process did not start")


def test_killed_workers_leave_each_photo_on_instagram_exactly_once(tmp_path):
    cert, key, trust = certificate(tmp_path)
    photo = tmp_path / "chai.jpg"
    out = io.BytesIO()
    Image.new("RGB", (1080, 1350), (176, 96, 40)).save(out, "JPEG", quality=80)
    photo.write_bytes(out.getvalue())
    port = _free_port()
    standin = InstagramStandIn(ready_after=0.3, trust=trust, latency=LATENCY)
    with (
        serving(
            HttpsFront(f"http://127.0.0.1:{port}"), ssl_certfile=str(cert), ssl_keyfile=str(key)
        ) as front,
        serving(standin) as instagram,
    ):
        extra = {**environment_for(instagram), "KALRAV_PUBLIC_URL": front.url}
        with kalrav_database(tmp_path, SETTINGS, extra) as env:
            config = {"ig_user_id": OWN_ID, "page_id": PAGE_ID}
            seed_channel(env, "instagram", OWN_ID, config, {"access_token": TOKEN}, COUNT)
            run_in_django(
                env,
                f"import tests.peers.test_instagram_publish_kill as k; k.attach_photo({str(photo)!r})",
            )
            with open(tmp_path / "web.log", "w") as log:
                web = _web(env, port, log)
                try:
                    run = kill_while_posting(
                        env, tmp_path, instagram, lambda: len(instagram.instagram.media), KILLS
                    )
                finally:
                    web.kill()
                    web.wait()

    assert standin.violations == [], standin.violations
    assert standin.fetch_refusals == [], standin.fetch_refusals
    media = standin.instagram.media
    on_account = Counter(m["caption"] for m in media)
    twice = {text: count for text, count in on_account.items() if count > 1}
    assert not twice, (
        f"{len(twice)} photos are on Instagram more than once: {twice}\n{run.log_tail}"
    )
    assert len(run.variants) == COUNT
    left = [v["state"] for v in run.variants if v["state"] != "published"]
    assert not left, f"{len(left)} not published: {left}\n{run.log_tail}"
    by_id = {m["id"]: m["caption"] for m in media}
    for variant in run.variants:
        assert by_id.get(variant["remote_id"]) == variant["text"], f"variant {variant['pk']} lost"
    assert len(on_account) == COUNT
    assert all(fetched == photo.read_bytes() for fetched in standin.fetched.values())
    assert run.kills == KILLS, (
        f"only {run.kills} kill rounds landed while publishing (media at each: "
        f"{run.posts_at_kills})\n{run.log_tail}"
    )
    assert standin.unheard, "no kill landed between Instagram publishing and Kalrav hearing of it"
    print(
        f"\n{run.kills} kill rounds; {len(standin.unheard)} photos published unheard by their "
        f"killed sender; {len(standin.fetched)} containers for {COUNT} photos; "
        f"{run.reconciled} unknown outcomes settled; 0 duplicates; {run.timing()}"
    )
