"""The API, mounted at /api/ by forum/urls.py."""

from django.urls import path, re_path

from api import views
from api.v1 import api

urlpatterns = [
    path("v1/", api.urls),
    # Anything else under /api/ answers a problem too, never an HTML page.
    re_path(r"^(?P<rest>.*)$", views.api_not_found, name="api_not_found"),
]
