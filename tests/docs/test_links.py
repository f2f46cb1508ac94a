"""The project's Markdown documents link only to what exists in the repository.

A clone, a forge's web view and a release archive hold the repository and nothing beside it: a link to
`../shared/…`, to a file that moved, or to a heading that was renamed is a dead end for the reader. Every link
and image in README.md, CONTRIBUTING.md, CHANGELOG.md and docs/**/*.md must therefore name a file inside the
repository and, when it points at a heading of a Markdown file, a heading that exists (GitHub's anchors).
Web and mail links are not checked: that would need the network.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOP_LEVEL = ("README.md", "CONTRIBUTING.md", "CHANGELOG.md")
README_MAX_LINES = 200
UNCHECKED_SCHEMES = ("http://", "https://", "mailto:")

# Fenced code blocks (``` or ~~~, up to three spaces of indent), closed by the same fence or the end of the file.
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^ {0,3}\1[`~]*[ \t]*$|\Z)", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# [text](target "title") and ![alt](target); the text may hold one level of brackets (an image inside a link).
INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^>\n]*>|[^)\s]+)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
REFERENCE = re.compile(r"^ {0,3}\[(?!\^)[^\]]+\]:\s*(<[^>\n]*>|\S+)", re.MULTILINE)
HTML_TARGET = re.compile(r"<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
ATX_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
SETEXT_HEADING = re.compile(r"^ {0,3}(\S[^\n]*)\n {0,3}(?:=+|-+)[ \t]*$", re.MULTILINE)
HTML_ANCHOR = re.compile(r"<[a-z]+\b[^>]*?\b(?:id|name)\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)


@dataclass(frozen=True)
class Link:
    source: Path
    line: int
    target: str


def without_code(text: str) -> str:
    """`text` with code blocks, code spans and comments blanked out (newlines kept, so line numbers hold):
    brackets in code are not links."""

    def blank(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))

    return CODE_SPAN.sub(blank, FENCE.sub(blank, HTML_COMMENT.sub(blank, text)))


def links_in(path: Path) -> list[Link]:
    text = without_code(path.read_text(encoding="utf-8"))
    found = []
    for pattern in (INLINE, REFERENCE, HTML_TARGET):
        for match in pattern.finditer(text):
            target = match.group(1).strip()
            if target.startswith("<") and target.endswith(">"):
                target = target[1:-1].strip()
            found.append(Link(path, text.count("\n", 0, match.start()) + 1, target))
    return sorted(found, key=lambda link: link.line)


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its text as rendered (links by their text, no code or emphasis marks,
    no HTML tags), lower case, without punctuation but `-` and `_`, each space a `-`."""
    parts = re.split(r"(`+[^`]*`+)", heading)  # code spans keep their text as it is, underscores included
    text = "".join(part.strip("`") if part.startswith("`") else _without_markup(part) for part in parts)
    text = unicodedata.normalize("NFC", text.strip().lower())
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LNM")
    return kept.replace(" ", "-")


def _without_markup(text: str) -> str:
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"(?<!\w)_+|_+(?!\w)", "", text.replace("*", ""))  # _emphasis_ marks, not snake_case


def anchors_of(path: Path) -> set[str]:
    """Every anchor a Markdown file offers: its headings' slugs (a repeated one numbered -1, -2…) and HTML ids."""
    raw = path.read_text(encoding="utf-8")
    text = without_code(raw)
    headings = [(m.start(), m.group(1)) for m in ATX_HEADING.finditer(text)]
    headings += [
        (m.start(), m.group(1))
        for m in SETEXT_HEADING.finditer(text)
        if not m.group(1).startswith(("#", "|", "-", "*"))
    ]
    # Slug the original text (code spans blanked above would lose their words) at the same offsets.
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for start, _ in sorted(headings):
        line = raw[start : raw.index("\n", start) if "\n" in raw[start:] else len(raw)]
        heading = re.sub(r"^ {0,3}#{1,6}[ \t]+|(?:[ \t]+#+)?[ \t]*$", "", line)
        slug = github_slug(heading)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    anchors |= {m.group(1) for m in HTML_ANCHOR.finditer(text)}
    return anchors


