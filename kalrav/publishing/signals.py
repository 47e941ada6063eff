"""Signals other parts of Kalrav listen to, so the publisher need not know them.

`variant_published` is sent once per variant after the transaction that recorded its
publication has committed (the recurring-post schedule and analytics listen to it).
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: variant (the published Variant)
variant_published = Signal()
