"""The message catalogue: every message in the code and templates is in every language it
needs, translations keep their placeholders, and dates and times read as each language
writes them (dd/mm/yyyy in Vietnamese, always in Vietnam's time)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from dtia.i18n import (
    LANGUAGES,
    RECIPIENT,
    STAFF_LANGUAGES,
    catalogue_path,
    language,
    recipient_language,
    translator,
)

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{(\w*)\}")


@cache
def _extracted() -> dict[tuple[str | None, str], str | tuple[str, ...]]:
    """Every message the code and templates ask the catalogue for, as babel.cfg finds them."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[tuple[str | None, str], str | tuple[str, ...]] = {}
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        singular = message[0] if isinstance(message, tuple) else message
        found[(context, singular)] = message
    return found


def _catalogue(lang: str):  # type: ignore[no-untyped-def]
    with (ROOT / "dtia" / catalogue_path(lang)).open("rb") as po:  # type: ignore[arg-type]
        return read_po(po, locale=lang)


def test_the_code_asks_for_messages_the_extractor_finds() -> None:
    found = _extracted()
    assert (RECIPIENT, "Dear {name},") in found
    assert (None, "Statutory deadlines: {overdue} overdue, {soon} due soon") in found
    assert (RECIPIENT, "{time} (Vietnam time)") in found  # from dtia.i18n itself


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_has_every_language(lang: str) -> None:
    """Vietnamese and English have every message, Japanese every one recipients read; none
    is fuzzy, none is left over from code that is gone, and placeholders survive."""
    found = _extracted()
    catalogue = _catalogue(lang)
    entries = {
        (m.context, m.id[0] if isinstance(m.id, tuple) else m.id): m for m in catalogue if m.id
    }
    needed = {k for k in found if lang in STAFF_LANGUAGES or k[0] == RECIPIENT}
    missing = sorted(str(k) for k in needed - set(entries))
    assert missing == [], f"{lang}: messages missing from {catalogue_path(lang)}"
    stale = sorted(str(k) for k in set(entries) - set(found))
    assert stale == [], f"{lang}: messages no code asks for"
    for key in needed:
        entry = entries[key]
        assert not entry.fuzzy, f"{lang}: {key} is fuzzy"
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if lang != "en":  # English may leave a msgstr empty: the msgid is the English text
            assert all(strings), f"{lang}: {key} is not translated"
        wanted = set(PLACEHOLDER.findall(key[1]))
        for s in strings:
            if s:
                assert set(PLACEHOLDER.findall(s)) == wanted, f"{lang}: {key} -> {s!r}"


def test_translations_come_from_the_catalogue() -> None:
    vi, en, ja = translator("vi"), translator("en"), translator("ja")
    assert vi.pgettext(RECIPIENT, "Dear {name},") == "Kính gửi {name},"
    assert ja.pgettext(RECIPIENT, "Dear {name},") == "{name} 様"
    assert en.pgettext(RECIPIENT, "Dear {name},") == "Dear {name},"
    assert vi.gettext("OVERDUE") == "QUÁ HẠN"
    # plural forms: Vietnamese has one, English two
    one = "Due {due} (legal end {legal_end}): {days} day left."
    many = "Due {due} (legal end {legal_end}): {days} days left."
    assert en.ngettext(one, many, 1) == one and en.ngettext(one, many, 3) == many
    assert vi.ngettext(one, many, 1) == vi.ngettext(one, many, 3)
    assert "còn {days} ngày" in vi.ngettext(one, many, 3)


def test_dates_and_times_per_language_in_vietnam_time() -> None:
    day = date(2026, 3, 4)
    assert translator("vi").date(day) == "04/03/2026"
    assert translator("en").date(day) == "4 Mar 2026"
    assert translator("ja").date(day) == "2026/03/04"
    late_utc = datetime(2026, 3, 4, 20, 30, tzinfo=UTC)  # already the 5th in Hanoi
    assert translator("vi").time(late_utc) == "03:30 ngày 05/03/2026 (giờ Việt Nam)"
    assert translator("en").time(late_utc) == "5 Mar 2026, 03:30 (Vietnam time)"
    assert translator("ja").time(late_utc) == "2026/03/05 03:30（ベトナム時間）"


def test_languages_fall_back_to_vietnamese_and_recipients_get_theirs() -> None:
    assert [language(v) for v in ("en-US", "ja_JP", "VI", "fr", "", None)] == [
        "en",
        "ja",
        "vi",
        "vi",
        "vi",
        "vi",
    ]
    assert translator("de").lang == "vi"
    assert [recipient_language(c) for c in ("JP", "vn", "US", "SG")] == ["ja", "vi", "en", "en"]


def test_the_catalogues_load_from_the_package_without_a_compile_step() -> None:
    """Only the .po text is in the repository; nothing compiled is needed or kept."""
    assert not list((ROOT / "dtia" / "locale").rglob("*.mo"))
    for lang in LANGUAGES:
        assert (ROOT / "dtia" / catalogue_path(lang)).is_file()
