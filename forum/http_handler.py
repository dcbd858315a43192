"""Django's ASGI handler, with its middleware chain run as the WSGI handler runs it.

Under ASGI Django builds an asynchronous middleware chain. Ours mixes sync-only
middleware (trusted proxies, member preferences) with ones that can run either way, and
every view here is synchronous, so a request crossed between the event loop and a worker
thread several times: each `MiddlewareMixin` below a sync-only middleware ran its hooks
through `sync_to_async`, the sync one called the rest back with `async_to_sync`, then
the CSRF check and the view each crossed again. Here the whole chain (middleware, view,
template rendering) runs synchronously in the request's one worker thread, as under
WSGI: one crossing per request. Reading the body and sending the response stay on the
event loop, as before.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        # Thread-sensitive: inside the request's ThreadSensitiveContext, its own thread.
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)
