"""Turn members' Markdown into stored HTML, and stored HTML back into plain text.

This is the only module that knows the HTML allowlist. Everything that ends up in a
page as member-written HTML has passed through `sanitize_html` here; Markdown is only a
convenience on top, so the sanitizer, not the Markdown parser, is the security boundary.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import unquote

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

if TYPE_CHECKING:
    from markdown_it.renderer import RendererHTML
    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token
    from markdown_it.utils import EnvType, OptionsDict

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p",
        "br",
        "em",
        "strong",
        "del",
        "s",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "a",
    }
)

# "*" is set explicitly because nh3 otherwise allows `lang` and `title` on every tag.
# `rel` must not be listed: nh3 owns it through LINK_REL. `class` on <code> is narrowed
# to one `language-*` name by _keep_attribute, so a client-side highlighter can use it.
ALLOWED_ATTRIBUTES: Mapping[str, frozenset[str]] = {
    "*": frozenset(),
    "a": frozenset({"href"}),
    "ol": frozenset({"start"}),
    "code": frozenset({"class"}),
}

URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

# Dropped together with their content; every other unknown tag is unwrapped to its text.
_CLEAN_CONTENT_TAGS = frozenset({"script", "style"})

_CODE_LANGUAGE = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")
_URL_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*", re.IGNORECASE)


def _visible(text: str) -> str:
    """Return `text` without Unicode "other" (controls, format...) and separator characters."""
    return "".join(char for char in text if unicodedata.category(char)[0] not in "CZ")


def _link_scheme_allowed(url: str) -> bool:
    """Return whether `url` is relative or uses one of URL_SCHEMES, read leniently."""
    # nh3 lets "\u2028javascript:" or "\x01java\x03script:" through as relative
    # URLs. Current browsers agree, but older or non-browser consumers of the HTML
    # (mail clients, feed readers) may skip such characters, so the scheme is judged
    # as if they, and any percent-encoding, were not there.
    head, colon, _rest = unquote(url).partition(":")
    if not colon:
        return True
    scheme = _visible(head)
    if not _URL_SCHEME.fullmatch(scheme):
        return True  # "/a:b", "?q=x:y", "#x:y": the colon is not a scheme's.
    return scheme.lower() in URL_SCHEMES


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Return the attribute value to keep, or None to drop the attribute."""
    if attribute == "href":
        return value if _link_scheme_allowed(value) else None
    if attribute == "class":
        # Only markdown-it's single fence-language class survives, never arbitrary
        # classes that could borrow the site's own styling.
        return value if tag == "code" and _CODE_LANGUAGE.fullmatch(value) else None
    return value


# Built once: nh3 compiles the options into a reusable Rust sanitizer. An exception in
# _keep_attribute strips the attribute (nh3 reports it to sys.unraisablehook), so a bug
# there fails closed.
_SANITIZER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(_CLEAN_CONTENT_TAGS),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    attribute_filter=_keep_attribute,
    strip_comments=True,
    link_rel=LINK_REL,
    url_schemes=set(URL_SCHEMES),
)
_TEXT_ONLY = nh3.Cleaner(tags=set(), clean_content_tags=set(_CLEAN_CONTENT_TAGS))


def sanitize_html(html_fragment: str) -> str:
    """Return `html_fragment` reduced to the forum's tag, attribute and URL allowlist."""
    return _SANITIZER.clean(html_fragment)


