"""WebSocket URL routes. Consumers live in forum/consumers/."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
