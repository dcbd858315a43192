"""Markdown rendering and HTML sanitizing: what members may write and what reaches a page."""

from __future__ import annotations

import html
import json
import os
import re
import sys
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

from forum.rendering import plain_text, render_markdown, sanitize_html

REL = "nofollow ugc noopener"

# What the sanitizer may let through, written out independently of forum.rendering.
PERMITTED_TAGS = {
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
PERMITTED_ATTRIBUTES = {"a": {"href", "rel"}, "ol": {"start"}, "code": {"class"}}

FORBIDDEN_TAGS = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "form",
    "svg",
    "math",
    "base",
    "meta",
    "link",
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href"}
FORBIDDEN_SCHEMES = ("javascript:", "data:", "vbscript:")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\s]+")


class TagCollector(HTMLParser):
    """Collect every start and end tag, with attributes, that a browser would see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.start_tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.end_tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.start_tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.start_tags.append((tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        self.end_tags.append(tag)


def parse(fragment: str) -> TagCollector:
    collector = TagCollector()
    collector.feed(fragment)
    collector.close()
    return collector


def normalized_url(value: str) -> str:
    """Return `value` the way a lenient browser reads a URL's scheme."""
    return _INVISIBLE.sub("", html.unescape(value)).lower()


def hrefs(fragment: str) -> list[str]:
    return [
        value or ""
        for _tag, attrs in parse(fragment).start_tags
        for name, value in attrs
        if name == "href"
    ]


def unsafe_parts(output: str) -> list[str]:
    """Return a description of everything unsafe in sanitized `output`; empty if safe."""
    found = []
    collector = parse(output)
    for tag in collector.end_tags:
        if tag in FORBIDDEN_TAGS or tag not in PERMITTED_TAGS:
            found.append(f"</{tag}>")
    for tag, attrs in collector.start_tags:
        if tag in FORBIDDEN_TAGS or tag not in PERMITTED_TAGS:
            found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                found.append(f"<{tag} {name}>: event handler")
            elif name == "style":
                found.append(f"<{tag} style>")
            elif name in URL_ATTRIBUTES and normalized_url(value or "").startswith(
                FORBIDDEN_SCHEMES
            ):
                found.append(f"<{tag} {name}={value!r}>: forbidden scheme")
            elif name not in PERMITTED_ATTRIBUTES.get(tag, set()):
                found.append(f"<{tag} {name}>: attribute not in the allowlist")
    if sanitize_html(output) != output:
        found.append("a second sanitize_html pass changes the output")
    return found


# --- Markdown features -----------------------------------------------------------------


def test_emphasis_and_strong_render_as_em_and_strong():
    assert render_markdown("*soft* and **loud**") == (
        "<p><em>soft</em> and <strong>loud</strong></p>\n"
    )


def test_strikethrough_renders_as_s():
    assert render_markdown("~~withdrawn~~ proposal") == "<p><s>withdrawn</s> proposal</p>\n"


def test_tables_render_without_alignment_styles():
    output = render_markdown("| item | votes |\n|:-----|------:|\n| yes | 3 |\n")
    assert "<table>" in output
    assert "<th>item</th>" in output
    assert "<td>3</td>" in output
    assert "style" not in output


def test_bare_urls_become_links():
    output = render_markdown(
        "Minutes at https://example.org/minutes?y=2026&m=1 and www.example.com"
    )
    assert hrefs(output) == ["https://example.org/minutes?y=2026&m=1", "http://www.example.com"]
    assert f'rel="{REL}"' in output


def test_bare_url_after_other_text_is_linked_whole():
    output = render_markdown("See http://example.org/foo._bar_-_baz today")
    assert hrefs(output) == ["http://example.org/foo._bar_-_baz"]


def test_scheme_glued_to_a_word_is_not_linked():
    assert hrefs(render_markdown("xhttp://example.org")) == []
    assert hrefs(render_markdown("a" * 40 + "http://example.org")) == []


