"""SKILL.md as HTML: markdown-it-py renders, nh3 sanitises. Skill content is untrusted.

Raw HTML in the markdown is not rendered (it shows as text), and the result goes through an
allow-list anyway: no script, style, event handler, form or frame survives, links keep only
http(s) and mailto, and every link gets ``rel="noopener noreferrer nofollow"``.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from markupsafe import Markup

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

#: Longer documents are cut (the viewer shows the raw file).
MAX_MARKDOWN = 512 * 1024
TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "img", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
}


@functools.cache
def _parser() -> MarkdownIt:
    """Made on the first page that shows a SKILL.md: a server used only over MCP or REST
    never loads markdown-it or nh3."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )


def render_markdown(text: str) -> Markup:
    """Safe HTML for ``text``; its headings one level down (the page has the only h1)."""
    import nh3

    _md = _parser()
    tokens = _md.parse(text[:MAX_MARKDOWN])
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + 1)}"
    html = _md.renderer.render(tokens, _md.options, {})
    clean = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)
