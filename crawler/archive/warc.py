"""Stored raw pages as WARC 1.1, so web-archive tools (warcio, pywb, cdxj-indexer) can read the archive.

Per article with a raw page: a ``request`` and a ``response`` record for the fetch we made, then a
``metadata`` record (JSON, the article's exported row) that refers to the response. Superseded revisions
whose raw page the archive kept come first, oldest first, each as its own capture with a metadata record
naming the revision. An article without a raw page gets its metadata record only. The response keeps what
the archive kept of the reply: its status and Content-Type (for a superseded revision only its encoding,
so ``text/html; charset=…``); the body is the payload as received after transfer decoding (gzip/deflate
undone), so no Content-Encoding header is written.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone
from http import HTTPStatus
from io import BytesIO
from urllib.parse import urlsplit

from crawler import __version__
from crawler.archive.store import utc_moment

#: The raw-page columns a WARC export selects after the article's own (see export.export_sql).
RAW_PAGE_COLUMNS = {
    "raw_fetched_url": "(select r.fetched_url from raw_pages r where r.article_id = a.id)",
    "raw_fetched_at": "(select r.fetched_at from raw_pages r where r.article_id = a.id)",
    "raw_http_status": "(select r.http_status from raw_pages r where r.article_id = a.id)",
    "raw_content_type": "(select r.content_type from raw_pages r where r.article_id = a.id)",
    "raw_html_gz": "(select r.html_gz from raw_pages r where r.article_id = a.id)",
    "raw_revisions": """(select json_group_array(json_array(v.revision, v.fetched_url, v.fetched_at, v.encoding,
                                                            v.title, hex(v.html_gz)))
                         from (select * from article_revisions where article_id = a.id and html_gz is not null
                               order by revision) v)""",
}


def warc_date(timestamp: str | datetime) -> str:
    """WARC-Date (UTC, ``Z``) of an ISO timestamp as the archive stores it, or of an aware datetime."""
    moment = utc_moment(timestamp) if isinstance(timestamp, str) else timestamp
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_line(status: int | None) -> str:
    code = status or 200
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"{code} Unknown"


class WarcRecords:
    """Builds the records of one export with warcio's writer over an open binary file."""

    def __init__(self, file, names: list[str]):
        from warcio.warcwriter import WARCWriter

        self.writer = WARCWriter(file, gzip=True, warc_version="1.1")
        self.names = names
        self.responses = self.without_raw_page = self.revision_responses = 0

    def warcinfo(self, filename: str, now: datetime, info: dict) -> None:
        lines = "".join(f"{name}: {value}\r\n" for name, value in info.items() if value)
        payload = lines.encode("utf-8")
        record = self.writer.create_warc_record(
            "", "warcinfo", payload=BytesIO(payload), length=len(payload),
            warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Date": warc_date(now), "WARC-Filename": filename})
        self.writer.write_record(record)

    def article(self, row: tuple) -> None:
        """Records of one export row: the article's columns, then RAW_PAGE_COLUMNS in order."""
        fields = dict(zip(self.names, row[:len(self.names)]))
        fetched_url, fetched_at, http_status, content_type, html_gz, revisions = row[len(self.names):]
        for revision in json.loads(revisions or "[]"):
            self._revision(fields, *revision)
        if html_gz is None:
            self.without_raw_page += 1
            self._metadata(fields["url"], warc_date(fields["fetched_at"]), {"hromada_article": fields}, refers_to=None)
            return
        date = warc_date(fetched_at)
        response = self._response(fetched_url, date, http_status, content_type, gzip.decompress(html_gz))
        self.writer.write_request_response_pair(self._request(fetched_url, date), response)
        self.responses += 1
        self._metadata(fetched_url, date, {"hromada_article": fields},
                       refers_to=response.rec_headers.get_header("WARC-Record-ID"))

    def _revision(self, fields: dict, revision: int, url: str, fetched_at: str, encoding: str | None,
                  title: str | None, html_gz_hex: str) -> None:
        date = warc_date(fetched_at)
        content_type = f"text/html; charset={encoding}" if encoding else "text/html"
        response = self._response(url, date, 200, content_type, gzip.decompress(bytes.fromhex(html_gz_hex)))
        self.writer.write_request_response_pair(self._request(url, date), response)
        self.revision_responses += 1
        superseded = {"article_id": fields["id"], "url": fields["url"], "revision": revision, "title": title}
        self._metadata(url, date, {"hromada_revision": superseded},
                       refers_to=response.rec_headers.get_header("WARC-Record-ID"))

    def _response(self, url: str, date: str, http_status: int | None, content_type: str | None, body: bytes):
        from warcio.statusandheaders import StatusAndHeaders

        headers = [("Content-Type", content_type or "application/octet-stream"), ("Content-Length", str(len(body)))]
        return self.writer.create_warc_record(
            url, "response", payload=BytesIO(body), length=len(body),
            http_headers=StatusAndHeaders(status_line(http_status), headers, protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": date})

    def _request(self, url: str, date: str):
        from warcio.statusandheaders import StatusAndHeaders

        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        http_headers = StatusAndHeaders(f"GET {target} HTTP/1.1", [("Host", parts.netloc)], is_http_request=True)
        return self.writer.create_warc_record(url, "request", http_headers=http_headers,
                                              warc_headers_dict={"WARC-Date": date})

    def _metadata(self, url: str, date: str, described: dict, refers_to: str | None) -> None:
        payload = json.dumps(described, ensure_ascii=False).encode("utf-8")
        headers = {"WARC-Date": date}
        if refers_to:
            headers["WARC-Refers-To"] = headers["WARC-Concurrent-To"] = refers_to
        record = self.writer.create_warc_record(url, "metadata", payload=BytesIO(payload), length=len(payload),
                                                warc_content_type="application/json", warc_headers_dict=headers)
        self.writer.write_record(record)


def warcinfo_fields(request) -> dict:
    return {
        "software": f"hromada-news {__version__} (warcio)",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "description": "Raw pages of articles exported from a hromada-news archive"
                       + (f"; query {request.query!r}" if request.query else ""),
    }