def test_fenced_code_keeps_its_content_escaped_and_its_language_class():
    output = render_markdown('```python\nprint("<b>&amp;</b>")\n```\n')
    assert output == (
        '<pre><code class="language-python">print("&lt;b&gt;&amp;amp;&lt;/b&gt;")\n</code></pre>\n'
    )


def test_fence_language_with_markup_characters_loses_its_class():
    output = render_markdown('```py"><script>\nx\n```\n')
    assert output == "<pre><code>x\n</code></pre>\n"


def test_blockquote_renders_as_blockquote():
    assert render_markdown("> quoted\n\nreply") == (
        "<blockquote>\n<p>quoted</p>\n</blockquote>\n<p>reply</p>\n"
    )


def test_lists_and_headings_render():
    output = render_markdown("## Agenda\n\n3. budget\n4. travel\n\n- tea\n- coffee\n")
    assert "<h2>Agenda</h2>" in output
    assert '<ol start="3">' in output
    assert "<ul>\n<li>tea</li>" in output


def test_raw_html_block_in_source_is_shown_as_escaped_text():
    output = render_markdown("<script>alert(1)</script>")
    assert output == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"


def test_inline_raw_html_in_source_is_shown_as_escaped_text():
    output = render_markdown('Hello <b onclick="x()">there</b>')
    assert output == '<p>Hello &lt;b onclick="x()"&gt;there&lt;/b&gt;</p>\n'


def test_images_render_as_their_alt_text():
    output = render_markdown('![chart of <votes> *by* country](https://example.org/c.png "t")')
    assert output == "<p>chart of &lt;votes&gt; by country</p>\n"


@pytest.mark.parametrize(
    "text",
    # Real punctuation on purpose: full-width colon, typographic apostrophe.
    [
        "工作组会议纪要：请在周五之前提交意见。",
        "اجتماع الفريق العامل يوم الخميس، يرجى مراجعة المسودة.",
        "Réunion du groupe de travail : ordre du jour révisé, « à valider » d’ici là.",
    ],
    ids=["chinese", "arabic", "french"],
)
def test_non_latin_text_passes_through_intact(text):
    output = render_markdown(text)
    assert output == f"<p>{text}</p>\n"
    assert plain_text(output) == text


# --- Link rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/a",
        "https://example.org/a?b=c#d",
        "mailto:chair@example.org",
        "/groups/budget/",
        "../minutes/3",
        "#section-2",
    ],
)
def test_allowed_links_are_kept_with_nofollow_ugc_noopener(url):
    assert render_markdown(f"[link]({url})") == (f'<p><a href="{url}" rel="{REL}">link</a></p>\n')
    assert sanitize_html(f'<a href="{url}">link</a>') == f'<a href="{url}" rel="{REL}">link</a>'


def test_existing_rel_and_target_on_links_are_replaced():
    output = sanitize_html('<a href="/x" rel="opener" target="_blank">x</a>')
    assert output == f'<a href="/x" rel="{REL}">x</a>'


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "java&#x09;script:alert(1)",
        "java&#10;script:alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)",
        "javascript&colon;alert(1)",
        "\x01javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "DATA:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "ftp://example.org/file",
    ],
)
def test_javascript_data_vbscript_and_other_scheme_links_are_dropped(href):
    assert hrefs(sanitize_html(f'<a href="{href}">x</a>')) == []
    assert hrefs(render_markdown(f"[x]({href})")) == []
    assert hrefs(render_markdown(f"[x](<{href}>)")) == []


def test_a_dropped_link_keeps_its_text():
    assert sanitize_html('<a href="javascript:alert(1)">minutes</a>') == (
        f'<a rel="{REL}">minutes</a>'
    )


def test_event_style_and_class_attributes_are_dropped():
    output = sanitize_html(
        '<p onclick="x()" style="color:red" class="btn" title="t" lang="fr" id="p1">hi</p>'
    )
    assert output == "<p>hi</p>"


