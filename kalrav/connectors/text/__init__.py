"""Reading post text as networks do: twitter-text's counting and URL extraction, which X uses and
Mastodon, Telegram and Bluesky's link detection follow."""
