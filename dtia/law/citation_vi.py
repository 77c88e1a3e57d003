"""Citations written the Vietnamese way, for text in Vietnamese.

The law data cites in one compact form ("Decree 356/2025 Art 17(3)(đ)"); a Vietnamese
reader expects "điểm đ khoản 3 Điều 17 Nghị định số 356/2025/NĐ-CP". The instrument's name
comes from the law data (``instruments.yaml``, its ``title_vi`` up to its number), so a
citation of an instrument the data does not hold is printed as it is written.
"""

from __future__ import annotations

import re

from dtia.law import Rules

_ARTICLE = re.compile(r"^(?P<inst>.+?) Art (?P<art>\d+)(?P<parts>(?:\([0-9a-zđ]+\))*)$")
_FORM = re.compile(r"^(?P<inst>.+?) Form (?P<form>\d{2}[ab]?)(?: §(?P<sec>\S+))?$")
_APPENDIX = re.compile(r"^(?P<inst>.+?) App (?P<app>I{1,2}(?:\.\d+)?)(?: §(?P<sec>\S+))?$")
# "Nghị định số 356/2025/NĐ-CP quy định chi tiết ..." -> "Nghị định số 356/2025/NĐ-CP".
_NAMED = re.compile(r"^.*? số \S+")


def instrument_vi(short: str, rules: Rules) -> str | None:
    """The Vietnamese name of the instrument cited as ``short`` ("Law 91/2025")."""
    for inst in rules.files.instruments:
        if inst.short == short:
            named = _NAMED.match(inst.title_vi)
            return named.group(0) if named else inst.title_vi
    return None


def _split(citation: str, rules: Rules) -> tuple[str, str] | None:
    """(where in the act, the act's name), or None for an act the law data does not name."""
    if m := _ARTICLE.match(citation):
        levels = re.findall(r"\(([0-9a-zđ]+)\)", m["parts"])
        words = [f"Điều {m['art']}"]
        if levels:
            words.insert(0, f"khoản {levels[0]}")
        if len(levels) > 1:
            words.insert(0, f"điểm {levels[1]}")
        where = " ".join(words)
    elif m := _FORM.match(citation):
        where = (f"mục {m['sec']} " if m["sec"] else "") + f"Mẫu số {m['form']}"
    elif m := _APPENDIX.match(citation):
        where = (f"mục {m['sec']} " if m["sec"] else "") + f"Phụ lục {m['app']}"
    else:
        return None
    name = instrument_vi(m["inst"], rules)
    return None if name is None else (where, name)


def vi_citation(citation: str, rules: Rules) -> str:
    """``citation`` as Vietnamese legal writing cites it (point, clause, article, act)."""
    split = _split(citation, rules)
    return citation if split is None else f"{split[0]} {split[1]}"


def vi_citations(citations: list[str] | tuple[str, ...], rules: Rules) -> str:
    """Several citations, the act named once after its articles, acts in order of first
    citation: "điểm b khoản 1 Điều 20, điểm d khoản 6 Điều 20 Luật ...; khoản 2 Điều 4 ..."."""
    acts: dict[str, list[str]] = {}
    for c in dict.fromkeys(citations):
        split = _split(c, rules)
        where, name = split if split is not None else (c, "")
        acts.setdefault(name, []).append(where)
    return "; ".join(
        ", ".join(wheres) + (f" {name}" if name else "") for name, wheres in acts.items()
    )