def test_forbidden_tags_are_removed_and_script_content_with_them():
    output = sanitize_html(
        "<script>alert(1)</script><style>p{}</style><iframe src=x></iframe>"
        "<img src=x onerror=alert(1)><form><input></form><p>kept</p>"
    )
    assert output == "<p>kept</p>"


# --- Idempotence -----------------------------------------------------------------------

IDEMPOTENCE_SAMPLES = [
    "plain words",
    "*a* **b** ~~c~~ `d < e & f`",
    "| a | b |\n|---|:-:|\n| 1 & 2 | <3> |\n",
    "```js\nif (a < b && c > d) { alert('\"x\"') }\n```",
    "> quote\n> > nested\n\n1. one\n2. two\n   - three",
    "https://example.org/?q=a&r=<b> and mailto:x@example.org and www.example.com.",
    "[x](javascript:alert(1)) [y](/ok 'title') <https://example.org>",
    '<a href="javascript:alert(1)">raw</a> &amp; &lt; &#60; &nbsp; &copy;',
    "line one  \nline two\\\nline three",
    "# h1\n\n###### h6\n\n---\n\n工作组 · اجتماع · réunion",
    "![img](https://example.org/a.png) **[bold link](https://example.org)**",
]


@pytest.mark.parametrize("source", IDEMPOTENCE_SAMPLES)
def test_rendered_output_is_unchanged_by_a_second_sanitizing_pass(source):
    output = render_markdown(source)
    assert sanitize_html(output) == output


# --- XSS corpus ------------------------------------------------------------------------

CORPUS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "xss-corpus"
H5SC_VECTOR = re.compile(r'<div id="(\d+)">(.*?)//\["\'`-->\]\]>\]</div>', re.DOTALL)


def corpus_dir() -> Path:
    if not CORPUS_DIR.is_dir():
        reason = f"xss corpus not found at {CORPUS_DIR}"
        # On a laptop the corpus checkout is optional; in CI its absence is a failure.
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: the corpus is required)")
        pytest.skip(reason)
    return CORPUS_DIR


def json_field(filename: str, field: str) -> Callable[[Path], list[str]]:
    def load(directory: Path) -> list[str]:
        entries = json.loads((directory / filename).read_text(encoding="utf-8"))
        return [entry[field] for entry in entries]

    return load


def h5sc_payload_templates(directory: Path) -> list[str]:
    templates = json.loads((directory / "h5sc_payloads.json").read_text(encoding="utf-8"))
    return list(templates.values())


def h5sc_text_vectors(directory: Path) -> list[str]:
    text = (directory / "h5sc_vectors.txt").read_text(encoding="utf-8")
    found = H5SC_VECTOR.findall(text)
    # Every vector must be found, in order, or a splitting mistake would hide some.
    assert [int(number) for number, _vector in found] == list(range(1, len(found) + 1))
    assert len(found) == text.count("//[\"'`-->]]>]</div>")
    return [vector for _number, vector in found]


CORPUS_FILES: dict[str, Callable[[Path], list[str]]] = {
    "bleach_tests_data.json": json_field("bleach_tests_data.json", "input"),
    "dompurify_expect.json": json_field("dompurify_expect.json", "payload"),
    "h5sc_vectors_expanded.json": json_field("h5sc_vectors_expanded.json", "payload"),
    "h5sc_items.json": json_field("h5sc_items.json", "data"),
    "h5sc_payloads.json": h5sc_payload_templates,
    "h5sc_vectors.txt": h5sc_text_vectors,
    "owasp_xss_filter_evasion_vectors.json": json_field(
        "owasp_xss_filter_evasion_vectors.json", "payload"
    ),
}


