"""The markup every page must have for RGAA / WCAG 2.1 AA, read from the HTML (axe-core in a real browser comes
on top, in tests/browser): French, landmarks, one h1 and headings in order, a label for every field, tables with a
caption and scoped headers, unique ids, and statuses in words."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from .conftest import Pages
from .pages_fakes import LETTER

PAGES = {
    "/demandes/a-verifier": "caseworker",
    "/demandes/a-verifier?age=x": "caseworker",
    "/demandes/C-1": "caseworker",
    "/lettres-mortes": "supervisor",
    f"/lettres-mortes/{LETTER.id}": "supervisor",
    "/mis-de-cote": "supervisor",
    "/tableau-de-bord": "auditor",
    "/paiements": "finance",
    "/lots-sepa": "finance",
    "/liste-d-attente": "finance",
    "/budget": "finance",
    "/controles": "supervisor",
    "/controles?issue=none": "caseworker",
    "/reversements": "finance",
}
FIELDS = ("input", "select", "textarea")
UNLABELLED_INPUTS = ("hidden", "submit", "button", "reset")


class Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.open: list[str] = []
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.fields_in_label: int = 0
        self.headings: list[int] = []
        self.tables: list[dict[str, bool]] = []
        self.th_without_scope = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {k: v or "" for k, v in attrs}
        self.tags.append((tag, named))
        if "id" in named:
            self.ids.append(named["id"])
        if tag == "label" and "for" in named:
            self.label_for.add(named["for"])
        if tag in FIELDS and "label" in self.open:
            self.fields_in_label += 1
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))
        if tag == "table":
            self.tables.append({"caption": False})
        if tag == "caption" and self.tables:
            self.tables[-1]["caption"] = True
        if tag == "th" and named.get("scope") not in ("col", "row"):
            self.th_without_scope += 1
        if tag not in ("input", "meta", "link", "br", "img", "rect", "line", "circle", "polyline"):
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            while self.open and self.open.pop() != tag:
                pass


def structure(html: str) -> Structure:
    parser = Structure()
    parser.feed(html)
    return parser


def check_structure(html: str) -> None:
    """Fails, saying what is missing, unless `html` has the structure every page of the back-office must have."""
    found = structure(html)
    tags = [tag for tag, _ in found.tags]

    assert ("html", {"lang": "fr"}) in found.tags
    assert all(tags.count(landmark) >= 1 for landmark in ("header", "main", "footer")), tags
    assert tags.count("main") == 1 and tags.count("h1") == 1
    assert found.tags[tags.index("a")][1].get("href") == "#contenu", "the skip link comes first"
    assert all(b - a <= 1 for a, b in zip(found.headings, found.headings[1:])), found.headings
    assert len(found.ids) == len(set(found.ids)), "ids are unique"
    for tag, attrs in found.tags:
        if tag in FIELDS and attrs.get("type") not in UNLABELLED_INPUTS:
            assert attrs.get("id") in found.label_for or attrs.get("aria-label"), (tag, attrs)
        if tag == "svg":
            assert attrs.get("role") == "img" and attrs.get("aria-labelledby"), attrs
        if tag == "nav":
            assert attrs.get("aria-label"), "the menu is named"
    assert found.fields_in_label == 0, "labels name their field with for=, not by wrapping it"
    assert all(table["caption"] for table in found.tables), "every table has a caption"
    assert found.th_without_scope == 0, "every header cell says what it heads"


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_the_accessible_structure(pages: Pages, path: str) -> None:
    page = pages.client.get(path, headers={"X-Role": PAGES[path]})

    assert page.status_code == 200
    check_structure(page.text)
    assert "<nav" in page.text, "a signed-in person has the menu"


def test_statuses_are_said_in_words_not_colours(pages: Pages) -> None:
    page = pages.client.get("/demandes/C-1", headers={"X-Role": "caseworker"}).text

    assert '<span class="badge wait">en vérification manuelle</span>' in page
    assert '<span class="rule-failed">non respectée</span>' in page
    assert "Factures propres à cette demande (signal de fraude)" in page  # what the rule checks, in words


def test_the_dashboard_refreshes_only_when_asked(pages: Pages) -> None:
    quiet = pages.client.get("/tableau-de-bord", headers={"X-Role": "auditor"}).text
    live = pages.client.get("/tableau-de-bord?auto=1", headers={"X-Role": "auditor"}).text

    assert 'http-equiv="refresh"' not in quiet and "Mettre à jour automatiquement" in quiet
    assert '<meta http-equiv="refresh" content="30">' in live and "Arrêter la mise à jour automatique" in live


def test_the_style_sheet_is_served_with_a_visible_focus(pages: Pages) -> None:
    css = pages.client.get("/static/backoffice.css").text

    assert ":focus-visible" in css and "outline: 3px solid" in css
