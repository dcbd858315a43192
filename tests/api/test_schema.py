"""The committed OpenAPI document is the served one; the docs page runs under our CSP."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.core.management import call_command

from api.management.commands.api_schema import DEFAULT_PATH

pytestmark = pytest.mark.django_db


def test_docs_openapi_json_is_the_served_schema(client):
    """If this fails, run `python manage.py api_schema` and commit docs/openapi.json."""
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    committed = json.loads(DEFAULT_PATH.read_text())
    assert served.json() == committed, "docs/openapi.json is stale: run manage.py api_schema"
    call_command("api_schema", "--check")


def test_the_schema_is_openapi_3_1_and_every_operation_documents_its_problems(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            errors = {int(code) for code in operation["responses"] if int(code) >= 400}
            assert {401, 403, 404, 422, 429} <= errors, f"{method} {path}"
            for code in errors:
                content = operation["responses"][str(code)]["content"]
                assert list(content) == ["application/problem+json"], f"{method} {path} {code}"
            assert operation.get("security"), f"{method} {path} has no security"


def test_the_docs_page_loads_only_our_own_scripts_under_the_csp(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    csp = page["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = page.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts
    for attributes, body in scripts:
        # Either a file from our static files, or a JSON data block (not executed).
        if "src=" in attributes:
            src = re.search(r'src="([^"]+)"', attributes).group(1)
            assert src.startswith(settings.STATIC_URL), src
            assert client.get(src).status_code == 200
        else:
            assert 'type="application/json"' in attributes
            json.loads(body)
    assert "cdn" not in html.lower()
