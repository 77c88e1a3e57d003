"""A disclosure check as a table a lawyer reads: each item, the answer, the evidence."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from dtia.policy.result import ItemResult, PolicyCheck

SHOWN = 3  # evidence passages shown per item; --json has them all
LAW = {"vn": "Vietnam", "jp": "Japan (APPI)"}


def _answer(r: ItemResult) -> Text:
    if r.disclosed is None:
        return Text("n/a", style="dim")
    if not r.disclosed:
        return Text("NO", style="bold red")
    if r.missing:
        return Text("partly", style="yellow")
    return Text("yes", style="green")


def _where(line: int, page: int | None) -> str:
    return f"p.{page} line {line}" if page is not None else f"line {line}"


def _evidence(r: ItemResult) -> Text:
    out = Text()
    for e in r.evidence[:SHOWN]:
        out.append(f"{_where(e.line, e.page)}: ", style="bold")
        out.append(f"\u201c{e.quote}\u201d\n")
    if len(r.evidence) > SHOWN:
        out.append(f"(+{len(r.evidence) - SHOWN} more passages)\n", style="dim")
    if r.details:
        out.append("found: " + ", ".join(r.details) + "\n", style="cyan")
    if r.missing:
        out.append("not named: " + ", ".join(r.missing) + "\n", style="yellow")
    for e in r.contrary[:SHOWN]:
        out.append(f"{_where(e.line, e.page)} (denies it): ", style="bold red")
        out.append(f"\u201c{e.quote}\u201d\n")
    if r.disclosed is False and not r.contrary:
        out.append("not found\n", style="red")
    for note in r.notes if r.disclosed is not None else ():
        out.append(f"note: {note}\n", style="dim")
    out.rstrip()
    return out


def render_check(check: PolicyCheck, console: Console) -> None:
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("Policy", check.file)
    head.add_row("As of", check.as_of.isoformat())
    head.add_row("Languages", ", ".join(check.languages) or "none found")
    current = check.item("current_law")
    if check.outdated:
        verdict = Text("OUTDATED: it does not cite the law in force", style="bold red")
    elif current.disclosed is None:
        verdict = Text("no Vietnamese-law part", style="dim")
    else:
        verdict = Text("current", style="green")
    head.add_row("Policy status", verdict)
    lacking = check.lacking()
    head.add_row("Not disclosed", ", ".join(r.key for r in lacking) if lacking else "nothing")
    console.print(head)
    for law in ("vn", "jp"):
        rows = [r for r in check.items if r.law == law]
        if all(r.disclosed is None for r in rows):
            what = "Japanese" if law == "jp" else "English or Vietnamese"
            console.print(
                Text(
                    f"{LAW[law]}: the document has no {what} text, these items do not apply.",
                    style="dim",
                )
            )
            continue
        table = Table(
            title=f"Disclosures under the law of {LAW[law]}", show_lines=True, expand=True
        )
        table.add_column("Item", ratio=2)
        table.add_column("Disclosed", ratio=1)
        table.add_column("Evidence", ratio=7, overflow="fold")  # Japanese has no spaces to wrap at
        table.add_column("Citations", ratio=2)
        for r in rows:
            table.add_row(
                Text(f"{r.label_en}\n", style="bold").append(r.key, style="dim"),
                _answer(r),
                _evidence(r),
                "\n".join(r.citations),
            )
        console.print(table)
