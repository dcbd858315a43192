"""WebSocket URL routes. Consumers live in forum/consumers/."""

from django.urls import path

from forum.consumers.groups import GroupConsumer
from forum.consumers.inbox import InboxConsumer
from forum.consumers.meetings import MeetingConsumer

websocket_urlpatterns = [
    path("ws/groups/<slug:slug>/", GroupConsumer.as_asgi()),
    path("ws/meetings/<int:pk>/", MeetingConsumer.as_asgi()),
    path("ws/inbox/", InboxConsumer.as_asgi()),
]
