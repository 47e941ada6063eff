"""Publishing to a channel: text with UTF-16 entities, photos, albums, polls, replies, edits and
deletes, each request checked against what the Bot API documents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kalrav.connectors.base import MediaItem, MediaKind, OutgoingPost, Poll, PublishedRef
from kalrav.connectors.errors import Rejected
from kalrav.connectors.networks.telegram import mapping

from .conftest import CHANNEL_ID, GROUP_ID, answer, fixture, sent

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # 8 UTF-16 units
TEXT = f"{FAMILY} নতুন চা উৎসব! @kalrav_news https://t.me/kalrav_news #চা_উৎসব"
PHOTO = MediaItem(
    MediaKind.IMAGE, "image/jpeg", 90_000, width=1280, height=960, source="posts/athens.jpg"
)


def units(text: str, entity: dict) -> str:
    raw = text.encode("utf-16-le")
    start = 2 * entity["offset"]
    return raw[start : start + 2 * entity["length"]].decode("utf-16-le")


def files(store: dict[str, bytes]):
    return lambda item: (item.source.rsplit("/", 1)[-1], store[item.source])


def test_text_goes_with_entities_at_utf16_offsets(connector, telegram):
    route = telegram.post("/sendMessage").mock(return_value=answer("sendMessage"))
    ref = connector.publish(OutgoingPost(TEXT), idempotency_key="v1")
    body = sent(route)
    assert body["chat_id"] == "@kalrav_news" and body["text"] == TEXT
    assert [(e["type"], units(TEXT, e)) for e in body["entities"]] == [
        ("mention", "@kalrav_news"),
        ("url", "https://t.me/kalrav_news"),
        ("hashtag", "#চা_উৎসব"),
    ]
    # The documented answer's own offsets agree with what Kalrav computed.
    assert body["entities"] == fixture("sendMessage")["result"]["entities"]
    assert ref.remote_id == f"{CHANNEL_ID}:42"
    assert ref.url == "https://t.me/kalrav_news/42"
    assert ref.extra == {"chat_id": str(CHANNEL_ID), "message_id": "42", "kind": "text"}
    assert ref.published_at == datetime.fromtimestamp(1718000000, tz=UTC)


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("नमस्ते 🙏 मसाला चाय आज", "मसाला"),
        ("Καλημέρα ☕🇬🇷 τσάι", "τσάι"),
        ("শুভ 👍🏿 সকাল", "সকাল"),
        (f"{FAMILY}{FAMILY} ক্ষমা", "ক্ষমা"),
    ],
)
def test_formatting_lands_on_the_right_words(connector, telegram, text, word):
    start = text.index(word)
    end = start + len(word)
    route = telegram.post("/sendMessage").mock(return_value=answer("sendMessage"))
    post = OutgoingPost(text, options={"entities": [{"type": "bold", "start": start, "end": end}]})
    connector.publish(post, idempotency_key="v1")
    (bold,) = sent(route)["entities"]
    assert bold["type"] == "bold" and units(text, bold) == word


def test_text_link_carries_its_url(connector, telegram):
    route = telegram.post("/sendMessage").mock(return_value=answer("sendMessage"))
    text = "🍵 মেনু দেখুন"
    post = OutgoingPost(
        text,
        options={"entities": [{"type": "text_link", "start": 2, "end": 6, "url": "https://x.y/m"}]},
    )
    connector.publish(post, idempotency_key="v1")
    (link,) = sent(route)["entities"]
    assert link == {"type": "text_link", "offset": 3, "length": 4, "url": "https://x.y/m"}


def test_bad_formatting_is_a_problem_not_a_request(connector, telegram):
    post = OutgoingPost("চা", options={"entities": [{"type": "blink", "start": 0, "end": 1}]})
    assert [p.code for p in connector.validate(post)] == ["entity_type"]
    post = OutgoingPost("চা", options={"entities": [{"type": "bold", "start": 0, "end": 9}]})
    assert [p.code for p in connector.validate(post)] == ["entity_range"]
    with pytest.raises(Rejected):
        connector.publish(post, idempotency_key="v1")
    assert not telegram.calls


def test_too_long_text_is_refused_before_sending(connector, telegram):
    with pytest.raises(Rejected) as raised:
        connector.publish(OutgoingPost("ক" * 4097), idempotency_key="v1")
    assert "4097" in str(raised.value) or "4,097" in str(raised.value)
    assert not telegram.calls


def test_photo_is_uploaded_with_caption_and_caption_entities(make_connector, telegram):
    connector = make_connector(media_reader=files({"posts/athens.jpg": b"\xff\xd8jpeg"}))
    route = telegram.post("/sendPhoto").mock(return_value=answer("sendPhoto"))
    caption = "Καλημέρα ☕ από την Αθήνα #τσάι"
    ref = connector.publish(OutgoingPost(caption, media=(PHOTO,)), idempotency_key="v1")
    body = sent(route)
    assert body["photo"] == ("athens.jpg", b"\xff\xd8jpeg")
    assert body["chat_id"] == "@kalrav_news" and body["caption"] == caption
    assert body["caption_entities"] == [{"type": "hashtag", "offset": 25, "length": 5}]
    assert ref.extra["kind"] == "photo" and ref.remote_id == f"{CHANNEL_ID}:43"


def test_photo_by_url_lets_telegram_fetch_it(connector, telegram):
    route = telegram.post("/sendPhoto").mock(return_value=answer("sendPhoto"))
    photo = MediaItem(MediaKind.IMAGE, "image/jpeg", 90_000, source="https://cdn.example/a.jpg")
    connector.publish(OutgoingPost("", media=(photo,)), idempotency_key="v1")
    body = sent(route)
    assert body["photo"] == "https://cdn.example/a.jpg" and "caption" not in body


def test_caption_over_1024_units_is_refused(connector, telegram):
    with pytest.raises(Rejected):
        connector.publish(OutgoingPost("α" * 1025, media=(PHOTO,)), idempotency_key="v1")
    assert not telegram.calls


def test_album_sends_one_media_group_with_the_caption_on_the_first(make_connector, telegram):
    store = {f"posts/{n}.jpg": f"jpeg{n}".encode() for n in range(3)}
    connector = make_connector(media_reader=files(store))
    route = telegram.post("/sendMediaGroup").mock(return_value=answer("sendMediaGroup"))
    media = tuple(
        MediaItem(MediaKind.IMAGE, "image/jpeg", 1000, source=f"posts/{n}.jpg") for n in range(3)
    )
    ref = connector.publish(OutgoingPost("नमस्ते 🙏 तीन तस्वीरें", media=media), idempotency_key="v1")
    body = sent(route)
    assert [entry["media"] for entry in body["media"]] == [f"attach://file{n}" for n in range(3)]
    assert [entry.get("caption") for entry in body["media"]] == ["नमस्ते 🙏 तीन तस्वीरें", None, None]
    assert [body[f"file{n}"] for n in range(3)] == [
        (f"{n}.jpg", f"jpeg{n}".encode()) for n in range(3)
    ]
    assert ref.remote_id == f"{CHANNEL_ID}:44"
    assert ref.extra["message_ids"] == "44,45,46" and ref.extra["kind"] == "album"
    assert ref.extra["media_group_id"] == "13722473498273311"


def test_album_of_eleven_and_album_with_a_gif_are_problems(connector):
    eleven = OutgoingPost("", media=(PHOTO,) * 11)
    assert "too_many_media" in {p.code for p in connector.validate(eleven)}
    gif = MediaItem(MediaKind.GIF, "image/gif", 1000)
    mixed = OutgoingPost("", media=(PHOTO, gif))
    assert {"mixed_media", "album_media"} <= {p.code for p in connector.validate(mixed)}


def test_poll_is_anonymous_with_the_text_as_question(connector, telegram):
    route = telegram.post("/sendPoll").mock(return_value=answer("sendPoll"))
    post = OutgoingPost("কোন চা?", poll=Poll(("দার্জিলিং", "আসাম"), duration=timedelta(minutes=10)))
    ref = connector.publish(post, idempotency_key="v1")
    body = sent(route)
    assert body["question"] == "কোন চা?"
    assert body["options"] == [{"text": "দার্জিলিং"}, {"text": "আসাম"}]
    assert body["is_anonymous"] is True and body["open_period"] == 600
    assert body["allows_multiple_answers"] is False
    assert ref.extra["kind"] == "poll"


def test_a_poll_longer_than_telegram_can_close_is_a_problem(connector):
    post = OutgoingPost("?", poll=Poll(("a", "b"), duration=timedelta(days=1)))
    assert [p.code for p in connector.validate(post)] == ["poll_duration"]


def test_reply_goes_to_the_answered_chat_and_message(connector, telegram):
    route = telegram.post("/sendMessage").mock(return_value=answer("sendMessage"))
    parent = PublishedRef(f"{GROUP_ID}:902", extra={"chat_id": str(GROUP_ID)})
    connector.publish(OutgoingPost("ধন্যবাদ 🙏", reply_to=parent), idempotency_key="v1")
    body = sent(route)
    assert body["chat_id"] == str(GROUP_ID)
    assert body["reply_parameters"] == {"message_id": 902, "allow_sending_without_reply": False}


def test_threads_and_first_comments_are_problems(connector):
    post = OutgoingPost("১", thread=(OutgoingPost("২"),), first_comment="৩")
    assert {p.code for p in connector.validate(post)} == {
        "threads_unsupported",
        "first_comment_unsupported",
    }


# --- Edit and delete -----------------------------------------------------------------------------

TEXT_REF = mapping.published_ref([fixture("sendMessage")["result"]], "text")
PHOTO_REF = mapping.published_ref([fixture("sendPhoto")["result"]], "photo")
ALBUM_REF = mapping.published_ref(fixture("sendMediaGroup")["result"], "album")
POLL_REF = mapping.published_ref([fixture("sendPoll")["result"]], "poll")


def test_edit_text(connector, telegram):
    route = telegram.post("/editMessageText").mock(return_value=answer("editMessageText"))
    new = f"{FAMILY} নতুন চা উৎসব, আজ সন্ধ্যায়! #চা"
    assert connector.edit(TEXT_REF, OutgoingPost(new), idempotency_key="e1") == TEXT_REF
    body = sent(route)
    assert body["chat_id"] == str(CHANNEL_ID) and body["message_id"] == 42
    assert [units(new, e) for e in body["entities"]] == ["#চা"]


def test_edit_caption_of_a_photo_and_of_an_album(connector, telegram):
    route = telegram.post("/editMessageCaption").mock(return_value=answer("sendPhoto"))
    connector.edit(PHOTO_REF, OutgoingPost("Καλησπέρα 🌙"), idempotency_key="e1")
    assert sent(route)["caption"] == "Καλησπέρα 🌙" and sent(route)["message_id"] == 43
    connector.edit(ALBUM_REF, OutgoingPost("नई तस्वीरें"), idempotency_key="e2")
    assert sent(route)["message_id"] == 44


def test_repeating_an_edit_is_a_success(connector, telegram):
    telegram.post("/editMessageText").mock(return_value=answer("error_400_not_modified"))
    assert connector.edit(TEXT_REF, OutgoingPost("same"), idempotency_key="e1") == TEXT_REF


def test_polls_cannot_be_edited(connector, telegram):
    with pytest.raises(Rejected):
        connector.edit(POLL_REF, OutgoingPost("?"), idempotency_key="e1")
    assert not telegram.calls


def test_delete_one_message_and_a_whole_album(connector, telegram):
    one = telegram.post("/deleteMessage").mock(return_value=answer("true"))
    many = telegram.post("/deleteMessages").mock(return_value=answer("true"))
    connector.delete(TEXT_REF, idempotency_key="d1")
    assert sent(one) == {"chat_id": str(CHANNEL_ID), "message_id": 42}
    connector.delete(ALBUM_REF, idempotency_key="d2")
    assert sent(many) == {"chat_id": str(CHANNEL_ID), "message_ids": [44, 45, 46]}


def test_deleting_twice_succeeds_but_a_refused_delete_says_why(connector, telegram):
    route = telegram.post("/deleteMessage").mock(return_value=answer("error_400_delete_not_found"))
    connector.delete(TEXT_REF, idempotency_key="d1")
    route.mock(return_value=answer("error_400_cant_delete"))
    with pytest.raises(Rejected) as raised:
        connector.delete(TEXT_REF, idempotency_key="d1")
    assert "can't be deleted" in str(raised.value)


def test_media_is_read_from_storage_by_default(connector, telegram, settings, tmp_path):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    settings.MEDIA_ROOT = tmp_path
    name = default_storage.save("posts/chai.jpg", ContentFile(b"\xff\xd8chai"))
    route = telegram.post("/sendPhoto").mock(return_value=answer("sendPhoto"))
    photo = MediaItem(MediaKind.IMAGE, "image/jpeg", 6, source=name)
    connector.publish(OutgoingPost("চা", media=(photo,)), idempotency_key="v1")
    assert sent(route)["photo"] == ("chai.jpg", b"\xff\xd8chai")
    missing = MediaItem(MediaKind.IMAGE, "image/jpeg", 6, source="posts/gone.jpg")
    with pytest.raises(Rejected, match="cannot be read"):
        connector.publish(OutgoingPost("চা", media=(missing,)), idempotency_key="v2")


def test_a_success_without_a_result_is_not_taken_for_a_post(connector, telegram):
    from kalrav.connectors.errors import Transient

    telegram.post("/sendMessage").respond(200, json={"ok": True})
    with pytest.raises(Transient):
        connector.publish(OutgoingPost("চা"), idempotency_key="v1")
