"""The assessment as a readable terminal report (rich tables)."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from dtia.assessment import Assessment

SEVERITY_STYLE = {
    "blocker": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}
STATUS_STYLE = {"overdue": "bold red", "due_soon": "yellow", "upcoming": "green", "met": "dim"}
LEVEL_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "green",
}


def _cites(citations: list[str]) -> str:
    return "; ".join(citations)


def render(a: Assessment, console: Console) -> None:
    app = a.applicability
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("Transfer", a.transfer_id)
    head.add_row("As of", a.as_of.isoformat())
    head.add_row("Rules", a.rules_version)
    head.add_row("Cross-border transfer", "yes" if app.cross_border_transfer else "no")
    head.add_row("Limbs", ", ".join(app.limbs) or "none")
    if app.dossier_required:
        verdict = Text(f"REQUIRED — file with cover Form {app.cover_form}", style="bold red")
    elif app.exemption:
        verdict = Text(
            f"not required — exemption '{app.exemption.code}' holds "
            f"({_cites(app.exemption.citations)})",
            style="bold green",
        )
    elif app.prior_dossier:
        verdict = Text(
            f"not required — prior dossier ({app.prior_dossier}); updates apply", style="bold green"
        )
    else:
        verdict = Text("not required — no transfer", style="bold green")
    head.add_row("Dossier", verdict)
    head.add_row("Basis", _cites(app.citations))
    for reason in app.reasons:
        head.add_row("", Text(reason, style="dim"))
    for claim in app.rejected_exemption_claims:
        head.add_row(
            Text("Rejected claim", style="red"),
            f"{claim.code}: {claim.reason} ({_cites(claim.citations)})",
        )
    console.print(Panel(head, title="dtia assessment", expand=False))

    if a.deadlines:
        t = Table(title="Statutory deadlines", title_justify="left")
        for col in ("Kind", "Due", "Legal end", "Status", "Owed by", "Articles"):
            t.add_column(col, overflow="fold")
        for d in a.deadlines:
            status = Text(
                d.status + (" (uncertain)" if d.uncertain else ""), style=STATUS_STYLE[d.status]
            )
            t.add_row(
                d.kind,
                d.due.isoformat(),
                d.legal_end.isoformat(),
                status,
                d.owed_by,
                _cites(d.citations),
            )
        console.print(t)

    if a.required_sections:
        console.print(
            Text("Form 09 sections required: ", style="bold") + Text(", ".join(a.required_sections))
        )

    r = a.risk
    risk = Table(
        title=Text.assemble(
            "Risk: inherent ",
            (f"{r.inherent.score} {r.inherent.level}", LEVEL_STYLE[r.inherent.level]),
            ", residual ",
            (f"{r.residual.score} {r.residual.level}", LEVEL_STYLE[r.residual.level]),
        ),
        title_justify="left",
    )
    for col, kw in (
        ("Criterion", {}),
        ("Inherent", {"justify": "right"}),
        ("Residual", {"justify": "right"}),
        ("Why", {}),
        ("Articles", {}),
    ):
        risk.add_column(col, overflow="fold", **kw)  # type: ignore[arg-type]
    for c in r.contributions:
        risk.add_row(
            c.criterion, str(c.inherent_points), str(c.points), c.reason, _cites(c.citations)
        )
    if r.contributions:
        console.print(risk)

    if a.findings:
        f = Table(title=f"Findings ({len(a.findings)})", title_justify="left", show_lines=True)
        for col in ("Severity", "Finding", "What and why", "Remedy", "Articles"):
            f.add_column(col, overflow="fold")
        for x in a.findings:
            f.add_row(
                Text(x.severity, style=SEVERITY_STYLE[x.severity]),
                Group(Text(x.id, style="bold"), Text(x.subject, style="dim")),
                x.message,
                x.remedy,
                _cites(x.citations),
            )
        console.print(f)

    if a.gaps:
        g = Table(title=f"Form 09 fields still missing ({len(a.gaps)})", title_justify="left")
        for col in ("Field", "What is missing", "Articles"):
            g.add_column(col, overflow="fold")
        for gap in a.gaps:
            g.add_row(gap.field, gap.message, _cites(gap.citations))
        console.print(g)

    for p in a.pending:
        who = f" ({p.recipient})" if p.recipient else ""
        console.print(Text(f"Waiting for: {p.kind}{who} — {p.message}", style="yellow"))
