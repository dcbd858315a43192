"""Route tables contributed by each app, gathered into tests/test_route_coverage.py.

Each module here (one per app: `tests/routes/search.py`, ...) may define:

    URLS          {route name: [Row, ...]}         as in test_route_coverage.URLS
    KINDS         {kind: "route route ..."}         what a route's `pk` (or other argument) names
    POST_DATA     {route name: {field: value}}     a valid POST (values: callables of the world)
    SOCKETS       {pattern: [Socket, ...]}
    SOCKET_KINDS  {pattern: kind}
    build(world)  makes the app's objects through its actions, after the forum's world is
                  built, and files them as world.objects[kind][state]; `URL arguments`
                  are read off the object: `pk` -> obj.pk, any other name -> getattr(obj, name).
                  A state "missing" may be filed too (an object with the arguments of
                  something that does not exist); otherwise pk MISSING_ID is used.

Row and Socket come from tests.routes.tables, so that a module needs no import of the
test module itself.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def modules() -> list[ModuleType]:
    """Return every app's route module in this package, by name."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name != "tables":
            found.append(importlib.import_module(f"{__name__}.{info.name}"))
    return found