def _image_as_alt_text(
    self: RendererHTML,
    tokens: Sequence[Token],
    idx: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    """Render `![alt](url)` as its alt text: the forum does not embed remote images."""
    children = tokens[idx].children or []
    return escapeHtml(self.renderInlineAsText(children, options, env))


# Same as markdown-it-py's rule: the scheme-looking word right before "://".
_SCHEME_AT_END = re.compile(r"(?:^|[^a-z0-9.+-])([a-z][a-z0-9.+-]*)$", re.IGNORECASE)
# Longer than any scheme linkify-it recognises ("https", "ftp", "mailto", ...).
_SCHEME_WINDOW = 32


def _linkify_bare_url(state: StateInline, silent: bool) -> bool:
    """Link a bare URL whose "://" starts at `state.pos`.

    A copy of markdown-it-py's inline `linkify` rule except for where it looks for
    the scheme: upstream searches the whole pending text before every "://", which
    is quadratic ("http:// " * 6000 takes seconds). Only the pending text's tail can
    hold a scheme linkify-it knows, so only the tail is searched.
    """
    if not state.md.options.linkify or state.linkLevel > 0:
        return False

    pos = state.pos
    if pos + 3 > state.posMax or state.src[pos : pos + 3] != "://":
        return False

    tail = state.pending[-_SCHEME_WINDOW:]
    match = _SCHEME_AT_END.search(tail)
    if match is None:
        return False
    if match.start(1) == 0 and len(state.pending) > len(tail):
        # The word may run on past the window: too long to be a scheme linkify knows.
        return False

    proto = match.group(1)
    link = state.md.linkify.match_at_start(state.src[pos - len(proto) :])
    if not link:
        return False

    # A trailing "*" belongs to emphasis, not to the URL.
    url: str = link.url.rstrip("*")
    full_url = state.md.normalizeLink(url)
    if not state.md.validateLink(full_url):
        return False

    if not silent:
        state.pending = state.pending[: -len(proto)]

        token = state.push("link_open", "a", 1)
        token.attrs = {"href": full_url}
        token.markup = "linkify"
        token.info = "auto"

        token = state.push("text", "", 0)
        token.content = state.md.normalizeLinkText(url)

        token = state.push("link_close", "a", -1)
        token.markup = "linkify"
        token.info = "auto"

    state.pos += len(url) - len(proto)
    return True


HANDLE_PATTERN = r"[A-Za-z0-9_-]{1,40}"
_MENTION = re.compile(rf"(?<![\w@])@({HANDLE_PATTERN})(?![\w-])")
_HANDLE_AT_START = re.compile(rf"({HANDLE_PATTERN})(?![\w-])")


def mentioned_handles(source: str) -> set[str]:
    """Return the lower-cased @handles that `source` might mention (code included)."""
    return {handle.lower() for handle in _MENTION.findall(source)}


def _mention(state: StateInline, silent: bool) -> bool:
    """Link `@handle` when the caller's `mentions` map knows the handle; else leave text."""
    links: Mapping[str, str] | None = state.env.get("mentions")
    pos = state.pos
    if not links or state.src[pos] != "@" or state.linkLevel > 0:
        return False
    if pos > 0 and (state.src[pos - 1].isalnum() or state.src[pos - 1] in "_@-"):
        return False  # part of an address or a word, not a mention
    match = _HANDLE_AT_START.match(state.src, pos + 1)
    if match is None:
        return False
    url = links.get(match.group(1).lower())
    if url is None:
        return False
    if not silent:
        token = state.push("link_open", "a", 1)
        token.attrs = {"href": url}
        token = state.push("text", "", 0)
        token.content = "@" + match.group(1)
        state.push("link_close", "a", -1)
    state.pos = match.end()
    return True


@cache
def _markdown() -> MarkdownIt:
    # Raw HTML stays off: members write Markdown, and "<b>" in a post is shown as text.
    # The commonmark preset caps nesting at 20 levels; deeper blocks are cut off,
    # which keeps "> > > ..." bombs cheap.
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    md.enable(["table", "strikethrough", "linkify"])
    md.inline.ruler.at("linkify", _linkify_bare_url)
    md.inline.ruler.before("link", "mention", _mention)
    upstream_validate_link = md.validateLink

    def validate_link(url: str) -> bool:
        # Refusing what the sanitizer would strip leaves [x](ftp://...) as visible
        # text, as markdown-it does for javascript:, rather than an <a> without href.
        return upstream_validate_link(url) and _link_scheme_allowed(url)

    md.validateLink = validate_link
    md.add_render_rule("image", _image_as_alt_text)
    return md


def render_markdown(source: str, *, mentions: Mapping[str, str] | None = None) -> str:
    """Render a member's Markdown `source` to the sanitized HTML that gets stored.

    CommonMark plus tables, ~~strikethrough~~ and bare-URL links. Raw HTML in the
    source is shown as text, images are shown as their alt text, and the result has
    been through `sanitize_html`, so `sanitize_html(render_markdown(s))` changes nothing.
    `mentions` maps lower-cased handles to profile URLs: those @handles become links,
    any other stays plain text (the caller decides who may be linked).
    """
    env = {"mentions": {k.lower(): v for k, v in (mentions or {}).items()}}
    return sanitize_html(_markdown().render(source, env))


def plain_text(html_fragment: str, limit: int | None = None) -> str:
    """Return the text of stored HTML with whitespace collapsed, cut to `limit` characters.

    A cut text ends in "…" and fits in `limit` characters including it; the cut
    falls between words unless the first word alone is too long. Words in adjacent
    blocks stay apart thanks to the newlines `render_markdown` puts between blocks;
    hand-written "<p>a</p><p>b</p>" would come out as "ab".
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    text = " ".join(html.unescape(_TEXT_ONLY.clean(html_fragment)).split())
    if limit is None or len(text) <= limit:
        return text

    cut = text[: limit - 1]
    if not text[limit - 1].isspace():
        # The cut lands inside a word: drop the partial word if another word precedes it.
        last_space = cut.rfind(" ")
        if last_space > 0:
            cut = cut[:last_space]
    return cut.rstrip() + "…"
