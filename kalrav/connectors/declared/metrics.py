"""Kalrav's names for the figures networks report, so that a like on X, a like on Bluesky and a
reaction on Facebook add up in one dashboard.

Each connector renames its network's figures to these where the meaning is the same (X's
`like_count` is `likes`, Instagram's `saved` is `saves`, a Telegram channel's members are its
`followers`) and keeps the network's own name for figures that have no equivalent
(`post_clicks`, `total_interactions`), which are shown as they are but not added up.
"""

from __future__ import annotations

VIEWS = "views"  # times the post was shown or played, where the network counts views
IMPRESSIONS = "impressions"  # times it was shown, where the network calls it that
REACH = "reach"  # distinct accounts that saw it
LIKES = "likes"
REACTIONS = "reactions"  # Facebook: likes and the other reactions together
REPOSTS = "reposts"
REPLIES = "replies"
QUOTES = "quotes"
SHARES = "shares"
COMMENTS = "comments"
SAVES = "saves"
LINK_CLICKS = "link_clicks"
PROFILE_CLICKS = "profile_clicks"
FOLLOWERS = "followers"  # a channel's audience: followers, page followers, channel members

# What "engagements" adds up: a person acting on the post. Views and clicks are not in it.
ENGAGEMENTS = (LIKES, REACTIONS, REPOSTS, REPLIES, QUOTES, SHARES, COMMENTS, SAVES)
# Where an engagement rate's denominator comes from, in order of preference.
SEEN = (VIEWS, IMPRESSIONS)


def engagements_of(values: dict[str, float]) -> float:
    return float(sum(values.get(name, 0) for name in ENGAGEMENTS))


def seen_of(values: dict[str, float]) -> float:
    """Views where the network counts them, else its impressions, else 0 (no rate)."""
    for name in SEEN:
        if values.get(name):
            return float(values[name])
    return 0.0
