"""The files of one form: new ones from the file input, earlier ones kept by id.

A page's form (new thread, reply, edit, chat) builds `Uploads(request)`: new files are
stored at once (so a form that comes back with an error keeps them, without the member
choosing them again), and the form's action attaches them with `save_with`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms import Form
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from attachments import limits, owners, visibility
from attachments.actions import files as actions
from attachments.models import Attachment


class Uploads:
    """New and kept uploads of one submitted form, and the owner's files to detach."""

    def __init__(
        self, request: HttpRequest, *, owner: Model | None = None, kind: str | None = None
    ) -> None:
        """`owner`: the object being edited (its files are listed); `kind` ("app.Model"):
        what the files will attach to, for its own limits (default: the owner's kind)."""
        self.member = request.user
        self.kind = owners.kind_of(owner) if owner is not None else None
        if kind is not None:
            self.kind = owners.kind_of(apps.get_model(kind))
        self.errors: list[str] = []
        self.pending: list[Attachment] = []
        self.current: list[Attachment] = []
        self.detach: list[int] = []
        if owner is not None:
            self.current = visibility.files_of(self.member, [owner]).get(owner.pk, [])
        if request.method != "POST":
            return
        self.pending = visibility.own_uploads(self.member, request.POST.getlist("attachment"))
        for file in request.FILES.getlist("files"):
            try:
                self.pending.append(actions.upload(member=self.member, file=file, name=file.name))
            except ValidationError as error:
                self.errors.extend(error.messages)
        chosen = set(request.POST.getlist("detach"))
        self.detach = [a.pk for a in self.current if str(a.pk) in chosen]
        self._check_kind_limits()

    @property
    def max_files(self) -> int:
        return (self.kind and self.kind.max_files) or limits.max_per_post()

    @property
    def max_bytes(self) -> int:
        return (self.kind and self.kind.max_bytes) or limits.max_bytes()

    def _check_kind_limits(self) -> None:
        """Refuse, by name, files over the owner kind's own size limit (they are not kept),
        and more files than it takes, before the form's action runs."""
        if self.kind is None:
            return
        kept = []
        for attachment in self.pending:
            if attachment.blob.size > self.max_bytes:
                self.errors.append(
                    _("“%(name)s” is larger than %(max)s.")
                    % {"name": attachment.name, "max": filesizeformat(self.max_bytes)}
                )
            else:
                kept.append(attachment)
        self.pending = kept
        if len(self.current) - len(self.detach) + len(self.pending) > self.max_files:
            self.errors.append(
                ngettext(
                    "At most %(n)d file can be attached here.",
                    "At most %(n)d files can be attached here.",
                    self.max_files,
                )
                % {"n": self.max_files}
            )

    def is_valid(self, form: Form | None = None) -> bool:
        """Put the refused files' reasons on `form`; True when every file was taken."""
        if form is not None:
            for message in self.errors:
                form.add_error(None, message)
        return not self.errors

    def save_with[T](
        self, write: Callable[[], T], owner_of: Callable[[T], Model] = lambda result: result
    ) -> T:
        """Run the form's action and attach the files to what it made, all or nothing."""
        return actions.with_files(
            member=self.member,
            uploads=self.pending,
            write=write,
            owner_of=owner_of,
            detach=self.detach,
        )
