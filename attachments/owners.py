"""What files may be attached to: a registry of owner kinds, each with its own audience.

An app makes its objects attachable by registering an OwnerKind in its AppConfig.ready():

    from attachments.owners import OwnerKind, register
    register(OwnerKind(model="conversations.Message", visible=visible_messages, ...))

`visible(viewer)` returns the owners whose files `viewer` may fetch, as a queryset: the
same rule answers a single download and a whole page's files, each in one query.
See docs/attachments.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet


@dataclass(frozen=True)
class OwnerKind:
    """One kind of thing files attach to."""

    model: str  # "app_label.ModelName"
    # The owners whose files `viewer` may fetch now (an unsaved or anonymous viewer: none).
    visible: Callable[[object], QuerySet]
    # Owners whose files may go once retention ends: removed before `cutoff` (optional).
    expired: Callable[[datetime], QuerySet] | None = None
    # At most this many files on one owner (None: the ATTACHMENT_MAX_PER_POST setting).
    max_files: int | None = None
    # At most this many bytes a file on one owner (None: the ATTACHMENT_MAX_BYTES setting).
    max_bytes: int | None = None

    @property
    def model_class(self) -> type[Model]:
        return apps.get_model(self.model)


_KINDS: dict[str, OwnerKind] = {}


def register(kind: OwnerKind) -> None:
    """Make `kind.model` attachable (idempotent: a second registration replaces the first)."""
    _KINDS[kind.model.lower()] = kind


def kinds() -> list[OwnerKind]:
    return list(_KINDS.values())


def kind_of(model: type[Model] | Model | ContentType) -> OwnerKind:
    """Return the registered kind of `model` (a model, an instance or a content type)."""
    if isinstance(model, ContentType):
        label = f"{model.app_label}.{model.model}"
    else:
        label = model._meta.label_lower
    try:
        return _KINDS[label]
    except KeyError:
        raise LookupError(f"{label} is not an attachment owner; register it first") from None


def is_registered(model: type[Model] | Model) -> bool:
    return model._meta.label_lower in _KINDS
