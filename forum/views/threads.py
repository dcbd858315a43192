"""Thread lists, thread pages, posting, editing and the moderators' buttons."""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.forms import Form
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_http_methods, require_POST

from accounts.mfa import redirect_to_mfa_setup
from attachments import visibility as attachment_visibility
from attachments.forms import Uploads
from countries.reference import country_choices
from forum import events, navigation, visibility
from forum import inbox as inbox_selectors
from forum import reading as selectors
from forum.actions import reading
from forum.actions import threads as actions
from forum.actions.moderation import SLOW_MODE_CHOICES, set_slow_mode
from forum.context_processors import page_theme
from forum.forms import EditPostForm, RemovePostForm, ReplyForm, TagsForm, ThreadForm
from forum.models import REACTIONS, Post, Review, Role, Thread, ThreadRead, Watch
from forum.prepared import PreparedQuery, padded, stand_in, viewer_shape, viewer_stand_in
from forum.templatetags.forum import when
from forum.views import etags

THREADS_PER_PAGE = 25
POSTS_PER_PAGE = 20


def _apply_errors(form: Form, error: ValidationError | PermissionDenied) -> None:
    """Show an action's refusal on the form, keeping what the member typed."""
    if isinstance(error, ValidationError):
        for message in error.messages:
            form.add_error(None, message)
    else:
        form.add_error(None, str(error) or _("You are not allowed to do that."))


def _say_if_waiting(request: HttpRequest, post) -> bool:
    if post.status != "pending":
        return False
    messages.info(
        request,
        _(
            "Your post is waiting for a moderator's review. Until it is approved, only you "
            "and the group's moderators can see it."
        ),
    )
    return True


def _moderation_gate(request: HttpRequest, group) -> HttpResponse | None:
    """404 unless the member moderates `group`; a redirect to MFA set-up if they lack it."""
    if not visibility.can_moderate(request.user, group):
        raise Http404("Not found.")
    return redirect_to_mfa_setup(request)


