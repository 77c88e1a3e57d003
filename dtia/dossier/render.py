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
import regex
from markupsafe import Markup, escape
from weasyprint import CSS, HTML, Attachment
from weasyprint.urls import URLFetcher, URLFetcherResponse

from dtia.assessment import Assessment
from dtia.dossier.memo import MemoView
from dtia.dossier.view import NOT_PROVIDED, DossierView
from dtia.readiness import Readiness

TEMPLATE_BASE = "dtia-template:/"  # a scheme of our own: nothing else resolves against it

# A run of LONG_RUN characters or more without a space (a hash, a key, a pasted blob) gets a
# break opportunity every BREAK_EVERY characters, so it wraps inside its line or table cell.
# The stylesheet's ``overflow-wrap: break-word`` alone would break it too, but WeasyPrint
# then lays the text box out again from its start for every line it breaks off, and measures
# a table cell's narrowest width once per break opportunity over the rest of the box: both
# quadratic in the token's length (5,000 characters: 17 s). The opportunities are zero-width
# spaces, and every BOX_EVERY of them a <wbr> element instead (the same opportunity), which
# ends the text box: each box stays short and the layout linear. Words shorter than
# LONG_RUN, so all normal text, are printed as they are. No-break spaces do not end a run:
# no line breaks at them either.
LONG_RUN = 64
BREAK_EVERY = 16
BOX_EVERY = 16
_LONG_RUN = regex.compile(rf"(?:\S|[\u00a0\u2007\u202f]){{{LONG_RUN},}}")
_PIECES = regex.compile(rf"\X{{1,{BREAK_EVERY}}}")  # whole graphemes: never split a mark off
_ZWSP = Markup("\u200b")
_WBR = Markup("<wbr>")


def _broken(run: str) -> Markup:
    out: list[str] = []
    for index, piece in enumerate(_PIECES.findall(run)):
        if index:
            out.append(_WBR if index % BOX_EVERY == 0 else _ZWSP)
        out.append(escape(piece))
    return Markup("").join(out)


def breakable(value: object) -> object:
    """Jinja's ``finalize``: printed text, with break opportunities in its long runs.

    Markup (a macro's output, or ``plain``) passes as it is: its own values were finalized
    when it was built."""
    if not isinstance(value, str) or isinstance(value, Markup) or not _LONG_RUN.search(value):
        return value
    out: list[str] = []
    last = 0
    for run in _LONG_RUN.finditer(value):
        out.append(escape(value[last : run.start()]))
        out.append(_broken(run.group()))
        last = run.end()
    out.append(escape(value[last:]))
    return Markup("").join(out)


def plain(value: object) -> Markup:
    """Escaped text without break opportunities, for text that is not laid out (``<title>``,
    attributes), where a ``<wbr>`` would be printed literally."""
    return escape(value)


def template_source(name: str) -> str:
    return resources.files("dtia_templates").joinpath(name).read_text(encoding="utf-8")


def environment(folder: str = "", *, pdf: bool = False) -> jinja2.Environment:
    """Strict, autoescaping templates from ``templates/`` (or a ``folder/`` in it); with
    ``pdf``, long unbroken runs in printed values get break opportunities (``breakable``)."""
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: template_source(folder + name)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=breakable if pdf else None,
    )
    env.globals["not_provided"] = NOT_PROVIDED
    env.filters["plain"] = plain
    return env


class NothingFetcher(URLFetcher):  # type: ignore[misc]
    """Refuses every URL (file, http, data, ...): the stylesheet is passed in directly and
    fonts come from fontconfig, so a dossier never loads anything named in its input."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        raise ValueError(f"refused to fetch {url!r}: dossiers load nothing from outside")


# The marking of the review pack, on every page: it is legal's working file, not the filing.
REVIEW_MARKING = "TÀI LIỆU NỘI BỘ – BẢO MẬT / Privileged and confidential – internal"
DRAFT_WATERMARK = "BẢN NHÁP – chưa nộp"


def _cover_texts(view: DossierView) -> tuple[str, str]:
    cover = view.cover
    intro = cover.texts["intro"].vi.replace("{name}", cover.org_name)
    commitment = cover.texts["commitment"].vi.replace("{name}", cover.org_name)
    return intro, commitment


def document_title(view: DossierView, pack: str) -> str:
    """The PDF's title (its metadata), in Vietnamese: the dossier's own name from Form 09,
    the transferor's name, and which document of the pack it is."""
    texts = view.texts
    name = f"{texts['form09_title_1'].vi} {texts['form09_title_2'].vi}".capitalize()
    who = view.cover.org_name or None
    base = f"{name} – {who}" if who else name
    return {
        "filing": base,
        "filing-draft": f"Bản nháp – {base}",
        "review": f"Hồ sơ rà soát nội bộ – {base}",
    }[pack]


def render_filing_html(view: DossierView, *, draft: bool = False) -> str:
    """The filing pack (cover notice and Form 09, as filed), or with ``draft`` its
    watermarked draft."""
    intro, commitment = _cover_texts(view)
    return (
        environment(pdf=True)
        .get_template("filing.html.j2")
        .render(
            v=view,
            intro=intro,
            commitment=commitment,
            draft=draft,
            title=document_title(view, "filing-draft" if draft else "filing"),
        )
    )


def conservative_readings(a: Assessment) -> list[str]:
    """The readings taken where the law is uncertain: the filing route's notes and every
    finding or deadline that says it reads the law conservatively."""
    out = [note for ch in a.filing_channels for note in ch.notes if "UNCERTAIN" in note]
    out += [f"{f.id}: {f.message}" for f in a.findings if "UNCERTAIN" in f.message]
    out += [
        f"{d.label or d.kind.replace('_', ' ')}: due {d.due.isoformat()} on the conservative "
        f"reading ({'; '.join(d.citations)})"
        for d in a.deadlines
        if d.uncertain
    ]
    return list(dict.fromkeys(out))


def render_review_html(
    view: DossierView, a: Assessment, ready: Readiness, criteria: dict[str, str]
) -> str:
    """The review pack: the decision and its working, then the dossier as it would be filed
    and the English annex; ``criteria`` names each risk criterion."""
    intro, commitment = _cover_texts(view)
    return (
        environment(pdf=True)
        .get_template("review.html.j2")
        .render(
            v=view,
            a=a,
            r=ready,
            criteria=criteria,
            readings=conservative_readings(a),
            intro=intro,
            commitment=commitment,
            marking=REVIEW_MARKING,
            title=document_title(view, "review"),
        )
    )


def render_memo_html(memo: MemoView) -> str:
    """The exemption memo: why no dossier is required, for the file legal keeps."""
    return environment(pdf=True).get_template("memo.html.j2").render(m=memo)


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
