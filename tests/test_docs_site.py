"""The documentation site: docs/*.md built by MkDocs with the Material theme (mkdocs.yml).

mkdocs.yml makes a broken link or anchor, a link out of docs/ and a page left out of the nav
warnings, so `mkdocs build --strict` fails on each of them; the build needs no network.
"""

import importlib.util
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, python_module

DOCS = ROOT / "docs"
PICTURES = {
    "assets/architecture.svg": ["index.html", "architecture/index.html"],
    "assets/benchmark.png": ["performance/index.html"],
}


def nav_pages(nav: list[Any]) -> list[str]:
    """The markdown files a nav lists, in order, through any sections."""
    pages: list[str] = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        if isinstance(value, list):
            pages += nav_pages(value)
        elif not value.startswith(("http://", "https://")):
            pages.append(value)
    return pages


def config() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    return loaded


def page_html(page: str) -> str:
    """Where a page lands in the built site, with MkDocs' directory URLs."""
    stem = page.removesuffix(".md")
    if stem == "index" or stem.endswith("/index"):
        return f"{stem}.html"
    return f"{stem}/index.html"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    destination = tmp_path_factory.mktemp("docs") / "site"
    # Material prints a banner about MkDocs 2.0 on every build unless told not to.
    result = python_module(
        ROOT,
        *("mkdocs", "build", "--strict", "--site-dir", str(destination)),
        NO_MKDOCS_2_WARNING="1",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return destination


def test_every_page_of_docs_is_in_the_nav() -> None:
    settings = config()
    assert settings["docs_dir"] == "docs"
    listed = nav_pages(settings["nav"])
    assert len(listed) == len(set(listed)), listed
    assert listed[0] == "index.md"
    assert set(listed) == {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}


def test_the_site_has_a_page_per_nav_entry(site: Path) -> None:
    for page in nav_pages(config()["nav"]):
        html = site / page_html(page)
        assert html.is_file(), page
        assert "<h1" in html.read_text(), page


def test_the_pictures_are_copied_and_shown(site: Path) -> None:
    for picture, pages in PICTURES.items():
        assert (site / picture).read_bytes() == (DOCS / picture).read_bytes()
        for page in pages:
            up = "../" * page.count("/")
            assert f'src="{up}{picture}"' in (site / page).read_text(), (picture, page)


def test_the_architecture_picture_stands_alone() -> None:
    # Readable in both themes and offline: its own background, no fonts, scripts or links.
    text = (DOCS / "assets/architecture.svg").read_text()
    svg = ElementTree.fromstring(text)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    background = svg.find("{http://www.w3.org/2000/svg}rect")
    assert background is not None
    assert background.get("fill") == "#ffffff"
    assert svg.get("viewBox") == f"0 0 {background.get('width')} {background.get('height')}"
    for absent in ("<script", "@import", "@font-face", "href=", "http://", "https://"):
        assert absent not in text.replace('xmlns="http://www.w3.org/2000/svg"', ""), absent


def test_the_benchmark_writes_the_chart_the_docs_show() -> None:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench/run.py")
    assert spec is not None
    assert spec.loader is not None
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    assert run.CHART == DOCS / "assets/benchmark.png"
    assert "](assets/benchmark.png)" in (DOCS / "performance.md").read_text()
