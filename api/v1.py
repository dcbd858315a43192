"""The REST API, version 1, at /api/v1/: django-ninja, OpenAPI 3.1, bearer tokens."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from api import problems
from api.endpoints import common, moderating, reading, searching, writing  # noqa: F401 - they register


class ForumAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return problems.to_problem_media_type(schema)

    def get_openapi_operation_id(self, operation) -> str:
        return operation.view_func.__name__


api = ForumAPI(
    title="Working-group forum API",
    version="1",
    description=str(
        _(
            "Read what you may read on the site and write through the same rules, with a "
            "personal access token (Authorization: Bearer). Errors are RFC 9457 problem "
            "details. See docs/api.md."
        )
    ),
    urls_namespace="api_v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
    # Served from our static files (ninja in INSTALLED_APPS): no inline script, no CDN.
    docs=Swagger(settings={"persistAuthorization": False}),
)
problems.install(api)
api.add_router("", common.router)
