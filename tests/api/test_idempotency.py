"""A write sent again with the same Idempotency-Key returns the first answer and writes once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from api.models import IdempotencyKey
from forum.models import Post, Thread
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_ten_identical_replies_store_one_post(member, thread, api_as, posting_unlimited):
    client = api_as(member, ("read", "write"))
    opening = thread.posts.get()
    answers = [
        client.post(
            f"/api/v1/posts/{opening.pk}/replies", {"body": "Once"}, HTTP_IDEMPOTENCY_KEY="r-1"
        )
        for _ in range(10)
    ]
    assert {a.status_code for a in answers} == {201}
    assert len({a.content for a in answers}) == 1
    assert [a.get("Idempotent-Replayed") for a in answers] == [None] + ["true"] * 9
    assert Post.objects.filter(thread=thread, body_source="Once").count() == 1


def test_the_same_key_with_another_body_is_refused(member, thread, api_as, posting_unlimited):
    client = api_as(member, ("read", "write"))
    opening = thread.posts.get()
    url = f"/api/v1/posts/{opening.pk}/replies"
    assert client.post(url, {"body": "One"}, HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    other = client.post(url, {"body": "Two"}, HTTP_IDEMPOTENCY_KEY="k")
    assert other.status_code == 409
    assert other["Content-Type"] == "application/problem+json"
    assert not Post.objects.filter(body_source="Two").exists()


def test_a_failed_write_keeps_no_key_and_a_retry_runs_again(member, thread, api_as):
    client = api_as(member, ("read", "write"))
    opening = thread.posts.get()
    url = f"/api/v1/posts/{opening.pk}/replies"
    Thread.objects.filter(pk=thread.pk).update(locked=True)
    assert client.post(url, {"body": "Hi"}, HTTP_IDEMPOTENCY_KEY="k").status_code == 403
    assert not IdempotencyKey.objects.exists()
    Thread.objects.filter(pk=thread.pk).update(locked=False)
    assert client.post(url, {"body": "Hi"}, HTTP_IDEMPOTENCY_KEY="k").status_code == 201


def test_keys_belong_to_one_token(member, thread, issue_token, posting_unlimited):
    opening = thread.posts.get()
    url = f"/api/v1/posts/{opening.pk}/replies"
    for _ in range(2):
        client = ApiClient(issue_token(member, ("read", "write")))
        assert client.post(url, {"body": "Twice"}, HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    assert Post.objects.filter(body_source="Twice").count() == 2


def test_a_new_thread_and_an_edit_are_idempotent(member, api_as, legal, posting_unlimited):
    client = api_as(member, ("read", "write"))
    body = {"title": "Tax treaty notes", "body": "First draft"}
    made = [
        client.post("/api/v1/groups/legal-policy/threads", body, HTTP_IDEMPOTENCY_KEY="t")
        for _ in range(3)
    ]
    assert {m.status_code for m in made} == {201}
    assert Thread.objects.filter(title="Tax treaty notes").count() == 1
    post_id = made[0].json()["posts"][0]["id"]
    edits = [
        client.patch(f"/api/v1/posts/{post_id}", {"body": "Second"}, HTTP_IDEMPOTENCY_KEY="e")
        for _ in range(3)
    ]
    assert {e.status_code for e in edits} == {200}
    assert Post.objects.get(pk=post_id).revisions.count() == 1


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_identical_replies_store_one_post(
    member, thread, issue_token, posting_unlimited
):
    plaintext = issue_token(member, ("read", "write"))
    opening = thread.posts.get()
    url = f"/api/v1/posts/{opening.pk}/replies"
    start = threading.Barrier(10)
    answers = []

    def send() -> None:
        client = ApiClient(plaintext)
        start.wait()
        try:
            answers.append(client.post(url, {"body": "Together"}, HTTP_IDEMPOTENCY_KEY="c-1"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [201] * 10, [a.content for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert Post.objects.filter(thread=thread, body_source="Together").count() == 1
