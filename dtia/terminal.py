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

    for ch in a.filing_channels:
        what = "Dossier" if ch.procedure == "initial_filing" else "Updates"
        until = f" to {ch.in_force_to.isoformat()}" if ch.in_force_to else ""
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        grid.add_row("Filed with", f"{ch.receiving_body_vi} — {ch.receiving_body}")
        grid.add_row("How", f"{ch.channels_vi} ({', '.join(ch.channels)})")
        grid.add_row("Processed by", f"{ch.processed_by_vi} — {ch.processed_by}")
        grid.add_row("In force", f"{ch.in_force_from.isoformat()}{until}")
        grid.add_row("Articles", _cites(ch.citations))
        for note in ch.notes:
            grid.add_row("", Text(note, style="dim"))
        console.print(Panel(grid, title=f"{what}: filing channel", title_align="left"))

    if a.continuing_duties:
        duties = Table(title="Continuing duties", title_justify="left", show_lines=True)
        for col in ("Duty", "What", "How", "Articles"):
            duties.add_column(col, overflow="fold")
        for duty in a.continuing_duties:
            duties.add_row(duty.id, duty.duty, duty.how, _cites(duty.citations))
        console.print(duties)

    if a.exposure:
        party = a.exposure[0].party
        # What every row shares (the limitation period, the notes on the text) is said once.
        shared = [n for n in a.exposure[0].notes if all(n in ex.notes for ex in a.exposure)]
        limits = sorted({ex.limitation for ex in a.exposure})
        e = Table(
            title=f"Sanctions exposure (internal; the fines an {party} faces)",
            title_justify="left",
            caption=" ".join([f"Limitation: {'; '.join(limits)}.", *shared]),
            caption_justify="left",
            show_lines=True,
        )
        for col in ("Finding", "Violation", "Fine", "If it leads to a leak", "Measures", "Notes"):
            e.add_column(col, overflow="fold")
        for ex in a.exposure:
            leak = ""
            if ex.revenue_fine is not None:
                rf = ex.revenue_fine
                share = (
                    f"{rf.percent_min}–{rf.percent_max}% of revenue ({rf.clause}; "
                    + " or ".join(rf.revenue_bases)
                    + ") or "
                    if rf.percent_min is not None
                    else ""
                )
                leak = (
                    f"on {rf.when}: {share}VND {rf.fallback.min_vnd:,}–{rf.fallback.max_vnd:,} "
                    f"({rf.fallback_clause})"
                )
            e.add_row(
                Group(Text(ex.finding, style="bold"), Text(ex.subject, style="dim")),
                f"{ex.clause}: {ex.violation}",
                f"VND {ex.fine.min_vnd:,}–{ex.fine.max_vnd:,}; {ex.ceiling}",
                leak,
                "; ".join(m.label for m in ex.measures),
                " ".join(n for n in ex.notes if n not in shared),
            )
        console.print(e)

    for appi in a.appi_notes:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        lacking = [*appi.joint_use_lacking, *appi.art28_lacking]
        grid.add_row("Notices read", ", ".join(appi.notices) or "none given")
        grid.add_row(
            "Its notice lacks",
            "; ".join(f"{i.label} ({', '.join(i.citations)})" for i in lacking) or "nothing",
        )
        grid.add_row(
            "Art 28 draft",
            f"{len(appi.regime)} paragraphs on Vietnam's regime and {len(appi.measures)} on "
            "the transferor's measures, in English and Japanese (appi_notes in --json)",
        )
        for n in appi.notes:
            grid.add_row("", Text(n, style="dim"))
        console.print(Panel(grid, title=f"APPI note: {appi.recipient_name}", title_align="left"))

    for p in a.pending:
        who = f" ({p.recipient})" if p.recipient else ""
        console.print(Text(f"Waiting for: {p.kind}{who} — {p.message}", style="yellow"))
