"""Writes sent with an `Idempotency-Key`: the first answer is stored and replayed.

The key row is written in the same transaction as the write itself. A concurrent
request with the same key blocks on the unique constraint until the first commits,
then finds its answer; if the first failed, nothing of it remains and the next one
runs the write. So ten identical requests write once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Header, Status
from ninja import Schema as NinjaSchema

from api.models import IdempotencyKey
from api.problems import IdempotencyMismatch

KEPT_FOR = timedelta(hours=24)
REPLAYED_HEADER = "Idempotent-Replayed"

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        None,
        alias="Idempotency-Key",
        pattern=r"^[\x21-\x7e]{1,255}$",
        description=(
            "Any unique string (a UUID, say). A retry with the same key returns the first "
            "answer and writes nothing again, for 24 hours."
        ),
    ),
]


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def run_once(
    request: HttpRequest,
    response: HttpResponse,
    key: str | None,
    schema: type[NinjaSchema],
    status: int,
    write: Callable[[], dict],
) -> Status:
    """Run `write` (which returns the answer's data) unless `key` was seen with this token;
    return the answer for ninja to send."""
    if key is None:
        return Status(status, schema.model_validate(write()).model_dump(mode="json"))
    token = request.api_token
    fingerprint = _fingerprint(request)
    with transaction.atomic():
        IdempotencyKey.objects.filter(
            token=token, created_at__lt=timezone.now() - KEPT_FOR
        ).delete()
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    token=token, key=key, fingerprint=fingerprint, status_code=status, body={}
                )
        except IntegrityError:
            record = None
        else:
            record.body = schema.model_validate(write()).model_dump(mode="json")
            record.save(update_fields=["body"])
            return Status(status, record.body)
    first = IdempotencyKey.objects.get(token=token, key=key)
    if first.fingerprint != fingerprint:
        raise IdempotencyMismatch(key)
    response[REPLAYED_HEADER] = "true"
    return Status(first.status_code, first.body)
