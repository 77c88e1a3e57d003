"""The one exception tree of dtia.

    DtiaError                      anything dtia raises on purpose
    ├── IntakeError                the intake file is unreadable or invalid (CLI exit 2)
    │                              carries every problem, each with its key path
    ├── RulesError                 the law data is missing, malformed or not in force
    └── AssessmentError            the engine cannot assess these facts at that date

Edges translate these: the CLI into exit codes and a message without a traceback,
flows into a failed Prefect state, the portal into HTTP status codes. Anything else
escaping is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass


class DtiaError(Exception):
    """Base class of every error dtia raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in an input, located by its key path (and line, when known)."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.path or "(top level)"
        if self.line is not None:
            where = f"{where} (line {self.line})"
        return f"{where}: {self.message}"


class IntakeError(DtiaError):
    """The intake is invalid; ``problems`` lists every problem found, not just the first."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: invalid intake, {count} {noun}:\n{lines}")


class RulesError(DtiaError):
    """The law data cannot be loaded or does not cover the requested date."""


class AssessmentError(DtiaError):
    """The facts cannot be assessed (for example a date before the law applies)."""