@pytest.mark.parametrize("filename", CORPUS_FILES)
def test_xss_corpus_vectors_come_out_harmless(filename):
    vectors = CORPUS_FILES[filename](corpus_dir())
    assert vectors, f"no vectors read from {filename}"
    offenders = []
    for index, vector in enumerate(vectors):
        # Through Markdown (what members submit) and straight into the sanitizer
        # (as if raw HTML had reached it), since the sanitizer is the real defence.
        for step in (render_markdown, sanitize_html):
            for problem in unsafe_parts(step(vector)):
                offenders.append(f"{filename}[{index}] {step.__name__}: {problem}: {vector!r}")
    assert offenders == []


def test_xss_corpus_holds_at_least_490_vectors():
    directory = corpus_dir()
    assert sum(len(load(directory)) for load in CORPUS_FILES.values()) >= 490


def test_missing_corpus_skips_locally_and_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(sys.modules[__name__], "CORPUS_DIR", tmp_path / "absent")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="xss corpus not found at"):
        corpus_dir()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="xss corpus not found at"):
        corpus_dir()


def test_unsafe_parts_spots_what_the_corpus_test_looks_for():
    # The corpus test passing means nothing unless its checker can fail.
    assert unsafe_parts(
        '<p onmouseover="x()" style="a">'
        '<a href=" JAVA&#x0A;script:alert(1)">x</a>'
        "<svg></svg><script></script></p>"
    ) == [
        "</svg>",
        "</script>",
        "<p onmouseover>: event handler",
        "<p style>",
        "<a href=' JAVA\\nscript:alert(1)'>: forbidden scheme",
        "<svg>",
        "<script>",
        "a second sanitize_html pass changes the output",
    ]


# --- plain_text ------------------------------------------------------------------------


def test_plain_text_strips_tags_and_drops_script_content():
    assert plain_text("<p>Vote <strong>now</strong></p><script>alert(1)</script>") == "Vote now"


def test_plain_text_unescapes_entities():
    assert plain_text("<p>R&amp;D &lt;draft&gt; &quot;v2&quot; &#233;t&eacute;</p>") == (
        'R&D <draft> "v2" été'
    )


def test_plain_text_collapses_whitespace_between_blocks():
    html_fragment = render_markdown("# Agenda\n\n- one\n- two\n\nend  \nline")
    assert plain_text(html_fragment) == "Agenda one two end line"


def test_plain_text_is_returned_whole_when_it_fits_the_limit():
    assert plain_text("<p>short note</p>", limit=10) == "short note"


def test_plain_text_truncates_at_a_word_boundary_with_an_ellipsis():
    text = plain_text("<p>The working group meets on Thursday</p>", limit=20)
    assert text == "The working group…"
    assert len(text) <= 20


def test_plain_text_keeps_a_word_that_ends_exactly_at_the_cut():
    assert plain_text("<p>abcd efgh ijkl</p>", limit=10) == "abcd efgh…"


def test_plain_text_cuts_inside_a_word_only_when_the_first_word_is_too_long():
    assert plain_text("<p>Arbeitsgruppensitzung morgen</p>", limit=8) == "Arbeits…"
    assert plain_text("<p>工作组会议纪要请在周五之前提交意见</p>", limit=6) == "工作组会议…"


def test_plain_text_rejects_a_limit_below_one():
    with pytest.raises(ValueError, match="limit"):
        plain_text("<p>some text</p>", limit=0)


# --- Pathological input ----------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        ">" * 10_000,
        "> " * 25_000,
        "[" * 10_000,
        "[" * 50_000,
        "*" * 50_000,
        "*a" * 25_000,
        "_a " * 16_000,
        "![" * 25_000,
        "[a]([" * 10_000,
        "[" * 25_000 + "a" + "]" * 25_000,
        "http:// " * 6_000,
        "<http://" * 6_000,
        " http://a.example" * 2_900,
        "|a" * 12_500 + "\n" + "|-" * 12_500,
        "&" * 50_000,
        "<" * 50_000,
    ],
    ids=lambda source: f"{source[:8]!r}x{len(source)}",
)
def test_large_pathological_input_renders(source):
    assert isinstance(render_markdown(source), str)
