"""The in-memory channel layer of a single-process deployment, with a cheaper sweep."""

from __future__ import annotations

import time

from channels.layers import InMemoryChannelLayer as ChannelsInMemoryChannelLayer

# How often expired messages and group memberships are swept away.
SWEEP_SECONDS = 1.0


class InMemoryChannelLayer(ChannelsInMemoryChannelLayer):
    """Channels' in-memory layer, sweeping expired entries at most every SWEEP_SECONDS.

    Channels' own sweeps every channel and every group on each send and receive. The
    hub keeps one group per stream it serves, a connected member's inbox included, so
    with hundreds of members online that pass cost more than the message it came with.
    Messages expire after a minute and group memberships after a day: a sweep a second
    finds the same entries, at most a second later.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._swept = float("-inf")

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept < SWEEP_SECONDS:
            return
        self._swept = now
        super()._clean_expired()
