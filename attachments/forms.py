"""The files of one form: new ones from the file input, earlier ones kept by id.

A page's form (new thread, reply, edit, chat) builds `Uploads(request)`: new files are
stored at once (so a form that comes back with an error keeps them, without the member
choosing them again), and the form's action attaches them with `save_with`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms import Form
from django.http import HttpRequest

from attachments import limits, visibility
from attachments.actions import files as actions
from attachments.models import Attachment


class Uploads:
    """New and kept uploads of one submitted form, and the owner's files to detach."""

    def __init__(self, request: HttpRequest, *, owner: Model | None = None) -> None:
        self.member = request.user
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

    @property
    def max_files(self) -> int:
        return limits.max_per_post()

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
