"""Route rows of the webhooks app: a group's endpoints and their delivery log, chairs only.

Objects (kind "webhook"): "legal", an endpoint of legal-policy made by its chair;
"promotion", one of project-promotion made by staff; "cross", the legal endpoint with
the promotion endpoint's delivery. Each names its group's slug,
its id and one of its deliveries, so that every route can point at it.
"""

from __future__ import annotations

from types import SimpleNamespace

from tests.access import HUGE_ID, MISSING_ID, World, secret
from tests.routes.tables import BAD, LOGIN, NOT_ALLOWED, NOT_FOUND, OK, REDIRECT, Row
from webhooks.actions import deliveries, endpoints

_NOT_CHAIRS = "outsider members moderator"
_CHAIRS = "chair staff"

URLS: dict[str, list[Row]] = {
    "webhook_list": [
        Row("GET", "legal", LOGIN, "anonymous"),
        Row("GET", "legal", NOT_FOUND, _NOT_CHAIRS),
        Row("GET", "legal", OK, _CHAIRS, shows="webhook-legal", hides="webhook-promotion"),
        Row("POST", "legal", NOT_ALLOWED, "chair"),
        Row("GET", "missing", NOT_FOUND, _CHAIRS),
    ],
    "webhook_new": [
        Row("GET", "legal", LOGIN, "anonymous"),
        Row("GET", "legal", NOT_FOUND, _NOT_CHAIRS),
        Row("GET", "legal", OK, _CHAIRS),
        Row("POST", "legal", NOT_FOUND, _NOT_CHAIRS),
        Row("POST", "legal", OK, _CHAIRS),  # the new secret, shown once
        Row("POST", "legal", BAD, "chair", data={"name": "No address"}),
        Row("POST", "legal", BAD, "chair", data={"name": "x", "url": "https://10.0.0.1/"}),
        Row("GET", "missing", NOT_FOUND, _CHAIRS),
    ],
    "webhook_detail": [
        Row("GET", "legal", LOGIN, "anonymous"),
        Row("GET", "legal", NOT_FOUND, _NOT_CHAIRS),
        Row("GET", "legal", OK, _CHAIRS, shows="webhook-legal", hides="webhook-promotion"),
        Row("POST", "legal", NOT_FOUND, _NOT_CHAIRS),
        Row("POST", "legal", REDIRECT, _CHAIRS),
        Row("POST", "legal", BAD, "chair", data={"name": ""}),
        Row("GET", "promotion", NOT_FOUND, "chair author outsider"),
        Row("GET", "promotion", OK, "staff", shows="webhook-promotion"),
        # An endpoint asked for under another group's address is not there.
        Row("GET", "legal", NOT_FOUND, "staff", args={"slug": "project-promotion"}),
        Row("GET", "missing", NOT_FOUND, _CHAIRS),
        Row("GET", "huge", NOT_FOUND, _CHAIRS),
    ],
    "webhook_toggle": [
        Row("POST", "legal", LOGIN, "anonymous"),
        Row("POST", "legal", NOT_FOUND, _NOT_CHAIRS),
        Row("POST", "legal", REDIRECT, _CHAIRS),
        Row("GET", "legal", NOT_ALLOWED, "chair"),
        Row("POST", "promotion", NOT_FOUND, "chair"),
        Row("POST", "missing", NOT_FOUND, _CHAIRS),
    ],
    "webhook_rotate": [
        Row("POST", "legal", LOGIN, "anonymous"),
        Row("POST", "legal", NOT_FOUND, _NOT_CHAIRS),
        Row("POST", "legal", OK, _CHAIRS),  # the new secret, shown once
        Row("GET", "legal", NOT_ALLOWED, "chair"),
        Row("POST", "promotion", NOT_FOUND, "chair"),
        Row("POST", "missing", NOT_FOUND, _CHAIRS),
    ],
    "webhook_delete": [
        Row("GET", "legal", LOGIN, "anonymous"),
        Row("GET", "legal", NOT_FOUND, _NOT_CHAIRS),
        Row("GET", "legal", OK, _CHAIRS, shows="webhook-legal"),
        Row("POST", "legal", NOT_FOUND, _NOT_CHAIRS),
        Row("POST", "legal", REDIRECT, _CHAIRS),
        Row("POST", "promotion", NOT_FOUND, "chair"),
        Row("GET", "missing", NOT_FOUND, _CHAIRS),
    ],
    "webhook_test": [
        Row("POST", "legal", LOGIN, "anonymous"),
        Row("POST", "legal", NOT_FOUND, _NOT_CHAIRS),
        Row("POST", "legal", REDIRECT, _CHAIRS),
        Row("GET", "legal", NOT_ALLOWED, "chair"),
        Row("POST", "promotion", NOT_FOUND, "chair"),
        Row("POST", "missing", NOT_FOUND, _CHAIRS),
    ],
    "webhook_resend": [
        Row("POST", "legal", LOGIN, "anonymous"),
        Row("POST", "legal", NOT_FOUND, _NOT_CHAIRS),
        Row("POST", "legal", REDIRECT, _CHAIRS),
        Row("GET", "legal", NOT_ALLOWED, "chair"),
        Row("POST", "promotion", NOT_FOUND, "chair"),
        # Another endpoint's delivery, asked for under this endpoint: not there.
        Row("POST", "cross", NOT_FOUND, _CHAIRS),
        Row("POST", "missing", NOT_FOUND, _CHAIRS),
        Row("POST", "huge", NOT_FOUND, _CHAIRS),
    ],
}

KINDS = {
    "webhook": "webhook_detail webhook_toggle webhook_rotate webhook_delete webhook_test "
    "webhook_resend",
}

POST_DATA = {
    "webhook_new": {
        "name": "Route check",
        "url": "https://hooks.invalid/route-new",
        "format": "standard",
        "events": "thread.created",
    },
    "webhook_detail": {
        "name": "Route check, renamed",
        "format": "teams",
        "events": "thread.created",
    },
    "webhook_toggle": {"enabled": "0"},
}


def build(world: World) -> None:
    """An endpoint in each group (a delivery each, queued but never sent: the world's
    transaction never commits), and the ids of missing ones."""
    chair, staff = world.people["chair"], world.people["staff"]
    legal, _secret = endpoints.create_endpoint(
        actor=chair,
        group=world.legal,
        name=f"Legal bridge {secret('webhook-legal')}",
        url="https://hooks.invalid/route-legal",
    )
    promotion, _secret = endpoints.create_endpoint(
        actor=staff,
        group=world.promotion,
        name=f"Promotion bridge {secret('webhook-promotion')}",
        url="https://hooks.invalid/route-promotion",
    )
    legal_delivery = deliveries.queue_test(legal)
    promotion_delivery = deliveries.queue_test(promotion)
    world.objects["webhook"] = {
        "legal": SimpleNamespace(pk=legal.pk, slug=world.legal.slug, delivery=legal_delivery.pk),
        "promotion": SimpleNamespace(
            pk=promotion.pk, slug=world.promotion.slug, delivery=promotion_delivery.pk
        ),
        # This group's endpoint with the other group's delivery.
        "cross": SimpleNamespace(
            pk=legal.pk, slug=world.legal.slug, delivery=promotion_delivery.pk
        ),
        "missing": SimpleNamespace(pk=MISSING_ID, slug=world.legal.slug, delivery=MISSING_ID),
        "huge": SimpleNamespace(pk=HUGE_ID, slug=world.legal.slug, delivery=HUGE_ID),
    }
