"""The one exception tree of dtia.

    DtiaError                      anything dtia raises on purpose
    ├── IntakeError                the intake file is unreadable or invalid (CLI exit 2)
    │                              carries every problem, each with its key path
    ├── RulesError                 the law data is missing, malformed or not in force
    ├── AssessmentError            the engine cannot assess these facts at that date
    ├── SigningError               a PDF cannot be signed, or its signatures cannot be read
    ├── PolicyError                a published policy or notice cannot be read (CLI exit 2):
    │                              not UTF-8, an unreadable PDF, no text; names the file
    └── SigningInputError          a signing or verifying option is unusable (CLI exit 2):
                                   wrong passphrase or PIN, unreadable key or trust file,
                                   no such token or key; ``option`` names which one

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


# Problems listed at most: past that, a count. A file with a million bad items must not
# print a million lines (or send them in one HTTP response).
MAX_PROBLEMS = 50


class IntakeError(DtiaError):
    """The intake is invalid; ``problems`` lists the problems found, not just the first: every
    one up to ``MAX_PROBLEMS``, and ``total`` counts them all."""

    def __init__(self, source: str, problems: list[Problem], *, total: int | None = None) -> None:
        self.source = source
        self.problems = problems[:MAX_PROBLEMS]
        self.total = max(len(problems), total or 0)
        noun = "problem" if self.total == 1 else "problems"
        lines = [f"  - {p}" for p in self.problems]
        if self.more:
            lines.append(f"  … {more_problems(self.more)}")
        text = "\n".join(lines)
        super().__init__(f"{source}: invalid intake, {self.total} {noun}:\n{text}")

    @property
    def more(self) -> int:
        """How many problems were found beyond those listed."""
        return self.total - len(self.problems)


def more_problems(count: int) -> str:
    return f"and {count} more problem{'s' if count != 1 else ''}"


class RulesError(DtiaError):
    """The law data cannot be loaded or does not cover the requested date."""


class AssessmentError(DtiaError):
    """The facts cannot be assessed (for example a date before the law applies)."""


class PolicyError(DtiaError):
    """A policy or notice to check cannot be read; ``source`` is its name as the user gave it
    (never a server path), ``line`` where the problem is, when known."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        self.source = source
        self.message = message
        self.line = line
        where = f"{source} (line {line})" if line is not None else source
        super().__init__(f"{where}: {message}")


class SigningError(DtiaError):
    """A PDF cannot be signed, or the signatures in it cannot be read."""


class SigningInputError(DtiaError):
    """A signing or verifying option is unusable; ``option`` names it (``pkcs12``,
    ``passphrase``, ``pkcs11_lib``, ``token_label``, ``key_label``, ``pin`` or ``trust``)
    so each edge can say which of its own inputs to fix."""

    def __init__(self, option: str, message: str) -> None:
        self.option = option
        self.message = message
        super().__init__(f"{option}: {message}")
