"""Free text in Vietnamese, English or both (spec intake.md, "Language of free text").

What the authority receives is in Vietnamese; the English annex and the internal review
read English where it is given. A field the spec calls text therefore takes a plain string,
written in the intake's ``language`` (``vi`` by default), or a mapping ``{vi, en}`` with at
least one of the two. A plain string learns its language from the validation context
(``model_validate(data, context={"language": "en"})``); without one it is Vietnamese.

Text given in Vietnamese only is written back as the plain string it came from, so an
intake written before the mapping existed dumps, and hashes, exactly as it always did.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    GetJsonSchemaHandler,
    StringConstraints,
    ValidationInfo,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from dtia.text import checked
from dtia.yaml_limits import MAX_TEXT

Language = Literal["vi", "en"]
LANGUAGES: tuple[Language, ...] = ("vi", "en")
DEFAULT_LANGUAGE: Language = "vi"

# One language's text: the checks every free-text field has always had (dtia.text).
_Part = Annotated[
    str,
    StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=MAX_TEXT),
    AfterValidator(checked),
]


def context_language(info: ValidationInfo | None) -> Language:
    """The language plain strings are in: the context's ``language``, else Vietnamese."""
    context = info.context if info is not None else None
    language = context.get("language") if isinstance(context, dict) else None
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


class LocalText(BaseModel):
    """A text field in Vietnamese (``vi``, what is filed), English (``en``), or both."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    vi: _Part | None = None
    en: _Part | None = None

    @model_validator(mode="before")
    @classmethod
    def _plain_or_mapping(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, LocalText):
            return {"vi": data.vi, "en": data.en}
        if isinstance(data, str):
            # Checked here, so a problem is reported at the field's own key path.
            text = data.strip()
            if not text:
                raise ValueError("the text is empty")
            if len(text) > MAX_TEXT:
                raise ValueError(f"String should have at most {MAX_TEXT} characters")
            return {context_language(info): checked(text)}
        if isinstance(data, dict):
            # An empty language is as good as none: {vi: "", en: "..."} is English only.
            given = {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
            if not any(v is not None for k, v in given.items() if k in LANGUAGES):
                unknown = sorted(str(k) for k in data if k not in LANGUAGES)
                if unknown:
                    return given  # the unknown keys are reported, each at its key path
                raise ValueError("give the text in vi, en or both (at least one, not empty)")
            return given
        if isinstance(data, int | float) and not isinstance(data, bool):
            raise ValueError(
                f"expected text, but YAML read a number ({data!r}): put the value in quotes"
            )
        raise ValueError("expected text, or a mapping {vi: text, en: text}")

    @model_serializer(mode="plain")
    def _dump(self) -> str | dict[str, str]:
        if self.en is None and self.vi is not None:
            return self.vi  # as it was written before the mapping existed: same dump, same hash
        return {k: v for k, v in (("vi", self.vi), ("en", self.en)) if v is not None}

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        part = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT}
        return {
            "title": "LocalText",
            "description": "Text in the intake's `language` (plain string), or "
            "{vi, en} with at least one of the two; the filed dossier prints `vi`.",
            "anyOf": [
                part,
                {
                    "type": "object",
                    "properties": {"vi": part, "en": part},
                    "additionalProperties": False,
                    "minProperties": 1,
                },
            ],
        }

    def filed(self) -> str | None:
        """What the filed dossier prints: the Vietnamese, or None (a gap)."""
        return self.vi

    def annex(self) -> str:
        """What the English annex and the internal review print: English, else Vietnamese."""
        return self.en if self.en is not None else str(self)

    def __str__(self) -> str:
        # What a reader inside the company sees when nothing chose: Vietnamese first.
        text = self.vi if self.vi is not None else self.en
        return text or ""


KeyPath = tuple[str | int, ...]


def local_texts(node: Any, at: KeyPath = ()) -> Iterator[tuple[KeyPath, LocalText]]:
    """Every free text under ``node`` (a model, list or mapping), with its key path as the
    dump spells it (field aliases, list indexes)."""
    if isinstance(node, LocalText):
        yield at, node
    elif isinstance(node, BaseModel):
        for name, info in type(node).model_fields.items():
            yield from local_texts(getattr(node, name), (*at, info.alias or name))
    elif isinstance(node, list | tuple):
        for i, item in enumerate(node):
            yield from local_texts(item, (*at, i))
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from local_texts(item, (*at, str(key)))


def key_path(parts: KeyPath) -> str:
    """('recipients', 0, 'service') -> 'recipients[0].service'."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + part
    return out


def spelled_out(dumped: Any, model: BaseModel) -> Any:
    """A dump of ``model`` in which Vietnamese-only text is written ``{vi: ...}`` rather than
    as a plain string: for an intake whose plain strings are read in another language."""
    for parts, text in local_texts(model):
        if text.en is not None or text.vi is None:
            continue
        node = dumped
        for part in parts[:-1]:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                node = None
                break
        last = parts[-1] if parts else None
        held = (isinstance(node, dict) and last in node) or (
            isinstance(node, list) and isinstance(last, int) and last < len(node)
        )
        if held and isinstance(node[last], str):
            node[last] = {"vi": node[last]}
    return dumped


def text_of(value: LocalText | str | None) -> str | None:
    """Plain text of an optional field, as ``str`` would print it (None stays None)."""
    return None if value is None else str(value)
