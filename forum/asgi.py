"""ASGI entry point: HTTP through Django, WebSocket through Channels, both under Daphne."""

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forum.settings")
django.setup(set_prefix=False)  # as django.core.asgi.get_asgi_application does

from forum.http_handler import SyncChainASGIHandler  # noqa: E402

django_asgi_app = SyncChainASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from forum.checks import log_deployment_warnings  # noqa: E402
from forum.consumers.wire import defer_autobahn_debug_text  # noqa: E402
from forum.request_bodies import stream_request_bodies  # noqa: E402
from forum.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # No session or auth middleware: the consumer resolves the member from the
        # session cookie in its one database trip at connect, and its frames skip the
        # session wrapper around `send` (which looked at the session on every frame).
        "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)

defer_autobahn_debug_text()
# An upload reaches Django chunk by chunk from Twisted's spooled file, not whole in memory.
stream_request_bodies()

# Daphne runs no system checks: say here if this server runs on SQLite or alone.
log_deployment_warnings()

# A server process holds thousands of long-lived sockets. Everything loaded so far
# lives as long as the process: keep it out of the cyclic collector's full passes,
# which scan every tracked object while every socket waits (100-300 ms pauses with
# 1,000 sockets in the fan-out benchmark). Collecting the young generation less
# often lets each request's short-lived objects die by reference count first,
# instead of being promoted and pushing the next full pass closer.
gc.freeze()
gc.set_threshold(10_000, 20, 20)
