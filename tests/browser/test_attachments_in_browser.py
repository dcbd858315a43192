"""A member attaches a PDF and a photo to a reply; readers see the thumbnail and the
card; a member of another country, outside the thread's audience, gets 404 for both.
Once with files on the local disk, once on an S3-compatible server (STORAGE_URL)."""

from __future__ import annotations

import pytest

from attachments.models import Attachment
from forum.models import Post
from tests.attachments import samples
from tests.attachments.s3 import s3_bucket, s3_server  # noqa: F401 (fixtures)
from tests.browser.conftest import sign_in, wait_until
from tests.conftest import PASSWORD
from tests.servers import DaphneServer


@pytest.fixture(params=["disk", "s3"])
def storage_bucket(request, tmp_path):
    """Where the server keeps files: a fresh directory, or a bucket on the S3 server."""
    if request.param == "s3":
        bucket = request.getfixturevalue("s3_bucket")
        return bucket.url, bucket
    return f"file://{tmp_path / 'files'}", None


@pytest.fixture
def server(transactional_db, storage_bucket):
    """Daphne serving the committed test database, with files where `storage_bucket` says."""
    url, _bucket = storage_bucket
    daphne = DaphneServer(env={"STORAGE_URL": url}).start()
    yield daphne
    daphne.stop()


@pytest.fixture
def china_thread(start_thread, member):
    return start_thread(member, title="Gazette of the month", audience="domestic")


def test_a_reply_with_a_pdf_and_a_photo_is_seen_by_its_audience_only(
    new_page,
    storage_bucket,
    tmp_path,
    member,
    make_member,
    other_country_member,
    legal,
    china_thread,
):
    colleague = make_member(country="CN", groups=[legal])
    pdf = tmp_path / "gazette.pdf"
    pdf.write_bytes(samples.pdf_bytes(pages=3))
    photo = tmp_path / "site-visit.jpg"
    photo.write_bytes(samples.jpeg_with_gps())

    page = new_page()
    sign_in(page, colleague.email, PASSWORD)
    page.goto(china_thread.get_absolute_url())
    page.fill("textarea[name=body]", "The gazette and a photo from the site.")
    page.set_input_files("input[name=files]", [str(pdf), str(photo)])
    # The page's script uploads each file with progress, then lists it for the form.
    wait_until(page, "document.querySelectorAll('input[name=attachment]').length === 2")
    page.get_by_role("button", name="Reply to the thread").click()
    page.wait_for_selector("article.post .attachment-image img")

    reply = Post.objects.get(thread=china_thread, number=2)
    files = {a.name: a for a in Attachment.objects.filter(owner_id=reply.pk)}
    assert set(files) == {"gazette.pdf", "site-visit.jpg"}
    _url, bucket = storage_bucket
    if bucket is not None:  # stored in the bucket, by content hash, with the derived images
        stored = bucket.stored_keys()
        assert {a.blob.name for a in files.values()} <= set(stored)
        assert any(key.endswith("/thumb.jpg") for key in stored)
    card = page.locator("article.post .attachment-card")
    assert "gazette.pdf" in card.inner_text() and "3 pages" in card.inner_text()
    wait_until(
        page,
        "(() => { const i = document.querySelector('.attachment-image img');"
        " return i && i.complete && i.naturalWidth > 0; })()",
    )
    assert page.evaluate("document.querySelector('.attachment-image img').naturalWidth") == 320
    page.click(".attachment-image")  # the lightbox, with JavaScript
    page.wait_for_selector(".lightbox img")

    author = new_page()
    sign_in(author, member.email, PASSWORD)
    for attachment in files.values():
        assert author.request.get(f"/files/{attachment.pk}/").status == 200

    stranger = new_page()
    sign_in(stranger, other_country_member.email, PASSWORD)
    for attachment in files.values():
        assert stranger.request.get(f"/files/{attachment.pk}/").status == 404
    assert stranger.request.get(f"/files/{files['site-visit.jpg'].pk}/thumb/").status == 404
    where = "disk" if bucket is None else "s3"
    page.screenshot(path=f"var/browser-attachments-{where}.png")
