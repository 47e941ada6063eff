"""Hiding replies on Bluesky: a thread's threadgate record lists the replies hidden in it
(`hiddenReplies`); changing it names the record's current version (swapRecord), so a change made
meanwhile in another app fails instead of being overwritten."""

from __future__ import annotations

from typing import Any

from atproto_client import Client, models
from atproto_client.models.utils import get_model_as_dict
from django.utils.translation import gettext as _

from kalrav.connectors.base import ItemRef
from kalrav.connectors.errors import Rejected
from kalrav.connectors.networks.bluesky import mapping, records
from kalrav.connectors.networks.bluesky.errors import translated


def change_hidden(client: Client, did: str, item: ItemRef, *, hide: bool) -> None:
    root = item.root_id
    repo, _collection, rkey = mapping.split_uri(root)
    if repo != did:
        raise Rejected(_("Bluesky hides replies only in threads the account started itself."))
    current = read_gate(client, did, rkey)
    if current is None and not hide:
        return  # no threadgate: nothing is hidden
    gate, version = current or (records.threadgate_record(root), None)
    before = list(gate.get("hiddenReplies") or [])
    hidden = [uri for uri in before if uri != item.remote_id]
    if hide:
        hidden.append(item.remote_id)
    if current is not None and set(hidden) == set(before):
        return  # already as asked
    if len(hidden) > records.MAX_HIDDEN_REPLIES:
        raise Rejected(
            _("Bluesky hides at most %(count)d replies in one thread.")
            % {"count": records.MAX_HIDDEN_REPLIES}
        )
    with translated():
        client.com.atproto.repo.put_record(
            models.ComAtprotoRepoPutRecord.Data(
                repo=repo,
                collection=records.THREADGATE,
                rkey=rkey,
                record={**gate, "hiddenReplies": hidden},
                swap_record=version,
            )
        )


def read_gate(client: Client, did: str, rkey: str) -> tuple[dict[str, Any], str] | None:
    """The thread's threadgate record (same record key as the thread's first post) and its
    version, or None when the thread has none."""
    try:
        with translated():
            found = client.com.atproto.repo.get_record(
                models.ComAtprotoRepoGetRecord.Params(
                    repo=did, collection=records.THREADGATE, rkey=rkey
                )
            )
    except Rejected:
        return None  # 400 RecordNotFound
    value = found.value if isinstance(found.value, dict) else get_model_as_dict(found.value)
    return dict(value), str(found.cid)
