"""Checks on free text that every input path shares: intakes, safeguards answers, the
questionnaire form, filing events, command-line options.

Control characters are refused rather than stripped: a NUL byte cannot be stored in
PostgreSQL, a bidirectional override (U+202E) makes the PDF show ``‮evil`` as "live",
and other C0/C1 codes garble terminals and logs. Refusing them says where the problem is;
silently removing them would change what the user wrote. Tab and newline are allowed in
text that may span lines (descriptions, notes), nowhere else.
"""

from __future__ import annotations

import re
import reprlib
import unicodedata

# C0 and C1 controls, DEL, the bidirectional embeddings, overrides and isolates
# (U+202A-U+202E, U+2066-U+2069), and lone surrogates, which cannot be encoded as UTF-8.
_MULTILINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

# Quoted inputs in messages: long enough to recognise, never the whole of a huge value.
QUOTE_CHARS = 60


class _Quote(reprlib.Repr):
    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 128:  # builtins.repr fails past 4,300 digits
            return "a number of more than 38 digits"
        return super().repr_int(x, level)


_repr = _Quote()
_repr.maxstring = QUOTE_CHARS
_repr.maxother = QUOTE_CHARS
_repr.maxlong = 40
_repr.maxlist = _repr.maxtuple = _repr.maxset = _repr.maxdict = 5
_repr.maxlevel = 2


def control_problem(value: str, *, multiline: bool = True) -> str | None:
    """Why ``value`` is refused (its first control character), or None when it is fine."""
    found = (_MULTILINE if multiline else _SINGLE_LINE).search(value)
    if found is None:
        return None
    char = found.group()
    name = unicodedata.name(char, "")
    label = f"U+{ord(char):04X}" + (f" {name}" if name else "")
    return f"contains the control character {label} at character {found.start() + 1}; remove it"


def checked(value: str, *, multiline: bool = True) -> str:
    """``value`` itself, or ValueError naming its first control character (a pydantic
    validator raises it as a field error with its key path)."""
    problem = control_problem(value, multiline=multiline)
    if problem is not None:
        raise ValueError(problem)
    return value


def checked_line(value: str) -> str:
    """``checked`` for one-line text: names, references, paths."""
    return checked(value, multiline=False)


def quoted(value: object) -> str:
    """A value as it may appear in a message: repr'd, and cut to about 60 characters."""
    return _repr.repr(value)
