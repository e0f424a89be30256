"""The documentation: the site builds strictly (every link, anchor and API reference resolves) and the README
stays a short front door whose links lead somewhere."""

from __future__ import annotations

import re
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evalkit import paths

ROOT = paths.project_root()
README = ROOT / "README.md"
README_MAX_BYTES = 10_240


@pytest.mark.slow
def test_site_builds_strictly(tmp_path: Path) -> None:
    """``mkdocs build --strict``: a broken link, a missing page or an unresolved reference fails the build."""
    mkdocs = Path(sys.executable).parent / "mkdocs"
    done = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},  # the theme's notice of its successor
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "reference" / "results" / "index.html").is_file()


def test_readme_is_a_short_front_door() -> None:
    size = README.stat().st_size
    assert size <= README_MAX_BYTES, (
        f"README.md is {size:,} bytes; keep it at most {README_MAX_BYTES:,} (move text to docs/)"
    )
    text = README.read_text(encoding="utf-8")
    assert "make evaluate" in text
    assert "make test" in text


def _readme_links(text: str) -> list[str]:
    """Targets of Markdown links in the README that point into the repository (docs pages, other .md files)."""
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    local = [t.split("#", 1)[0] for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]
    return [t for t in local if t.startswith("docs/") or t.endswith(".md")]


def test_readme_links_point_to_files_that_exist() -> None:
    links = _readme_links(README.read_text(encoding="utf-8"))
    assert links, "the README links to no docs page"
    missing = [link for link in links if not (ROOT / link).is_file()]
    assert missing == [], f"README.md links to files that do not exist: {missing}"


def test_readme_links_are_found() -> None:
    """The link finder itself: relative links count, web links and anchors do not."""
    text = "[a](docs/running.md) [b](https://example.org/x.md) [c](#top) [d](data/synthetic/README.md#files)"
    assert _readme_links(text) == ["docs/running.md", "data/synthetic/README.md"]


def test_the_notebooks_page_lists_the_tables_each_notebook_uses() -> None:
    from evalkit import evaluations

    text = (ROOT / "docs" / "notebooks.md").read_text(encoding="utf-8")
    for notebook in evaluations.NOTEBOOKS:
        used = evaluations.evaluation_class(notebook).uses()
        row = f"| `{notebook}` | {', '.join(f'`{t}`' for t in used) or '—'} |"
        assert row in text, row


def test_the_package_page_lists_every_table_with_its_required_columns() -> None:
    from evalkit import package

    text = (ROOT / "docs" / "package.md").read_text(encoding="utf-8")
    for spec in package.tables().values():
        required = ", ".join(f"`{c}`" for c in spec.required_fields)
        assert f"| `{spec.name}` | {spec.presence} |" in text and required in text, spec.name
