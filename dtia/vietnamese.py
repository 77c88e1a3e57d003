"""Numbers, dates, countries and yes/no as a Vietnamese administrative text writes them.

Pure: Babel formats the numbers, pycountry's gettext catalogue names the countries, and the
law data's vocabulary (``vocabulary.yaml``) overrides the names official usage writes
differently ("Nhật Bản", not the catalogue's "Nhật"). No clock: dates are given.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from datetime import date
from functools import cache

import pycountry
from babel.dates import format_date
from babel.numbers import format_decimal

from dtia.law.models import Vocabulary


def number(n: int, lang: str = "vi") -> str:
    """250000 -> "250.000" (Vietnamese groups thousands with dots), "250,000" in English."""
    return str(format_decimal(n, locale="vi" if lang == "vi" else "en"))


def day(d: date, lang: str = "vi", *, word: bool = True) -> str:
    """The date as a Vietnamese document writes it: "ngày 25 tháng 02 năm 2026" (without
    its first word after a phrase that ends in it, such as "cấp ngày")."""
    if lang == "vi":
        return ("ngày " if word else "") + f"{d.day:02d} tháng {d.month:02d} năm {d.year}"
    return str(format_date(d, "d MMMM y", locale="en"))


def short_day(d: date) -> str:
    """25/02/2026: the day written inside a table cell or after "cấp ngày"."""
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


@cache
def _catalogue() -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["vi"])


def country(code: str, overrides: Mapping[str, str], lang: str = "vi") -> str:
    """A country by its name: the override official usage writes, else the ISO catalogue's."""
    found = pycountry.countries.get(alpha_2=code.upper())
    if found is None:
        return code
    english = str(getattr(found, "common_name", None) or found.name)
    if lang != "vi":
        return english
    return overrides.get(code.upper()) or _catalogue().gettext(str(found.name))


def yes_no(value: bool, vocabulary: Vocabulary, lang: str = "vi") -> str:
    phrase = vocabulary.phrases["yes_word" if value else "no_word"]
    return phrase.vi if lang == "vi" else phrase.en


def frequency(text: str, vocabulary: Vocabulary, lang: str = "vi") -> str | None:
    """A one-word frequency ("yearly") in words, or None when the text is the filer's own."""
    phrase = vocabulary.frequencies.get(text.strip().lower())
    if phrase is None:
        return None
    return phrase.vi if lang == "vi" else phrase.en
