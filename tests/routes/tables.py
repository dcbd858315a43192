"""The vocabulary of the route tables: answers, HTTP rows and socket rows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    status: int
    to: str = ""  # where a 302 must lead: "login", "mfa", or anywhere else ("")

    def __str__(self) -> str:
        return f"{self.status} to {self.to}" if self.to else str(self.status)


OK, BAD, NOT_ALLOWED, GONE = Answer(200), Answer(400), Answer(405), Answer(410)
NOT_FOUND = Answer(404)
NO_CONTENT = Answer(204)
LOGIN, MFA, REDIRECT = Answer(302, "login"), Answer(302, "mfa"), Answer(302)


@dataclass(frozen=True)
class Row:
    method: str
    state: str
    answer: Answer
    roles: str
    data: dict | None = None  # POST data; None: the route's default in POST_DATA
    hides: str = ""  # states whose marker must not show in the answer
    shows: str = ""  # states whose marker must show (so that `hides` elsewhere means something)
    xfail: str = ""  # a known product bug: the reason, naming its issue
    args: dict | None = None  # URL arguments that override the state's


@dataclass(frozen=True)
class Socket:
    state: str
    answer: int | str  # HELLO (accepted, hello first) or the close code
    roles: str
    hides: str = ""  # after hello, resume from 0: these states' markers never arrive
    shows: str = ""  # ... and these do
    xfail: str = ""


HELLO = "hello"
