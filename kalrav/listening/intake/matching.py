"""One compiled matcher per workspace, holding all its active monitors, kept in the process and
rebuilt when a monitor is added, changed, switched off or deleted.

Whether the monitors changed costs one small query (ids and update times); compiling costs a
parse per monitor, which with many monitors is worth not repeating for every batch.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable

from kalrav.listening.models import Monitor
from kalrav.listening.query import Matcher, QuerySyntaxError, parse
from kalrav.listening.query.tree import Node

_lock = threading.Lock()
_cache: dict[int, tuple[tuple, Matcher]] = {}


def matcher_for(workspace_id: int) -> Matcher:
    """The workspace's active monitors as one matcher; `match` gives monitor ids."""
    rows = list(
        Monitor.objects.filter(workspace_id=workspace_id, is_active=True)
        .order_by("pk")
        .values_list("pk", "updated_at")
    )
    signature = tuple(rows)
    with _lock:
        held = _cache.get(workspace_id)
        if held is not None and held[0] == signature:
            return held[1]
    trees: dict[Hashable, Node] = {}
    for pk, query in Monitor.objects.filter(pk__in=[pk for pk, _ in rows]).values_list(
        "pk", "query"
    ):
        try:
            trees[pk] = parse(query)
        except QuerySyntaxError:
            continue  # saved before a parser change; the monitor page shows the error
    built = Matcher(trees)
    with _lock:
        _cache[workspace_id] = (signature, built)
    return built


def forget(workspace_id: int | None = None) -> None:
    """Drop the cached matchers (tests; a process that wants its memory back)."""
    with _lock:
        if workspace_id is None:
            _cache.clear()
        else:
            _cache.pop(workspace_id, None)
