"""Write the API's OpenAPI document to docs/openapi.json (or check that it is current)."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

DEFAULT_PATH = Path(settings.BASE_DIR) / "docs" / "openapi.json"


def schema_text() -> str:
    """Return the OpenAPI document as served at /api/v1/openapi.json, as stable JSON."""
    from api.v1 import api

    return json.dumps(api.get_openapi_schema(), indent=2, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Write the API's OpenAPI 3.1 document to docs/openapi.json."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", type=Path, default=DEFAULT_PATH)
        parser.add_argument(
            "--check", action="store_true", help="Fail if the file differs from the served one."
        )

    def handle(self, *args, output: Path, check: bool, **options) -> None:
        text = schema_text()
        if check:
            if not output.exists() or output.read_text() != text:
                raise CommandError(f"{output} is stale: run manage.py api_schema")
            self.stdout.write(f"{output} is current.")
            return
        output.write_text(text)
        self.stdout.write(f"Wrote {output}.")
