"""Benchmark: rendering the FPT example dossier, against WeasyPrint alone on the same HTML.

Prints one JSON object: {"pages", "render_seconds", "weasyprint_only_seconds", "ratio",
"long_text"}. render_seconds covers the whole dossier build (assessment excluded): both packs
(the review pack and the filing pack, or its draft), with view-model, readiness, Jinja2,
WeasyPrint, embedded files and manifest. weasyprint_only_seconds renders the same two final
HTML documents and stylesheet with WeasyPrint alone. pages counts both packs. Each figure is
the best of --repeat runs. Goal: ratio <= 1.15.

long_text: the same dossier built once with a `security.measures` of each of --words
lengths (words of the example's own measures, repeated), as {"words", "pages",
"render_seconds"}; and with one unbroken token of --token characters in it. Goal: seconds
grow linearly with the length (about as pages do).
"""

from __future__ import annotations

import argparse
import io
import json
import time
from datetime import date
from pathlib import Path

import yaml
from isolation import own_environment
from pypdf import PdfReader
from weasyprint import CSS, HTML

from dtia.dossier.build import build, filing_html, read_files, review_html
from dtia.dossier.render import NothingFetcher, template_source
from dtia.engine import assess
from dtia.intake import LoadedIntake, load_intake, parse_intake
from dtia.law import load_rules

ROOT = Path(__file__).resolve().parent.parent
INTAKE = ROOT / "examples" / "fpt-smart-cloud-to-fpt-japan" / "intake.yaml"


def pages_of(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def with_measures(measures: str) -> LoadedIntake:
    data = yaml.safe_load(INTAKE.read_text(encoding="utf-8"))
    data["security"]["measures"] = measures
    return parse_intake(yaml.safe_dump(data, allow_unicode=True), str(INTAKE), INTAKE.parent)


def long_text(as_of: date, words: list[int], token: int) -> list[dict[str, object]]:
    base = str(load_intake(INTAKE).intake.security.measures or "")
    vocabulary = base.split()
    cases: list[tuple[str, int, str]] = [
        ("words", n, " ".join(vocabulary[i % len(vocabulary)] for i in range(n))) for n in words
    ]
    if token:
        cases.append(("token_characters", token, ("0123456789abcdef" * (token // 16 + 1))[:token]))
    out: list[dict[str, object]] = []
    for kind, size, measures in cases:
        loaded = with_measures(measures)
        assessment = assess(loaded, as_of)
        files = read_files(loaded, INTAKE.parent)
        start = time.perf_counter()
        made = build(loaded, assessment, files)
        seconds = time.perf_counter() - start
        pages = sum(pages_of(p.pdf) for p in made.packs)
        out.append({kind: size, "pages": pages, "render_seconds": round(seconds, 3)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--words",
        default="250,500,1000",
        help="lengths of the long security.measures, comma-separated ('' for none)",
    )
    parser.add_argument(
        "--token", type=int, default=9_000, help="characters of the unbroken token (0: none)"
    )
    args = parser.parse_args()
    own_environment()  # it reads no register; nothing in the environment may change that
    as_of = date(2026, 11, 22)
    loaded = load_intake(INTAKE)
    assessment = assess(loaded, as_of)
    files = read_files(loaded, INTAKE.parent)
    build(loaded, assessment, files)  # warm up fonts and caches for both measurements

    full, alone = [], []
    pages = 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        made = build(loaded, assessment, files)
        full.append(time.perf_counter() - start)
        pages = sum(pages_of(p.pdf) for p in made.packs)

        rules = load_rules(as_of)
        documents = [review_html(loaded, assessment, rules), filing_html(loaded, assessment, rules)]
        css = CSS(string=template_source("dossier.css"), url_fetcher=NothingFetcher())
        start = time.perf_counter()
        for html in documents:
            HTML(string=html, url_fetcher=NothingFetcher()).write_pdf(
                stylesheets=[css], pdf_variant="pdf/a-3b", pdf_tags=True
            )
        alone.append(time.perf_counter() - start)

    render_seconds, weasy_seconds = min(full), min(alone)
    words = [int(n) for n in args.words.split(",") if n.strip()]
    print(
        json.dumps(
            {
                "pages": pages,
                "render_seconds": round(render_seconds, 3),
                "weasyprint_only_seconds": round(weasy_seconds, 3),
                "ratio": round(render_seconds / weasy_seconds, 3),
                "long_text": long_text(as_of, words, args.token),
            }
        )
    )


if __name__ == "__main__":
    main()
