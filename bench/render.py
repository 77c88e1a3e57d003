"""Benchmark: rendering the FPT example dossier, against WeasyPrint alone on the same HTML.

Prints one JSON object: {"pages", "render_seconds", "weasyprint_only_seconds", "ratio"}.
render_seconds covers the whole dossier build (assessment excluded): view-model, Jinja2,
WeasyPrint, embedded files and manifest. weasyprint_only_seconds renders the same final
HTML and stylesheet with WeasyPrint alone. Each figure is the best of --repeat runs.
Goal: ratio <= 1.15.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from datetime import date
from pathlib import Path

from isolation import own_environment
from pypdf import PdfReader
from weasyprint import CSS, HTML

from dtia.dossier.build import build, read_files
from dtia.dossier.render import NothingFetcher, render_html, template_source
from dtia.dossier.view import build_view
from dtia.engine import assess
from dtia.intake import load_intake
from dtia.law import load_rules

ROOT = Path(__file__).resolve().parent.parent
INTAKE = ROOT / "examples" / "fpt-smart-cloud-to-fpt-japan" / "intake.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    own_environment()  # it reads no register; nothing in the environment may change that
    as_of = date(2026, 11, 22)
    loaded = load_intake(INTAKE)
    assessment = assess(loaded, as_of)
    files = read_files(loaded, INTAKE.parent)
    build(loaded, assessment, files)  # warm up fonts and caches for both measurements

    full, alone = [], []
    pdf = b""
    for _ in range(args.repeat):
        start = time.perf_counter()
        pdf = build(loaded, assessment, files).pdf
        full.append(time.perf_counter() - start)

        html = render_html(build_view(loaded, assessment, load_rules(as_of)))
        css = CSS(string=template_source("dossier.css"), url_fetcher=NothingFetcher())
        start = time.perf_counter()
        HTML(string=html, url_fetcher=NothingFetcher()).write_pdf(
            stylesheets=[css], pdf_variant="pdf/a-3b", pdf_tags=True
        )
        alone.append(time.perf_counter() - start)

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    render_seconds, weasy_seconds = min(full), min(alone)
    print(
        json.dumps(
            {
                "pages": pages,
                "render_seconds": round(render_seconds, 3),
                "weasyprint_only_seconds": round(weasy_seconds, 3),
                "ratio": round(render_seconds / weasy_seconds, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