def problem(link: Link, root: Path) -> str | None:
    """Why `link` leads nowhere inside `root`, or None when it resolves."""
    target = link.target
    if target.lower().startswith(UNCHECKED_SCHEMES):
        return None
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
        return "a scheme other than http(s) or mailto: not a file of the repository"
    path_part, _, anchor = target.partition("#")
    path_part = unquote(path_part.split("?", 1)[0])
    source_folder = link.source.parent.relative_to(root).as_posix()
    if path_part.startswith("/"):  # GitHub reads a leading / as the repository's root
        relative = posixpath.normpath(path_part.lstrip("/") or ".")
    else:
        relative = posixpath.normpath(posixpath.join(source_folder, path_part or link.source.name))
    if relative == ".." or relative.startswith("../"):
        return f"escapes the repository ({relative})"
    resolved = (root / relative).resolve()
    if not resolved.is_relative_to(root.resolve()):
        return f"escapes the repository through a link ({resolved})"
    if not resolved.exists():
        return f"no such file in the repository: {relative}"
    if anchor and resolved.is_file() and resolved.suffix.lower() == ".md":
        anchors = anchors_of(resolved)
        if unquote(anchor) not in anchors and unquote(anchor).lower() not in anchors:
            return f"no heading #{anchor} in {relative}"
    return None


def documents(root: Path) -> list[Path]:
    found = [root / name for name in TOP_LEVEL if (root / name).is_file()]
    return found + sorted((root / "docs").rglob("*.md"))


@pytest.mark.parametrize("document", documents(ROOT), ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_link_resolves_inside_the_repository(document: Path) -> None:
    broken = [
        f"{link.source.relative_to(ROOT)}:{link.line}: ({link.target}) {why}"
        for link in links_in(document)
        if (why := problem(link, ROOT)) is not None
    ]
    assert not broken, "links that lead nowhere in a clone:\n" + "\n".join(broken)


def test_the_readme_is_short_enough_to_read() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, (
        f"README.md has {len(lines)} lines; keep it at most {README_MAX_LINES} and move details to docs/"
    )


# The checker itself, on a small repository of its own: each way a link can break is seen to break.


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text(
        "# Guide\n\n## Refusal codes at the edge\n\n## Why a `CLAIM_ID_CONFLICT` is *not* published\n\n"
        '## Refusal codes at the edge\n\nSetext title\n------------\n\n<a id="custom"></a>\n',
        encoding="utf-8",
    )
    (tmp_path / "programmes").mkdir()
    (tmp_path / "README.md").write_text("# Top\n", encoding="utf-8")
    return tmp_path


def check(repo: Path, markdown: str, name: str = "README.md") -> list[str | None]:
    source = repo / name
    source.write_text(markdown, encoding="utf-8")
    return [problem(link, repo) for link in links_in(source)]


def test_existing_files_folders_and_headings_resolve(repo: Path) -> None:
    markdown = (
        "[a](docs/guide.md) [b](programmes) [c](docs/guide.md#refusal-codes-at-the-edge) "
        "[d](docs/guide.md#why-a-claim_id_conflict-is-not-published) [e](docs/guide.md#refusal-codes-at-the-edge-1) "
        "[f](docs/guide.md#setext-title) [g](docs/guide.md#custom) [h](#top) ![i](<docs/guide.md>) "
        '[j](https://example.org/x) [k](mailto:a@example.org) [l](/docs/guide.md "title")\n\n# Top\n'
    )
    assert check(repo, markdown) == [None] * 12


def test_missing_files_escapes_and_missing_headings_fail(repo: Path) -> None:
    markdown = (
        "[a](../shared/contracts) [b](docs/missing.md) [c](docs/guide.md#no-such-heading) "
        "[d](docs/../../outside.md) [e](#nowhere) [f](file:///etc/passwd)\n"
    )
    problems = check(repo, markdown)
    assert all(problems), problems
    assert "escapes the repository" in str(problems[0]) and "escapes the repository" in str(problems[3])


def test_links_are_resolved_from_the_document_s_folder(repo: Path) -> None:
    assert check(repo, "[up](../README.md) [peer](guide.md)", name="docs/other.md") == [None, None]
    assert check(repo, "[no](docs/guide.md)", name="docs/other.md") == [
        "no such file in the repository: docs/docs/guide.md"
    ]


def test_brackets_in_code_are_not_links(repo: Path) -> None:
    markdown = "`[A-Z]{6}[A-NP-Z0-9]([A-Z0-9]{3})?`\n\n```\n[x](../nowhere)\n```\n\n[ref]: docs/guide.md\n"
    assert check(repo, markdown) == [None]


def test_github_slugs() -> None:
    assert github_slug("Performance: `make bench`") == "performance-make-bench"
    assert (
        github_slug("Operators' screens are safe from hostile text") == "operators-screens-are-safe-from-hostile-text"
    )
    assert github_slug("Intake: the submission is *refused* (status `refused`, never registered)") == (
        "intake-the-submission-is-refused-status-refused-never-registered"
    )
    assert github_slug("Hostile input: refusals, dead letters and set-aside items") == (
        "hostile-input-refusals-dead-letters-and-set-aside-items"
    )
    assert github_slug("Chèque France Num — 2021") == "chèque-france-num--2021"
    assert github_slug("The `__init__.py` of _each_ service") == "the-__init__py-of-each-service"
