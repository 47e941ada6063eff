"""Listening alerts: a volume spike against the monitor's seasonal baseline, a negative share
above a threshold, a new term; fired once per episode and sent in Kalrav, by email, by signed
webhook and to a team's room.

`arrival.on_mentions_stored` is what intake calls after storing and matching new mentions.
"""
