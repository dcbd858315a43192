"""The member's token pages, under /settings/ beside the other settings pages."""

from django.urls import path

from api import views

urlpatterns = [
    path("settings/tokens/", views.token_list, name="api_tokens"),
    path("settings/tokens/<int:pk>/revoke/", views.token_revoke, name="api_token_revoke"),
]
