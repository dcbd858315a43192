import pytest

pytestmark = pytest.mark.django_db


def test_a_reader_lists_groups_threads_and_a_thread(api_as, member, thread):
    client = api_as(member, ("read", "write"))
    groups = client.get("/api/v1/groups")
    assert groups.status_code == 200, groups.content
    assert [g["slug"] for g in groups.json()["items"]] == ["legal-policy"]
    threads = client.get("/api/v1/groups/legal-policy/threads")
    assert threads.status_code == 200, threads.content
    assert threads.json()["items"][0]["id"] == thread.pk
    page = client.get(f"/api/v1/threads/{thread.pk}")
    assert page.status_code == 200, page.content
    print(page.json())
    opening = page.json()["posts"][0]["id"]
    reply = client.post(f"/api/v1/posts/{opening}/replies", {"body": "Hello *there*"})
    assert reply.status_code == 201, reply.content
    print(reply.json())
    missing = client.get("/api/v1/threads/999999")
    print(missing.status_code, missing["Content-Type"], missing.json())
    nope = client.get("/api/v1/nothing/here")
    print(nope.status_code, nope["Content-Type"], nope.json())
