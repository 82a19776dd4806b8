"""An ATS's job advert HTML as plain text: tags dropped, scripts and styles with their content, blocks on lines.

html.parser tokenises without fetching, resolving external entities or running anything, and the input is bounded
before it is parsed (its worst cases grow with the input). Character references are decoded once, by the parser, so
an escaped tag in the advert ("&lt;b&gt;") stays text and is never read as markup.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

MAX_HTML_CHARS = 500_000
MAX_TEXT_CHARS = 50_000  # as shared.events.MAX_JOB_TEXT
_DROPPED = frozenset({"script", "style", "template", "noscript", "head", "title", "iframe", "object", "svg", "math"})
_BLOCKS = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
                     "section", "article", "header", "footer", "blockquote", "pre", "hr", "dd", "dt", "dl"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self._dropping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n- " if tag == "li" else "\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self._dropping = max(0, self._dropping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The text a reader of the advert sees; plain text (no tags) comes back with its whitespace tidied."""
    parser = _Text()
    parser.feed(html[:MAX_HTML_CHARS])
    parser.close()
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parser.parts).split("\n"))
    text = "\n".join(line for line in lines if line not in ("", "-"))
    return _BLANK_LINES.sub("\n\n", text)[:MAX_TEXT_CHARS].strip()


def joined(*sections: tuple[str | None, str | None]) -> str:
    """(heading, html) sections as one text, headings on their own lines, empty sections left out."""
    out = []
    for heading, html in sections:
        body = html_to_text(html) if isinstance(html, str) else ""
        if body:
            out.append(f"{heading}\n{body}" if heading else body)
    return "\n\n".join(out)[:MAX_TEXT_CHARS]
