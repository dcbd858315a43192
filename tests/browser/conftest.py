"""Headless Debian Chromium driven by Playwright against a real Daphne process."""

from __future__ import annotations

import os
import re
import shutil

import pytest

from tests.conftest import skip_or_fail
from tests.servers import DaphneServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        skip_or_fail("Chromium not installed: apt-get install chromium")
    # Playwright's sync API runs an event loop; the ORM in these tests is still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def server(transactional_db):
    """Daphne serving the committed test database."""
    daphne = DaphneServer().start()
    yield daphne
    daphne.stop()


@pytest.fixture
def new_page(browser, server):
    contexts = []

    def make():
        context = browser.new_context(base_url=server.url, locale="en-GB")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


def sign_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))


def wait_until(page, expression: str, timeout: float = 15.0) -> None:
    """Poll a page expression from Python: wait_for_function would need eval, which the
    site's Content-Security-Policy forbids, as it should."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{expression!r} stayed false for {timeout} s")
