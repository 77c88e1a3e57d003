"""Languages: the message catalogue, and dates and times the way each language writes them.

Messages are gettext catalogues kept as text, ``dtia/locale/{vi,en,ja}/LC_MESSAGES/dtia.po``,
read and compiled in memory by Babel the first time a language is asked for: nothing to
compile before a clone or a wheel works, and nothing compiled is kept in the repository.

The source text (the msgid) is English; ``en`` may leave a msgstr empty to mean "as
written". Vietnamese comes first for everyone in Vietnam; English second. What overseas
recipients read is marked with the context ``recipient`` (``pgettext("recipient", ...)``)
and exists in Japanese too (the Japanese catalogue lists every message, as ``pybabel
update`` writes it, and leaves the others empty: they show in English) (the context is written out as the literal ``"recipient"`` at each call: the
extractor reads only literals). ``tests/test_i18n.py`` extracts every message from the code and
templates (``babel.cfg``) and fails on any missing from a catalogue: adding a message means
adding its ``msgid`` and translations to the ``.po`` files (``pybabel extract`` and
``pybabel update``, see the README), nothing else.

Dates: dd/mm/yyyy in Vietnamese; times are shown in Asia/Ho_Chi_Minh, whatever zone they
come in. Pure: no clock, no I/O beyond reading the packaged catalogues.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

Language = Literal["vi", "en", "ja"]
LANGUAGES: tuple[Language, ...] = ("vi", "en", "ja")
DEFAULT: Language = "vi"
# Staff (compliance officers, legal, auditors) read Vietnamese or English; recipients also
# Japanese. Messages in the context RECIPIENT (what recipients read, and what everyone
# reads, such as the time zone after a time) must exist in every language.
STAFF_LANGUAGES: tuple[Language, ...] = ("vi", "en")
RECIPIENT = "recipient"
DOMAIN = "dtia"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

# How each language writes a day and a moment (CLDR patterns, Babel's syntax).
_DATE = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy", "ja": "yyyy/MM/dd"}
_TIME = {"vi": "HH:mm 'ngày' dd/MM/yyyy", "en": "d MMM yyyy, HH:mm", "ja": "yyyy/MM/dd HH:mm"}

# Recipients are written to in their country's language when dtia has it, else English.
_COUNTRY_LANGUAGE: dict[str, Language] = {"VN": "vi", "JP": "ja"}


def language(value: str | None) -> Language:
    """``value`` when it names a supported language (``vi``, ``en-US``, ``ja_JP``), else the
    default: an unknown or missing preference never fails."""
    code = (value or "").replace("_", "-").split("-")[0].strip().lower()
    for known in LANGUAGES:
        if code == known:
            return known
    return DEFAULT


def recipient_language(country: str) -> Language:
    """The language dtia writes to a recipient in, from its country (ISO 3166 alpha-2)."""
    return _COUNTRY_LANGUAGE.get(country.upper(), "en")


def catalogue_path(lang: Language) -> str:
    """Where a language's catalogue lives inside the package (for tools and tests)."""
    return f"locale/{lang}/LC_MESSAGES/{DOMAIN}.po"


@cache
def _translations(lang: Language) -> gettext.GNUTranslations:
    source = resources.files("dtia").joinpath(catalogue_path(lang))
    with source.open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out: they are not translations yet
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@dataclass(frozen=True)
class Translator:
    """Messages, dates and times in one language."""

    lang: Language

    @property
    def _catalogue(self) -> gettext.GNUTranslations:
        return _translations(self.lang)

    def gettext(self, message: str) -> str:
        return self._catalogue.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._catalogue.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self._catalogue.pgettext(context, message)

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return self._catalogue.npgettext(context, singular, plural, n)

    def date(self, day: date) -> str:
        """22/11/2026 in Vietnamese, 22 Nov 2026 in English, 2026/11/22 in Japanese."""
        return format_date(day, _DATE[self.lang], locale=self.lang)

    def time(self, moment: datetime) -> str:
        """A moment in Vietnam's time, with the zone said: 10:00 ngày 22/11/2026 (giờ Việt Nam)."""
        shown = format_datetime(moment, _TIME[self.lang], tzinfo=VIETNAM, locale=self.lang)
        return self.pgettext("recipient", "{time} (Vietnam time)").format(time=shown)


def translator(lang: str | None = None) -> Translator:
    """The translator of ``lang`` (``vi`` when it is missing or unsupported)."""
    return Translator(language(lang))
