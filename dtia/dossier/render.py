"""Rendering the dossier: Jinja2 -> HTML -> WeasyPrint -> PDF/A-3b, deterministic.

The URL fetcher serves the project's own stylesheet and nothing else: no local file and
no network address named in input can reach the renderer. Fonts come from fontconfig by
the names the stylesheet gives. Document dates come from ``as_of``, never the clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from importlib import resources
from typing import Any

import jinja2
from weasyprint import CSS, HTML, Attachment
from weasyprint.urls import URLFetcher, URLFetcherResponse

from dtia.assessment import Assessment
from dtia.dossier.view import NOT_PROVIDED, DossierView

TEMPLATE_BASE = "dtia-template:/"  # a scheme of our own: nothing else resolves against it


def template_source(name: str) -> str:
    return resources.files("dtia_templates").joinpath(name).read_text(encoding="utf-8")


def environment(folder: str = "") -> jinja2.Environment:
    """Strict, autoescaping templates from ``templates/`` (or a ``folder/`` in it)."""
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: template_source(folder + name)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["not_provided"] = NOT_PROVIDED
    return env


class NothingFetcher(URLFetcher):  # type: ignore[misc]
    """Refuses every URL (file, http, data, ...): the stylesheet is passed in directly and
    fonts come from fontconfig, so a dossier never loads anything named in its input."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        raise ValueError(f"refused to fetch {url!r}: dossiers load nothing from outside")


def render_html(view: DossierView) -> str:
    cover = view.cover
    name = cover.rows[0].value or "" if cover.form == "01a" else ""
    intro = cover.texts["intro"].vi.replace("{name}", name.split(" - ")[0])
    commitment = cover.texts["commitment"].vi.replace("{name}", name.split(" - ")[0])
    return (
        environment()
        .get_template("dossier.html.j2")
        .render(v=view, intro=intro, commitment=commitment)
    )


def render_memo_html(view: DossierView, a: Assessment) -> str:
    """The exemption memo: why no dossier is required, for the file legal keeps."""
    return environment().get_template("memo.html.j2").render(v=view, a=a)


def _stamp(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def render_pdf(html: str, *, as_of: date, attachments: list[tuple[str, bytes, str]]) -> bytes:
    """PDF/A-3b with the given files embedded as associated files, dated ``as_of``."""
    stamp = _stamp(as_of)
    files = [
        Attachment(
            string=content,
            name=name,
            description=description,
            relationship="Source",
            created=stamp,
            modified=stamp,
        )
        for name, content, description in attachments
    ]
    css = CSS(string=template_source("dossier.css"), url_fetcher=NothingFetcher())
    document = HTML(string=html, base_url=TEMPLATE_BASE, url_fetcher=NothingFetcher())
    pdf: bytes = document.write_pdf(
        stylesheets=[css], pdf_variant="pdf/a-3b", pdf_tags=True, attachments=files
    )
    return pdf
