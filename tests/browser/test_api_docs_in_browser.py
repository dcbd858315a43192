"""The API's docs page works in a real browser under the site's Content-Security-Policy."""

from __future__ import annotations

import pytest

from tests.browser.conftest import wait_until

pytestmark = pytest.mark.browser


def test_the_api_docs_page_renders_every_operation_without_a_script_violation(new_page):
    page = new_page()
    console: list[str] = []
    errors: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = page.goto("/api/v1/docs")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    wait_until(page, "document.querySelectorAll('.opblock').length >= 17")
    assert page.locator(".opblock-summary-path").filter(has_text="/api/v1/threads/{pk}").count()
    blocked = [line for line in console if "Content Security Policy" in line]
    assert not [line for line in blocked if "script" in line], blocked
    assert errors == []
