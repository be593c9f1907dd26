"""``hromada serve``: the archive in Datasette, read-only, on loopback.

The researcher's pages (search with facets and a timeline, one article, its archived snapshot, the
sources' health) are ``plugins/hromada_pages.py`` over ``views.py``, drawn by ``templates/`` in
Ukrainian or English (``i18n.py``). Datasette's own views stay under ``/DATABASE``: its configuration
lives in ``datasette.json`` beside this file (facets, canned queries, hidden tables);
:func:`datasette_metadata` adds the column descriptions from the export codebook so both describe
columns the same way. ``plugins/hromada_search.py`` gives SQL the lemmatized search
(``hromada_match(q)``) and original-text snippets (``hromada_snippet(text, q)``).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

from crawler.archive.export import load_codebook

WEB_DIR = Path(__file__).resolve().parent
CONFIG_FILE = WEB_DIR / "datasette.json"
PLUGINS_DIR = WEB_DIR / "plugins"
TEMPLATES_DIR = WEB_DIR / "templates"
HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 30.0
# Facets over a large archive need more than Datasette's 200 ms default.
SETTINGS = {"facet_time_limit_ms": "2000", "sql_time_limit_ms": "5000", "default_page_size": "50"}
BROWSE_COLUMN_NAMES = {"source": "source_name"}  # articles_browse column -> codebook column


def database_name(db_path: Path) -> str:
    """Datasette names a database after its file stem."""
    return db_path.stem


def datasette_metadata(db_path: Path) -> dict:
    """datasette.json with its database section filed under this archive's name and column descriptions filled in."""
    metadata = json.loads(CONFIG_FILE.read_text(encoding="utf-8"))
    database = metadata["databases"] = {database_name(db_path): metadata.pop("database")}
    columns, _ = load_codebook()
    described = {column.name: column.description for column in columns}
    tables = database[database_name(db_path)]["tables"]
    for table, config in tables.items():
        names = config.pop("describe_columns", [])
        if names:
            config["columns"] = {**{name: described[BROWSE_COLUMN_NAMES.get(name, name)] for name in names},
                                 **config.get("columns", {})}
    return metadata


def datasette_command(db_path: Path, port: int, metadata_path: Path) -> list[str]:
    command = [sys.executable, "-m", "datasette", "serve", "--immutable", str(db_path),
               "--host", HOST, "--port", str(port), "--metadata", str(metadata_path),
               "--plugins-dir", str(PLUGINS_DIR), "--template-dir", str(TEMPLATES_DIR)]
    for name, value in SETTINGS.items():
        command += ["--setting", name, value]
    return command


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wait_until_listening(port: int, process: subprocess.Popen, timeout: float = STARTUP_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"datasette exited with status {process.returncode} before listening")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"datasette did not listen on {HOST}:{port} within {timeout:.0f} s")


def start_datasette(db_path: Path, port: int, metadata_path: Path) -> subprocess.Popen:
    """Write the metadata, start Datasette and return once it accepts connections."""
    metadata_path.write_text(json.dumps(datasette_metadata(db_path), ensure_ascii=False, indent=2), encoding="utf-8")
    process = subprocess.Popen(datasette_command(db_path, port, metadata_path))
    try:
        wait_until_listening(port, process)
    except RuntimeError:
        process.terminate()
        raise
    return process


def home_url(port: int) -> str:
    """The search page, where a researcher starts."""
    return f"http://{HOST}:{port}/"


def search_url(db_path: Path, port: int, query: str | None = None) -> str:
    """The canned lemmatized search for ``query``, or the browse view without one."""
    from urllib.parse import quote, urlencode

    base = f"http://{HOST}:{port}/{quote(database_name(db_path))}"
    return f"{base}/search?{urlencode({'q': query})}" if query else f"{base}/articles_browse"