# Compressed: member text and a per-response masked CSRF token, no long-lived secret
# (Django's gzip also pads against BREACH). Pages that show secrets stay uncompressed.
@login_required
@gzip_page
def group_threads(request: HttpRequest, slug: str) -> HttpResponse:
    """The group's threads: pinned first, then by last activity, with unread markers."""
    group = visibility.get_group_or_404(request.user, slug)
    role = visibility.role_in(request.user, group)
    threads = selectors.listed_threads(request.user, group)
    tag = request.GET.get("tag", "")[:40].replace("\x00", "")
    if tag:
        tagged = Thread.tags.through.objects.filter(thread=OuterRef("pk"), tag__name=tag)
        threads = threads.filter(Exists(tagged))
    page = Paginator(threads, THREADS_PER_PAGE).get_page(request.GET.get("page"))
    moderates = visibility.can_moderate(request.user, group)
    return render(
        request,
        "forum/group_threads.html",
        {
            "group": group,
            "page": page,
            "tag": tag,
            "role": Role(role) if role else None,
            "can_chair": visibility.can_chair(request.user, group),
            "can_moderate": moderates,
            "queue_count": visibility.review_queue(request.user, group).count() if moderates else 0,
            "can_start": visibility.can_start_thread(request.user, group),
            "countries": visibility.group_country_counts(request.user, group),
            "stream_seq": events.last_seq(events.group_stream(group.pk)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def new_thread(request: HttpRequest, slug: str) -> HttpResponse:
    group = visibility.get_group_or_404(request.user, slug)
    form = ThreadForm(request.POST or None, group=group)
    uploads = Uploads(request)
    if request.method == "POST" and form.is_valid() and uploads.is_valid(form):
        data = form.cleaned_data
        try:
            thread = uploads.save_with(
                lambda: actions.create_thread(
                    author=request.user,
                    group=group,
                    title=data["title"],
                    body=data["body"],
                    audience=data["audience"],
                    countries=data.get("countries") or [],
                    topics=[tag.name for tag in data.get("topics") or []],
                    country_tags=data.get("country_tags") or [],
                ),
                owner_of=lambda thread: thread.posts.get(number=1),
            )
        except (ValidationError, PermissionDenied) as error:
            _apply_errors(form, error)
        else:
            reading.discard_draft(member=request.user, key=f"thread:{group.slug}")
            _say_if_waiting(request, thread.posts.get(number=1))
            return redirect(thread.get_absolute_url())
    return render(
        request,
        "forum/thread_new.html",
        {
            "group": group,
            "form": form,
            "uploads": uploads,
            "my_country": request.user.country,
            # Tell members up front when their post will wait for a moderator.
            "reviewed": None
            if visibility.can_moderate(request.user, group)
            else group.moderation_policy,
        },
    )


# What the thread page is built from, for its ETag.
PAGE_TEMPLATES = (
    "base.html",
    "forum/thread.html",
    "forum/_live.html",
    "forum/_post.html",
    "forum/_reactions.html",
    "forum/_pagination.html",
    "_form_fields.html",
    "attachments/_files.html",
    "attachments/_picker.html",
)
PAGE_ASSETS = (
    "forum/forum.css",
    "forum/live.js",
    "forum/seen.js",
    "forum/site.js",
    "forum/thread.js",
    "forum/reactions.js",
    "forum/compose.js",
    "attachments/attachments.css",
    "attachments/attachments.js",
)


# What a post's fragment shows, and what the rules read (authors' whole rows, with
# their settings, and the parents' texts were a third of the posts' query).
_SHOWN_POST_FIELDS = (
    "thread_id",
    "author_id",
    "parent_id",
    "number",
    "depth",
    "path",
    "status",
    "body_html",
    "created_at",
    "edited_at",
    "removed_reason",
    "author__handle",
    "author__display_name",
    "author__country",
    "author__avatar_version",
    "parent__author_id",
    "parent__author__display_name",
)


def _page_posts(
    shape: tuple, everything: bool, view: str, start: int, *, thread: int, viewer: int = 0
) -> QuerySet[Post]:
    """One page of a thread's posts as the page shows them, their total riding along.
    `viewer` is passed only when the rule reads it: staff and the group's moderators
    see every post."""
    reader = viewer_stand_in(viewer, shape)
    posts = _visible_posts(reader, stand_in(Thread, id=thread), everything, view)
    # The total is a subquery the database runs once. A window over all rows (before
    # LIMIT) read and sorted every post of the thread, text and all: 2 ms of the page
    # at 1,000 posts on SQLite, against 0.2.
    total = posts.order_by().values("thread").annotate(n=Count("pk")).values("n")
    return posts.annotate(total=Subquery(total))[start : start + POSTS_PER_PAGE]


_PAGE_POSTS = PreparedQuery(_page_posts)


def _posts_page(member, thread: Thread, moderator: bool, view: str, number: str | None) -> Page:
    """Return one page of the posts of `thread` that `member` may see, in `view`'s order;
    their total rides along in the same query, built once per shape."""
    everything = member.is_staff or moderator
    shape = viewer_shape(member)
    ids = {"thread": thread.pk} if everything else {"thread": thread.pk, "viewer": member.pk}
    valid = number and number.isascii() and number.isdigit() and len(number) <= 7
    wanted = int(number) if valid else 1

    def rows(page_number: int) -> list[Post]:
        start = (max(page_number, 1) - 1) * POSTS_PER_PAGE
        key = (shape, everything, view, start)
        return _PAGE_POSTS.objects(key, shape, everything, view, start, **ids)  # type: ignore[return-value]

    found = rows(wanted)
    paginator = Paginator([], POSTS_PER_PAGE)
    paginator.count = (
        found[0].total if found else _visible_posts(member, thread, moderator, view).count()
    )
    if not found and paginator.num_pages != wanted:
        # Past the end (or page 0): the last page, as Paginator.get_page answers.
        wanted = paginator.num_pages
        found = rows(wanted)
    return Page(found, max(wanted, 1), paginator)


def _visible_posts(member, thread: Thread, moderator: bool, view: str) -> QuerySet[Post]:
    """The thread's posts `member` may see, loaded as the page shows them, in `view`'s
    order."""
    return (
        visibility.visible_posts(member, thread, moderator=moderator)
        .select_related("author", "parent__author")
        .only(*_SHOWN_POST_FIELDS)
        .order_by("path" if view == "tree" else "number")
    )


def _own_reviews(*, posts: list[int]) -> QuerySet[Review]:
    return (
        Review.objects.filter(post__in=posts)
        .exclude(state=Review.State.WITHDRAWN)
        .order_by("submitted_at", "pk")
    )


_OWN_REVIEWS = PreparedQuery(_own_reviews)


def _review_notes(member, page: Page) -> None:
    """Attach to each of the member's own posts its latest review (a proposed edit, or
    why it was rejected), as `my_review`."""
    mine = [p.pk for p in page if p.author_id == member.pk and p.status != "removed"]
    reviews = {}
    if mine:
        for review in _OWN_REVIEWS.objects("page", posts=padded(mine)):
            reviews[review.post_id] = review
    for post in page:
        post.my_review = reviews.get(post.pk)


# A post id no page shows: each post route is reversed once per page with it, then the
# mark is replaced by each post's id: reversing per post took about a tenth of a page.
_ID_MARK = "2147483647"
_POST_ROUTES = {
    "reply": "post_reply",
    "edit": "post_edit",
    "history": "post_history",
    "report": "post_report",
    "remove": "post_remove",
    "restore": "post_restore",
    "react": "post_react",
    "bookmark": "post_bookmark",
}


def prepare_posts(page) -> None:
    """Give each post what its fragment shows ready-made: its links (`post.links`) and
    its time in the reader's language and zone (`post.shown_time`)."""
    routes = {key: reverse(route, args=[_ID_MARK]) for key, route in _POST_ROUTES.items()}
    in_reply = reverse("post", args=[_ID_MARK])
    profiles: dict[str, str] = {}
    for post in page:
        pk = str(post.pk)
        links = {key: url.replace(_ID_MARK, pk) for key, url in routes.items()}
        handle = post.author.handle
        if handle not in profiles:
            profiles[handle] = reverse("profile", args=[handle])
        links["author"] = profiles[handle]
        if post.parent_id:
            links["parent"] = in_reply.replace(_ID_MARK, str(post.parent_id))
        post.links = links
        post.shown_time = when(post.created_at)


def add_files(member, page) -> None:
    """Give each post the files `member` may fetch (`post.files`); their own edit waiting
    for review shows its proposed files, as it shows its proposed text (after
    `_review_notes`). The thread page and a post's fragment both load them here."""
    files = attachment_visibility.files_of(member, page)
    for post in page:
        post.files = files.get(post.pk, [])
    attachment_visibility.with_proposed_files(member, page)


def _post_data(post: Post) -> tuple:
    """Everything one post's fragment shows, as plain values: the page's ETag and the
    key of the post's cached fragment (worked out once per post and request)."""
    if (data := getattr(post, "_shown_data", None)) is None:
        data = post._shown_data = _shown_data(post)
    return data


def _shown_data(post: Post) -> tuple:
    review = post.my_review
    return (
        post.pk,
        post.number,
        post.depth,
        post.path,
        post.status,
        post.created_at,
        post.edited_at,
        post.removed_reason,
        post.body_html,
        post.parent_id,
        post.parent.author.display_name if post.parent_id else None,
        (post.author_id, post.author.handle, post.author.display_name, str(post.author.country)),
        post.may,
        review
        and (review.pk, review.state, review.kind, review.reason, review.note, review.body_html),
        [
            (a.pk, a.name, a.blob.kind, a.blob.size, a.blob.described_at, a.blob.pages)
            for a in post.files
        ],
        post.author.avatar_version,
        post.shown_reactions,
        post.bookmarked,
    )


def _page_data(context: dict[str, object]) -> tuple:
    """Everything the thread page shows, as plain values for its ETag."""
    thread, page = context["thread"], context["page"]
    return (
        (thread.pk, thread.title, thread.audience, thread.pinned, thread.locked),
        (thread.slow_mode_seconds, thread.last_activity_at, thread.stream_seq),
        (thread.watch_muted, thread.group.slug, thread.group.name),
        [(tag.kind, tag.name) for tag in context["tags"]],
        (page.number, page.paginator.num_pages, context["view"], context["can_reply"]),
        context["first_unread"],
        (context["moderator"], context["role"], context["inbox_unread"], context["theme"]),
        [(group.slug, group.name) for group in context["nav_groups"]],
        [_post_data(post) for post in page],
    )


# What a post's fragment is rendered from, for the key of its cached copy.
POST_TEMPLATES = ("forum/_post.html", "forum/_reactions.html", "attachments/_files.html")
POST_CACHE_SECONDS = 24 * 3600


def render_posts(request: HttpRequest, posts, view: str) -> None:
    """Give each of `posts` (prepared as the thread page prepares them) its rendered
    fragment, `post.html`.

    A fragment is cached under a digest of everything it shows (`_post_data`, the view,
    the reader's language and zone, the release of its templates, translations and the
    code that writes markup beside them, `etags.CODE_MODULES`), so
    two readers share a copy only when their copies would be the same, and any change to
    the post, to what the reader may do with it or to its reactions makes a new key.
    A removed post shown to a moderator carries their CSRF token: never cached.
    """
    release = etags.release(POST_TEMPLATES, ())
    reader = (translation.get_language(), timezone.get_current_timezone_name(), view, release)
    keys: dict[int, str] = {}
    for post in posts:
        if not (post.status == "removed" and post.may.moderate):
            digest = hashlib.blake2b(repr((reader, _post_data(post))).encode(), digest_size=20)
            keys[post.pk] = "post-html:" + digest.hexdigest()
    cached = cache.get_many(list(keys.values())) if keys else {}
    missing = [post for post in posts if keys.get(post.pk) not in cached]
    prepare_posts(missing)
    template = get_template("forum/_post.html")
    fresh = {}
    for post in posts:
        key = keys.get(post.pk)
        if key in cached:
            post.html = mark_safe(cached[key])  # noqa: S308 (rendered by our template)
            continue
        context = {"post": post, "view": view, "max_depth": 6}
        if key is None:
            context["csrf_token"] = get_token(request)
        post.html = template.render(context)
        if key is not None:
            fresh[key] = str(post.html)
    if fresh:
        cache.set_many(fresh, POST_CACHE_SECONDS)


def _has_unread(thread: Thread) -> bool:
    """Whether the member opened the thread before and something came after their read
    mark (never opened: it all is new, and the page opens at the start)."""
    return thread.read_at is not None and thread.read_at < thread.last_activity_at


def _first_unread(thread: Thread, posts: QuerySet[Post]) -> Post | None:
    """The first of `posts` (by number) that came after the member's read mark."""
    return (
        posts.filter(created_at__gt=thread.read_at)
        .select_related(None)
        .order_by("number")
        .only("number", "path")
        .first()
    )


def _page_of(posts: QuerySet[Post], post: Post, view: str) -> int:
    """The page of `posts` (in `view`'s order) that shows `post`."""
    if view == "flat":
        before = posts.filter(number__lt=post.number)
    else:
        before = posts.filter(path__lt=post.path)
    return before.order_by().count() // POSTS_PER_PAGE + 1


def _with_page_state(threads: QuerySet[Thread], member) -> QuerySet[Thread]:
    """The group's live position, the member's watch state (None: not watching) and
    read mark, in the thread's own query."""
    muted = Watch.objects.filter(thread=OuterRef("pk"), member=member).values("muted")[:1]
    read_at = ThreadRead.objects.filter(thread=OuterRef("pk"), member=member).values("read_at")
    return events.with_group_seq(threads).annotate(
        watch_muted=Subquery(muted), read_at=Subquery(read_at[:1])
    )


@login_required
@gzip_page
def thread_detail(request: HttpRequest, pk: int, slug: str | None = None) -> HttpResponse:
    """The thread page. Showing it writes nothing (the browser reports what it showed
    to `thread_seen`), and a repeated request for an unchanged page answers 304."""
    member = request.user
    thread = visibility.get_thread_for_page_or_404(member, pk, refine=_with_page_state)
    view = request.GET.get("view")
    if view in ("tree", "flat"):
        actions.set_thread_view(member=member, view=view)  # an explicit choice, remembered
    view = member.thread_view
    group = thread.group
    moderator = visibility.can_moderate(member, group)
    role = visibility.role_in(member, group)
    wanted = request.GET.get("page")
    first_unread = None
    if _has_unread(thread):  # the usual second visit has nothing new: no query
        posts = _visible_posts(member, thread, moderator, view)
        first_unread = _first_unread(thread, posts)
        if wanted is None and first_unread is not None:
            # Open where the member stopped reading (the group list links to #new).
            wanted = str(_page_of(posts, first_unread, view))
    page = _posts_page(member, thread, moderator, view, wanted)
    decisions = visibility.post_decisions(member, thread, page)
    for post in page:
        post.may = decisions[post.pk]
    _review_notes(member, page)
    add_files(member, page)

    shown = selectors.reactions_and_bookmarks(member, [post.pk for post in page])
    for post in page:
        post.shown_reactions, post.bookmarked = (
            shown.reactions.get(post.pk, []),
            post.pk in shown.bookmarks,
        )
    nav_groups = navigation.nav_groups(member)
    context = {
        "thread": thread,
        "group": group,
        "page": page,
        "view": view,
        "role": role,
        "moderator": moderator,
        "tags": list(thread.tags.all()),
        "can_reply": visibility.can_reply(member, thread, role=role),
        "reply_form": ReplyForm(),
        "stream_seq": thread.stream_seq or 0,
        "seen_up_to": max((post.number for post in page), default=0),
        "first_unread": first_unread and first_unread.number,
        "reaction_choices": REACTIONS,
        # The header's groups and unread count, loaded here once for the ETag too.
        "nav_groups": nav_groups,
        "inbox_unread": inbox_selectors.unread_count(member),
        "theme": page_theme(request),
    }
    if moderator:
        context["slow_mode_choices"] = SLOW_MODE_CHOICES
        context["move_groups"] = [g for g in nav_groups if g.pk != group.pk]
        context["country_choices"] = country_choices()
        context["country_tags"] = {t.name for t in context["tags"] if t.kind == "country"}
    etag = etags.page_etag(
        request, templates=PAGE_TEMPLATES, assets=PAGE_ASSETS, data=_page_data(context)
    )
    if (response := etags.not_modified(request, etag)) is not None:
        return response
    render_posts(request, page, view)
    return etags.mark(render(request, "forum/thread.html", context), etag)


@login_required
@require_POST
def thread_seen(request: HttpRequest, pk: int) -> HttpResponse:
    """The browser showed the member posts up to `number`: move their read mark.

    Scripts get 204; the page's button (JavaScript off) sends `back` and returns to the
    group's list.
    """
    thread = visibility.get_thread_for_page_or_404(request.user, pk)
    number = request.POST.get("number", "")
    if not (number.isascii() and number.isdigit() and len(number) <= 9 and int(number) >= 1):
        return HttpResponseBadRequest(_("Which post was seen?"))
    reading.mark_seen(member=request.user, thread=thread, number=int(number))
    if request.POST.get("back"):
        return redirect("group", slug=thread.group.slug)
    return HttpResponse(status=204)


@login_required
def post_redirect(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    """Send a link to one post to the page of its thread that shows it."""
    post = visibility.get_post_or_404(request.user, pk)
    moderator = visibility.can_moderate(request.user, post.thread.group)
    visible = visibility.visible_posts(request.user, post.thread, moderator=moderator)
    if request.user.thread_view == "flat":
        before = visible.filter(number__lt=post.number).count()
    else:
        before = visible.filter(path__lt=post.path).count()
    page = before // POSTS_PER_PAGE + 1
    url = post.thread.get_absolute_url()
    return redirect(f"{url}?page={page}#p{post.number}" if page > 1 else f"{url}#p{post.number}")


@login_required
@require_http_methods(["GET", "POST"])
def reply_to_thread(request: HttpRequest, pk: int) -> HttpResponse:
    """A reply to the thread as a whole: it answers the opening post."""
    thread = visibility.get_thread_or_404(request.user, pk)
    opening = thread.posts.filter(parent__isnull=True).values_list("pk", flat=True).first()
    return reply_to_post(request, opening)


@login_required
@require_http_methods(["GET", "POST"])
def reply_to_post(request: HttpRequest, pk: int) -> HttpResponse:
    parent = visibility.get_post_or_404(request.user, pk)
    thread = parent.thread
    initial = {}
    if request.GET.get("quote") and parent.status != "removed":
        initial["body"] = actions.quote_source(parent)
    form = ReplyForm(request.POST or None, initial=initial)
    uploads = Uploads(request)
    if request.method == "POST" and form.is_valid() and uploads.is_valid(form):
        try:
            post = uploads.save_with(
                lambda: actions.reply(
                    author=request.user, parent=parent, body=form.cleaned_data["body"]
                )
            )
        except (ValidationError, PermissionDenied) as error:
            _apply_errors(form, error)
        else:
            reading.discard_draft(member=request.user, key=f"reply:{thread.pk}")
            _say_if_waiting(request, post)
            return redirect("post", pk=post.pk)
    return render(
        request,
        "forum/reply.html",
        {
            "thread": thread,
            "group": thread.group,
            "parent": parent,
            "form": form,
            "uploads": uploads,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_post(request: HttpRequest, pk: int) -> HttpResponse:
    post = visibility.get_post_or_404(request.user, pk)
    if not visibility.can_edit_post(request.user, post):
        raise Http404("No such post.")
    if (
        post.author_id != request.user.pk
        and (response := redirect_to_mfa_setup(request)) is not None
    ):
        return response
    form = EditPostForm(
        request.POST or None,
        with_title=post.is_opening,
        initial={"title": post.thread.title, "body": post.body_source},
    )
    uploads = Uploads(request, owner=post)
    if request.method == "POST" and form.is_valid() and uploads.is_valid(form):
        try:
            # The files follow the edit: on the post at once, or on the review with the text.
            actions.edit_post(
                editor=request.user,
                post=post,
                body=form.cleaned_data["body"],
                title=form.cleaned_data.get("title"),
                add_files=uploads.pending,
                drop_files=uploads.detach,
            )
        except (ValidationError, PermissionDenied) as error:
            _apply_errors(form, error)
        else:
            if Review.objects.filter(
                post=post, kind=Review.Kind.EDIT, state=Review.State.OPEN
            ).exists():
                messages.info(
                    request,
                    _(
                        "Your edit is waiting for review. Readers see the approved text "
                        "until a moderator approves the change."
                    ),
                )
            else:
                post.refresh_from_db(fields=["status"])
                if not _say_if_waiting(request, post):
                    messages.success(request, _("Your changes were saved."))
            return redirect("post", pk=post.pk)
    return render(
        request,
        "forum/post_edit.html",
        {"post": post, "thread": post.thread, "form": form, "uploads": uploads},
    )


@login_required
def post_history(request: HttpRequest, pk: int) -> HttpResponse:
    post = visibility.get_post_or_404(request.user, pk)
    if not visibility.can_view_revisions(request.user, post):
        raise Http404("No such post.")
    return render(
        request,
        "forum/post_history.html",
        {
            "post": post,
            "thread": post.thread,
            "revisions": post.revisions.select_related("editor"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def remove_post(request: HttpRequest, pk: int) -> HttpResponse:
    post = visibility.get_post_or_404(request.user, pk)
    if (response := _moderation_gate(request, post.thread.group)) is not None:
        return response
    form = RemovePostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.remove_post(
                moderator=request.user, post=post, reason=form.cleaned_data["reason"]
            )
        except (ValidationError, PermissionDenied) as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("The post was removed."))
            return redirect("post", pk=post.pk)
    return render(
        request, "forum/post_remove.html", {"post": post, "thread": post.thread, "form": form}
    )


@login_required
@require_POST
def restore_post(request: HttpRequest, pk: int) -> HttpResponse:
    post = visibility.get_post_or_404(request.user, pk)
    if (response := _moderation_gate(request, post.thread.group)) is not None:
        return response
    actions.restore_post(moderator=request.user, post=post)
    messages.success(request, _("The post was restored."))
    return redirect("post", pk=post.pk)


@login_required
@require_POST
def moderate_thread(request: HttpRequest, pk: int) -> HttpResponse:
    """Pin, unpin, lock, unlock, move or retag a thread."""
    thread = visibility.get_thread_or_404(request.user, pk)
    if (response := _moderation_gate(request, thread.group)) is not None:
        return response
    action = request.POST.get("action")
    try:
        if action in ("pin", "unpin"):
            actions.set_pinned(moderator=request.user, thread=thread, pinned=action == "pin")
        elif action in ("lock", "unlock"):
            actions.set_locked(moderator=request.user, thread=thread, locked=action == "lock")
        elif action == "move":
            target = visibility.get_group_or_404(request.user, request.POST.get("group", ""))
            actions.move_thread(moderator=request.user, thread=thread, group=target)
        elif action == "slow_mode":
            seconds = request.POST.get("seconds", "")
            set_slow_mode(
                moderator=request.user,
                thread=thread,
                seconds=int(seconds) if seconds.isascii() and seconds.isdigit() else -1,
            )
        elif action == "tags":
            form = TagsForm(request.POST)
            if not form.is_valid():
                raise ValidationError(next(iter(form.errors.values())))
            actions.set_tags(
                moderator=request.user,
                thread=thread,
                topics=form.cleaned_data["topics"].split(","),
                countries=form.cleaned_data["country_tags"],
            )
        else:
            raise ValidationError(_("Unknown action."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The thread was updated."))
    return redirect(thread.get_absolute_url())
