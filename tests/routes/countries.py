"""Route rows of the countries app (reference data only, so far: no routes)."""

from __future__ import annotations

from tests.access import World
from tests.routes.tables import Row  # noqa: F401  (the vocabulary for rows added here)

URLS: dict = {}


def build(world: World) -> None:
    """The countries app's objects: none with a route yet."""
