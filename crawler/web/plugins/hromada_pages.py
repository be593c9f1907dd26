"""Datasette plugin: the researcher's pages over the archive (data from crawler/web/views.py).

``/`` search with facets, a timeline and an export link; ``/article/ID`` one article; ``/article/ID/snapshot``
its archived page with scripts and external requests disabled; ``/sources`` the health of every source;
``/export.zip`` the search as ``hromada export`` writes it. Ukrainian unless ``?lang=en`` (kept in a cookie).
Datasette's own tables, SQL and JSON/CSV stay under ``/DATABASE``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from crawler.archive.search import SearchQueryError
from crawler.crawl.health import summary_line
from crawler.web import charts, i18n, views

#: Our own pages load nothing but themselves: no script, no other origin.
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


class Page:
    """One request's language, translator and database, and how its answer is rendered."""

    def __init__(self, datasette, request):
        self.datasette, self.request = datasette, request
        self.language = i18n.language_of(request.args, request.cookies)
        self.t = i18n.translator(self.language)
        self.db = datasette.get_database()

    async def render(self, template: str, status: int = 200, **context) -> Response:
        other_language = "en" if self.language == "uk" else "uk"
        kept = [(name, value) for name in self.request.args.keys() if name != "lang"
                for value in self.request.args.getlist(name)]
        context = {"t": self.t, "lang": self.language, "database": self.db.name, "other_language": other_language,
                   "language_switch": "?" + urlencode([*kept, ("lang", other_language)]),
                   "verdict_label": lambda verdict: i18n.verdict_label(verdict, self.language),
                   "path": self.request.path, **context}
        html = await self.datasette.render_template(template, context, request=self.request)
        return self.answer(Response.html(html, status=status))

    def answer(self, response: Response) -> Response:
        response.headers["Content-Security-Policy"] = PAGE_POLICY
        response.headers["Referrer-Policy"] = "no-referrer"
        if self.request.args.get("lang") in i18n.LANGUAGES:
            response.set_cookie(i18n.COOKIE, self.language, max_age=LANGUAGE_COOKIE_SECONDS, samesite="lax")
        return response


def error_text(page: Page, error: Exception) -> str:
    if isinstance(error, views.FormError):
        return page.t(error.key, **error.values)
    return str(error)


async def search_view(datasette, request):
    page = Page(datasette, request)
    form = views.SearchForm.from_args(request.args)
    as_json = request.args.get("_format") == "json"
    try:
        found = await page.db.execute_fn(lambda conn: views.search_page(conn, form))
    except (views.FormError, SearchQueryError) as error:
        if as_json:
            return page.answer(json_response({"ok": False, "error": error_text(page, error)}, status=400))
        return await page.render("hromada_search.html", status=400, form=form, found=None, error=error_text(page, error))
    if as_json:
        return page.answer(json_response({"ok": True, **found.to_json()}))
    label = page.t("over_time", period=page.t(f"period_{found.period}"))
    return await page.render("hromada_search.html", form=form, found=found, error=None, chart_label=label,
                             chart=charts.bar_chart(found.timeline, label=label), snippet=snippet_html)


def json_response(data: dict, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status=status, content_type="application/json; charset=utf-8")


def snippet_html(hit) -> Markup:
    return Markup("".join(f"<mark>{escape(piece)}</mark>" if is_match else str(escape(piece)) for piece, is_match in hit.snippet))


async def article_view(datasette, request):
    page = Page(datasette, request)
    article_id = int(request.url_vars["article_id"])
    found = await page.db.execute_fn(lambda conn: views.article(conn, article_id))
    if found is None:
        return await page.render("hromada_missing.html", status=404, message=page.t("not_found", id=article_id))
    return await page.render("hromada_article.html", article=found)


async def snapshot_view(datasette, request):
    page = Page(datasette, request)
    article_id = int(request.url_vars["article_id"])
    asked = request.args.get("revision")
    revision = int(asked) if asked and asked.isdigit() else None
    found = None if asked and revision is None else await page.db.execute_fn(
        lambda conn: views.snapshot(conn, article_id, revision))
    if found is None:
        return await page.render("hromada_missing.html", status=404, message=page.t("no_snapshot"))
    text = page.t("snapshot_banner", url=found["fetched_url"], when=found["fetched_at"])
    if revision is not None:
        text = f'{page.t("revision", number=revision).capitalize()}. {text}'
    banner = await datasette.render_template("hromada_snapshot_banner.html", {
        "text": text,
        "back": page.t("back_to_article"), "article_id": article_id})
    html = views.with_banner(found["html"], banner, found["encoding"])
    response = Response.html(html)
    response.headers["Content-Security-Policy"] = views.SNAPSHOT_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


async def sources_view(datasette, request):
    page = Page(datasette, request)
    rows, per_week, weeks = await page.db.execute_fn(views.sources)
    summary = summary_line(rows, lambda verdict: i18n.verdict_label(verdict, page.language))
    lines = [(row, charts.sparkline(per_week[row.source_id], label=f"{row.source_id}: {sum(per_week[row.source_id])}"))
             for row in rows]
    return await page.render("hromada_sources.html", lines=lines, weeks=weeks,
                             summary=page.t("sources_summary", count=len(rows), summary=summary))


async def export_view(datasette, request):
    page = Page(datasette, request)
    form = views.SearchForm.from_args(request.args)
    now = datetime.now(timezone.utc)
    archive_path = Path(page.db.path)
    try:
        data = await page.db.execute_fn(lambda conn: views.export_zip(conn, form, archive_path=archive_path, now=now))
    except (views.FormError, SearchQueryError) as error:
        return page.answer(Response.text(error_text(page, error), status=400))
    response = Response(data, content_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="hromada-export-{now:%Y%m%dT%H%M%SZ}.zip"'})
    return page.answer(response)


@hookimpl
def register_routes():
    return [
        (r"^/$", search_view),
        (r"^/article/(?P<article_id>\d+)$", article_view),
        (r"^/article/(?P<article_id>\d+)/snapshot$", snapshot_view),
        (r"^/sources$", sources_view),
        (r"^/export\.zip$", export_view),
    ]
