"""EXTRACTOR_VERSION is raised whenever extraction output changes.

An archived page that comes back byte for byte but extracts differently is taken for our change, not a publisher's
revision, only if the version says so. This test keeps fingerprints of the title and text extracted from every
article page of the sample sites and every saved test page, and from the pages of ../shared/eval (WCXB dev and
htmldate's set, read when that folder is there, as on CI), with the version they were taken under: when the output
changes, the version must change too.

After raising the version, record the new fingerprint:

    .venv/bin/python tests/test_extractor_version.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.analysis.extract import EXTRACTOR_VERSION, extract  # noqa: E402
from crawler.crawl.samples import KYIV, sample_layouts  # noqa: E402

NOW = datetime(2025, 9, 1, 18, 0, tzinfo=KYIV)
BASE = "http://127.0.0.1:8000"
SAVED_PAGES = Path(__file__).parent / "files" / "pages"
FINGERPRINT_FILE = Path(__file__).parent / "files" / "extractor_fingerprint.json"
EVAL_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
EVAL_SETS = ("wcxb-articles-dev", "htmldate-default")


def _sample_pages():
    """(name, html, url) of every sample-site article page and saved test page, in a fixed order."""
    for layout, own in sample_layouts(NOW, defaultdict(lambda: BASE)):
        for path, page in sorted(layout.build(own).items()):
            if page.kind == "article":
                yield f"{layout.site.id}{path}", page.body, BASE + path
    for file in sorted(SAVED_PAGES.glob("*.html")):
        yield file.name, file.read_bytes(), "https://hromada.example.ua/news/1"


def _eval_pages(name: str):
    from crawler.analysis.evaluate import load_pages
    for page in load_pages(EVAL_DIR / name):
        yield page.page_id, page.html, page.url


def fingerprints() -> dict[str, str]:
    found = {"samples": _fingerprint(_sample_pages())}
    for name in EVAL_SETS:
        if (EVAL_DIR / name).is_dir():
            found[name] = _fingerprint(_eval_pages(name))
    return found


def _fingerprint(pages) -> str:
    digest = hashlib.sha256()
    for name, html, url in pages:
        article = extract(html, url, now=NOW)
        digest.update(json.dumps([name, article.title, article.text], ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


def test_the_extractor_version_changes_when_the_output_does():
    recorded = json.loads(FINGERPRINT_FILE.read_text(encoding="utf-8"))
    assert recorded["extractor_version"] == EXTRACTOR_VERSION, (
        f"EXTRACTOR_VERSION is now {EXTRACTOR_VERSION}: record its fingerprints (.venv/bin/python "
        "tests/test_extractor_version.py)")
    changed = [name for name, value in fingerprints().items() if value != recorded["fingerprints"].get(name)]
    assert not changed, (
        f"extraction output changed ({', '.join(changed)}) but EXTRACTOR_VERSION is still {EXTRACTOR_VERSION}: raise "
        "it in crawler/analysis/extract/__init__.py, then record the fingerprints "
        "(.venv/bin/python tests/test_extractor_version.py)")


if __name__ == "__main__":
    missing = [name for name in EVAL_SETS if not (EVAL_DIR / name).is_dir()]
    if missing:
        sys.exit(f"{EVAL_DIR} lacks {', '.join(missing)}: the fingerprints are recorded with ../shared beside the checkout")
    FINGERPRINT_FILE.write_text(json.dumps({"extractor_version": EXTRACTOR_VERSION, "fingerprints": fingerprints()},
                                           indent=2) + "\n", encoding="utf-8")
    print(f"recorded the fingerprints of extractor {EXTRACTOR_VERSION} in {FINGERPRINT_FILE}")
