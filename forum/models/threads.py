"""Threads, their audience, posts in a tree, revisions, tags, read marks and mentions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from forum.models.groups import WorkingGroup

# Replies deeper than this show at this depth, with an "in reply to" link.
MAX_DEPTH = 6
# Width of one path segment: a thread holds at most 10**PATH_DIGITS - 1 posts.
PATH_DIGITS = 6


class Audience(models.TextChoices):
    GROUP = "group", _("Everyone in the working group")
    COUNTRIES = "countries", _("Members in selected countries")
    DOMESTIC = "domestic", _("Members in my country only")


class Tag(models.Model):
    """A topic tag chosen by a group's moderators, or a country tag (ISO code)."""

    class Kind(models.TextChoices):
        TOPIC = "topic", _("topic")
        COUNTRY = "country", _("country")

    group = models.ForeignKey(
        WorkingGroup,
        verbose_name=_("working group"),
        on_delete=models.CASCADE,
        related_name="tags",
        null=True,
        blank=True,
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TOPIC)
    name = models.CharField(_("name"), max_length=40)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [
            models.UniqueConstraint(fields=["group", "kind", "name"], name="tag_unique_per_group"),
            # Country tags belong to no group, and NULLs never collide in the above.
            models.UniqueConstraint(
                fields=["kind", "name"],
                condition=models.Q(group__isnull=True),
                name="tag_unique_shared",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Thread(models.Model):
    group = models.ForeignKey(
        WorkingGroup,
        verbose_name=_("working group"),
        on_delete=models.PROTECT,
        related_name="threads",
    )
    title = models.CharField(_("title"), max_length=200)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="threads",
    )
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.GROUP
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    reply_count = models.PositiveIntegerField(_("replies"), default=0)
    # Every post ever written here, any status: the source of post numbers.
    post_counter = models.PositiveIntegerField(default=0)
    pinned = models.BooleanField(_("pinned"), default=False)
    locked = models.BooleanField(_("locked"), default=False)
    # Slow mode: each member (moderators excepted) posts here at most once per interval.
    slow_mode_seconds = models.PositiveIntegerField(_("slow mode (seconds)"), default=0)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="threads")

    class Meta:
        ordering = ["-pinned", "-last_activity_at"]
        verbose_name = _("thread")
        verbose_name_plural = _("threads")
        indexes = [
            models.Index(fields=["group", "-pinned", "-last_activity_at"], name="thread_listing"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        slug = slugify(self.title, allow_unicode=True)[:60]
        if slug:
            return reverse("thread_slug", kwargs={"pk": self.pk, "slug": slug})
        return reverse("thread", kwargs={"pk": self.pk})


class AudienceCountry(models.Model):
    """One country a thread is addressed to (domestic and selected-country threads)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="countries")
    country = CountryField()

    class Meta:
        verbose_name = _("audience country")
        verbose_name_plural = _("audience countries")
        constraints = [
            models.UniqueConstraint(fields=["thread", "country"], name="audience_country_once"),
        ]
        indexes = [models.Index(fields=["country", "thread"], name="audience_by_country")]

    def __str__(self) -> str:
        return str(self.country)


class PostStatus(models.TextChoices):
    PUBLISHED = "published", _("published")
    PENDING = "pending", _("waiting for review")
    REJECTED = "rejected", _("rejected")
    REMOVED = "removed", _("removed")


class Post(models.Model):
    thread = models.ForeignKey(
        Thread, verbose_name=_("thread"), on_delete=models.CASCADE, related_name="posts"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="posts",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("in reply to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replies",
    )
    number = models.PositiveIntegerField(_("number"))
    # Depth as shown (capped at MAX_DEPTH) and the materialized path that orders the tree.
    depth = models.PositiveSmallIntegerField(default=0)
    path = models.CharField(max_length=PATH_DIGITS * (MAX_DEPTH + 1))
    status = models.CharField(
        _("status"), max_length=10, choices=PostStatus.choices, default=PostStatus.PUBLISHED
    )
    body_source = models.TextField(_("text"))
    body_html = models.TextField()
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    removed_reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["thread", "path"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            models.UniqueConstraint(fields=["thread", "number"], name="post_number_per_thread"),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in PostStatus]),
                name="post_status_known",
            ),
        ]
        indexes = [
            models.Index(fields=["thread", "path"], name="post_tree_order"),
            models.Index(fields=["thread", "number"], name="post_flat_order"),
            models.Index(fields=["author", "-created_at"], name="post_by_author"),
            # A thread's opening post: the visibility rule checks it for every thread.
            models.Index(
                fields=["thread"], condition=models.Q(parent__isnull=True), name="post_opening"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.thread} #{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("post", kwargs={"pk": self.pk})

    @property
    def is_opening(self) -> bool:
        return self.parent_id is None


class PostRevision(models.Model):
    """The text a post had before an edit."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    edited_at = models.DateTimeField(default=timezone.now)
    title = models.CharField(max_length=200, blank=True)
    body_source = models.TextField()
    body_html = models.TextField()

    class Meta:
        ordering = ["-edited_at", "-pk"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")

    def __str__(self) -> str:
        return f"{self.post} @ {self.edited_at:%Y-%m-%d %H:%M}"


class Mention(models.Model):
    """A member named with @handle in a post, who could see the thread when it was written."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="mentions")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "member"], name="mention_once_per_post"),
        ]

    def __str__(self) -> str:
        return f"{self.member} in {self.post}"


class ThreadRead(models.Model):
    """When a member last read a thread, for unread markers."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reads"
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "thread"], name="one_read_mark"),
        ]

    def __str__(self) -> str:
        return f"{self.member} read {self.thread}"
