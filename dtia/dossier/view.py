"""The dossier view-model: everything the templates print, computed here, typed and pure.

Templates only loop and branch over these objects. Every label is law data: the official
wording of Forms 01a, 01b and 09 (``form_texts.yaml``, ``form09.yaml``) or the vocabulary
(``vocabulary.yaml``), each with its English for the annex; this module writes no wording
of its own. A value is the filer's text as given (``str``), or, where the dossier writes it
(numbers, dates, countries, roles, yes/no), a ``Text2`` in both languages. A value the
intake leaves empty is ``None`` and prints as "not provided"; the gaps box lists them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath
from typing import Literal

from dtia import vietnamese as vn
from dtia.applicability import CONTROLLER_ROLES
from dtia.assessment import Assessment, Finding
from dtia.dossier.analysis import Analysis, Block, overrides_from, write_analysis
from dtia.facts import derive_facts
from dtia.intake import Contact, Contract, LoadedIntake, Recipient, TransferIntake
from dtia.law import Rules, law_files
from dtia.law.models import FormText
from dtia.localtext import LocalText

Lang = Literal["vi", "en"]


@dataclass(frozen=True)
class Text2:
    """A label, or a value the dossier writes, in both languages."""

    vi: str
    en: str

    def __call__(self, lang: Lang) -> str:
        return self.vi if lang == "vi" else self.en


# A printed value: the filer's own text (the same in both parts), or words the dossier writes.
Val = str | Text2


@dataclass(frozen=True)
class Row:
    label: Text2
    value: Val | None  # None prints as "not provided"
    field: str = ""
    number: str = ""  # the form's numbering of the item ("1a", "9.1"), printed before it


@dataclass(frozen=True)
class Table:
    headers: list[Text2]
    rows: list[list[Val]]


@dataclass(frozen=True)
class Check:
    label: Text2
    ticked: bool


@dataclass(frozen=True)
class Item:
    # boxes: the form's "Có ☐ / Không: ☐" on one line; note: an instruction or chapeau;
    # para: what the filer declares in words (a numbered list is "text")
    kind: Literal[
        "row", "table", "checks", "boxes", "text", "note", "para", "analysis", "heading"
    ]
    row: Row | None = None
    table: Table | None = None
    checks: list[Check] = field(default_factory=list)
    text: list[Val] = field(default_factory=list)
    heading: Text2 | None = None
    block: Block | None = None  # a part of the §A.III analysis (dtia.dossier.analysis)
    # Printed in the review pack only, never in the filing pack: scores, finding codes and
    # the working of the assessment are no part of what the authority receives.
    internal: bool = False


@dataclass(frozen=True)
class Section:
    id: str
    number: str
    title: Text2
    items: list[Item]
    level: int = 2


@dataclass(frozen=True)
class Cover:
    form: Literal["01a", "01b"]
    form_label: str  # "Mẫu số 01a", printed where the official layout has it
    org_name: str  # what the intro and the commitment name the filer with (01a)
    org_header: str | None
    number_line: str | None  # "Số: …" under the organisation's name (01a)
    place: str
    dateline: str  # "Hà Nội, ngày … tháng … năm …": never as_of
    texts: dict[str, Text2]
    rows: list[Row]
    documents: list[Val]
    signature_title: str  # "TM. <TÊN TỔ CHỨC>" (01a), "NGƯỜI NỘP HỒ SƠ" (01b)
    signatory: str | None
    signatory_title: Val | None


@dataclass(frozen=True)
class DossierView:
    transfer_id: str
    title: str
    as_of: date
    rules_version: str
    cover: Cover
    texts: dict[str, Text2]
    gaps: list[Row]
    part_a: list[Section]
    part_b: list[Section]
    risk_rows: list[list[str]]
    findings: list[Finding]
    inherent: str
    residual: str
    # The engine's own §A.III, kept for the review where the officer's text replaced it.
    analysis: Analysis | None = None


def not_provided(lang: Lang) -> str:
    """What an empty value prints (the draft only: a filed dossier has none)."""
    phrase = law_files()[0].vocabulary.phrases["not_provided"]
    return phrase.vi if lang == "vi" else phrase.en


NOT_PROVIDED = not_provided


def _text(value: str | LocalText | None) -> Val | None:
    """The filer's free text, as printed: every read of intake text goes through here.

    Text given in two languages prints its Vietnamese in the Vietnamese part and its English
    in the annex (spec intake.md, "Language of free text"). Text without Vietnamese is a gap
    that keeps the filing pack from being ready; the draft and the review print what there is.
    """
    if value is None:
        return None
    if isinstance(value, LocalText):
        annex = value.annex()
        return Text2(value.vi or annex, annex) if (value.vi or annex) else None
    return value or None


def _t(rules: Rules, key: str, form: str) -> Text2:
    """A form's own wording for ``key``, else the wording shared by the forms."""
    found: dict[str, FormText] = {
        t.form: t for t in rules.files.form_texts if t.key == key and t.in_force(rules.on)
    }
    t = found.get(form) or found.get("any")
    if t is None:
        raise KeyError(f"no form text {key!r} for form {form}")
    return Text2(t.text_vi, t.text_en)


def _cap(t: Text2) -> Text2:
    """A phrase of the form's instructions used as a label: its first letter a capital."""
    return Text2(t.vi[:1].upper() + t.vi[1:], t.en[:1].upper() + t.en[1:])


def _phrase(rules: Rules, key: str, **fill: Val | int) -> Text2:
    """The vocabulary's sentence ``key`` with its blanks filled, in both languages."""
    p = rules.files.vocabulary.phrases[key]

    def side(lang: Lang) -> dict[str, str]:
        return {
            k: (
                v(lang) if isinstance(v, Text2) else vn.number(v, lang) if isinstance(v, int) else v
            )
            for k, v in fill.items()
        }

    return Text2(p.vi.format(**side("vi")), p.en.format(**side("en")))


def _term(rules: Rules, key: str) -> Text2:
    (t,) = [t for t in rules.files.vocabulary.terms if t.term == key and t.in_force(rules.on)]
    return Text2(t.text_vi, t.text_en)


def _role(rules: Rules, role: str) -> Text2:
    (r,) = [r for r in rules.files.vocabulary.roles if r.role == role and r.in_force(rules.on)]
    return Text2(r.text_vi, r.text_en)


def _country(rules: Rules, code: str) -> Text2:
    names = rules.files.vocabulary.countries
    return Text2(vn.country(code, names, "vi"), vn.country(code, names, "en"))


def _yes_no(rules: Rules, value: bool) -> Text2:
    voc = rules.files.vocabulary
    return Text2(vn.yes_no(value, voc, "vi"), vn.yes_no(value, voc, "en"))


def _num(n: int) -> Text2:
    return Text2(vn.number(n, "vi"), vn.number(n, "en"))


def _day(d: date) -> Text2:
    return Text2(vn.day(d, "vi"), vn.day(d, "en"))


def _join(parts: Sequence[Val | None], sep: str = "; ") -> Val | None:
    """Parts joined, in each language when any part is the dossier's own words. After a
    part that ends a sentence the next follows with a space, not the separator."""
    given = [p for p in parts if p]
    if not given:
        return None

    def joined(texts: list[str]) -> str:
        out = texts[0]
        for text in texts[1:]:
            out += (" " if out.endswith(".") and sep.strip() == ";" else sep) + text
        return out

    if all(isinstance(p, str) for p in given):
        return joined([p for p in given if isinstance(p, str)])
    return Text2(
        joined([p("vi") if isinstance(p, Text2) else p for p in given]),
        joined([p("en") if isinstance(p, Text2) else p for p in given]),
    )


def _field(rules: Rules, field_id: str) -> Text2:
    """A Form 09 field's label followed by its parenthetical instruction, as the form has it."""
    f = rules.field(field_id)
    if f.note_vi is None:
        return Text2(f.label_vi, f.label_en)
    return Text2(f"{f.label_vi} {f.note_vi}", f"{f.label_en} {f.note_en or ''}".strip())


def _number(field_id: str) -> str:
    """The form's own numbering of a field: A.I.1a -> 1a, A.II.9.1 -> 9.1, A.III.3.1 -> 3.1."""
    parts = field_id.split(".")
    return ".".join(parts[2:])


def _place(address: str) -> str:
    """The city line of "Hà Nội, ngày ... ": the address part before the country, if any."""
    home = {"vietnam", "viet nam", vn.country("VN", {}, "vi").casefold()}
    parts = [p.strip() for p in address.split(",") if p.strip()]
    parts = [p for p in parts if p.casefold() not in home]
    return parts[-1] if parts else "….."


def _row(rules: Rules, field_id: str, value: Val | None) -> Item:
    return Item("row", row=Row(_field(rules, field_id), value or None, field_id, _number(field_id)))


def _sub(rules: Rules, key: str, value: Val | None, form: str = "09") -> Item:
    """A sub-label of the form (no number of its own) and its value."""
    return Item("row", row=Row(_t(rules, key, form), value or None))


def _boxes(rules: Rules, value: bool | None) -> Item:
    """The form's "Có ☐ / Không: ☐", the box of the answer ticked (neither when unknown)."""
    return Item(
        "boxes",
        checks=[
            Check(_t(rules, "yes_box", "09"), value is True),
            Check(_t(rules, "no_box", "09"), value is False),
        ],
    )


def _none(rules: Rules) -> Item:
    """ "Không có": what a section that does not apply to this transfer says."""
    return Item("para", text=[_phrase(rules, "none")])


def _document(intake: TransferIntake, path: str | None) -> Val | None:
    """A file the intake names, by the title it gives it (else by its file name)."""
    if not path:
        return None
    for att in intake.attachments:
        if att.path == path:
            return _text(att.title)
    for p in intake.transferor.policies:
        if p.path == path:
            return _text(p.title)
    return PurePosixPath(path).name


def _recipient_plan(r: Recipient, rules: Rules) -> Val | None:
    """The recipient's safeguards answers: how it keeps the data safe (Art 18(3)(đ), (i))."""
    s = r.safeguards
    if s is None:
        return None
    parts: list[Val | None] = []
    if s.encryption_in_transit is not None or s.encryption_at_rest is not None:
        parts.append(
            _phrase(
                rules,
                "encryption",
                transit=_yes_no(rules, bool(s.encryption_in_transit)),
                rest=_yes_no(rules, bool(s.encryption_at_rest)),
            )
        )
    for key, value in (
        ("access_control", s.access_control),
        ("security_testing", s.security_testing),
        ("retention", s.retention_and_deletion),
        ("government_access", s.government_access_policy),
        ("local_law", s.local_law),
    ):
        if (text := _text(value)) is not None:
            parts.append(_phrase(rules, key, x=text))
    if s.incident_notification_hours is not None:
        parts.append(_phrase(rules, "breach_notice", n=s.incident_notification_hours))
    if s.data_subject_request_days is not None:
        parts.append(_phrase(rules, "subject_requests", n=s.data_subject_request_days))
    parts.append(_phrase(rules, "attested", who=s.attested_by, date=_day(s.attested_on)))
    return _join(parts)


def _onward(r: Recipient, intake: TransferIntake, rules: Rules) -> Val | None:
    """Decree 356 Art 18(3)(g): how the recipient may pass the data on, from the transfer's
    rule, the recipient's own controls and the contract clause that binds it."""
    parts: list[Val | None] = []
    rule = intake.transfer.onward_transfer
    if rule is not None:
        parts.append(_phrase(rules, "onward_allowed", yes_no=_yes_no(rules, rule.allowed)))
        parts.append(_text(rule.procedure))
    if r.safeguards is not None and (controls := _text(r.safeguards.onward_transfer_controls)):
        parts.append(_phrase(rules, "onward_controls", x=controls))
    if r.contract is not None and "onward_transfer_control" in r.contract.clauses:
        parts.append(_phrase(rules, "onward_clause", reference=r.contract.reference))
    return _join(parts)


# What the filed dossier never prints (the review keeps it): lateness, the sanctions a
# finding may draw (Decree 330/2026) and the Cybersecurity Law's storage duty (Decree
# 333/2026), which are no part of the Form 09 assessment the authority receives.
INTERNAL_FINDINGS = frozenset({"C1.filing-overdue"})
INTERNAL_INSTRUMENTS = ("Decree 330/2026", "Decree 333/2026")


def _internal(citation: str) -> bool:
    return citation.startswith(INTERNAL_INSTRUMENTS)


def filed_findings(a: Assessment) -> list[Finding]:
    """The findings the filed dossier may print."""
    return [
        f
        for f in a.findings
        if f.id not in INTERNAL_FINDINGS and not any(_internal(c) for c in f.citations)
    ]



def analysis_of(loaded: LoadedIntake, a: Assessment, rules: Rules) -> Analysis:
    """Form 09 §A.III as the form prescribes it (dtia.dossier.analysis), with the officer's
    own text where the intake's ``analysis`` gives it (spec intake.md)."""
    return write_analysis(
        derive_facts(loaded, rules),
        a,
        rules,
        overrides_from({str(k): v for k, v in (loaded.intake.analysis or {}).items()}),
    )


def _analysis_sections(analysis: Analysis) -> list[Section]:
    return [
        Section(
            s.id,
            s.number,
            Text2(s.title_vi, s.title_en),
            [Item("analysis", block=b) for b in s.blocks],
            level=3,
        )
        for s in analysis.sections
    ]



@dataclass(frozen=True)
class Formalities:
    """What the cover notice is signed with: place, date line, number and signatory."""

    place: str
    dateline: str
    number_line: str | None
    signatory: str | None
    signatory_title: Val | None


def _cover_formalities(intake: TransferIntake, form: str, rules: Rules) -> Formalities:
    """The cover's place, date, document number and signatory, from the intake's ``filing``
    (spec intake.md). Without ``filing.signed_on`` the date line is left blank for the
    signatory: a filed document is dated when it is signed, never with as_of."""
    t = intake.transferor
    filing = intake.filing
    place = str(filing.place) if filing and filing.place else _place(str(t.address))
    signed_on = filing.signed_on if filing else None
    date_line = vn.day(signed_on) if signed_on else _t(rules, "date_line", form).vi
    number = str(filing.document_number) if filing and filing.document_number else "……"
    rep = t.legal_representative
    signatory = filing.signatory if filing else None
    if signatory is not None:
        name: str | None = str(signatory.name)
        title: Val | None = _text(signatory.title)
    else:
        name = rep.name if rep else (t.name_vi if form == "01b" else None)
        title = _text(rep.title) if rep else None
    return Formalities(
        place=place,
        dateline=f"{place}, {date_line}",
        number_line=f"{_t(rules, 'number', '01a').vi} {number}" if form == "01a" else None,
        signatory=name,
        signatory_title=title,
    )


def _registration(intake: TransferIntake, form: str, rules: Rules) -> str | None:
    """ "số … do … cấp ngày … tháng … năm … tại …", filled from the registration."""
    t = intake.transferor
    reg = t.registration
    first = reg.number if form == "01a" and reg else t.id_number if form == "01b" else None
    if reg is None:
        return first
    words = [
        first,
        f"{_t(rules, 'registration_issuer', '01a').vi} {reg.issuer}"
        if form == "01a" and reg.issuer
        else None,
        (
            f"{_t(rules, 'registration_on', form).vi} "
            + (vn.day(reg.issued_on, word=False) if form == "01a" else vn.short_day(reg.issued_on))
        )
        if reg.issued_on
        else None,
        f"{_t(rules, 'registration_at', form).vi} {reg.place}" if reg.place else None,
    ]
    return " ".join(w for w in words if w) or None


def _cover(
    intake: TransferIntake, a: Assessment, rules: Rules, form: Literal["01a", "01b"]
) -> Cover:
    t = intake.transferor
    keys = ["motto_1", "motto_2", "title_1", "title_2", "notice_title", "addressee", "intro"]
    keys += ["part_1", "part_2", "part_3", "commitment", "signature_note", "signature_title"]
    texts = {key: _t(rules, key, form) for key in keys}
    if form == "01a":
        texts |= {k: _t(rules, k, "01a") for k in ("recipients_block", "recipients_as_above")}
        texts["filed_copy"] = _phrase(rules, "filed_copy")
    pdp = t.pdp
    if form == "01a":
        rows = [
            Row(_t(rules, "trade_name_vi", form), _join([t.name_vi, t.abbreviation], " - ")),
            Row(_t(rules, "trade_name_en", form), t.name_foreign),
            Row(_t(rules, "head_office", form), _text(t.address)),
            Row(_t(rules, "transaction_office", form), _text(t.transaction_address or t.address)),
            Row(_t(rules, "registration", form), _registration(intake, form, rules)),
            Row(_t(rules, "tax_code", form), t.tax_code),
            Row(_t(rules, "phone", form), t.phone),
            Row(_t(rules, "website", form), t.website),
            Row(_t(rules, "pdp", form), _text(pdp.unit_name) or pdp.name),
            Row(_t(rules, "pdp_name", form), pdp.name),
            Row(_t(rules, "pdp_title", form), _text(pdp.title)),
            Row(_t(rules, "pdp_phone", form), _join([pdp.unit_phone, pdp.phone], ", ")),
            Row(_t(rules, "pdp_email", form), pdp.email),
        ]
    else:
        rows = [
            Row(_t(rules, "person_name", form), t.name_vi),
            Row(_t(rules, "person_address", form), _text(t.address)),
            Row(_t(rules, "person_id", form), _registration(intake, form, rules)),
            Row(_t(rules, "person_phone", form), t.phone),
            Row(_t(rules, "person_email", form), t.email),
            Row(_t(rules, "person_workplace", form), _phrase(rules, "none")),
        ]
    documents: list[Val] = [_phrase(rules, "report")]
    documents += [
        _phrase(rules, "contract_copy", reference=r.contract.reference, party=r.name)
        for r in intake.recipients
        if r.contract
    ]
    documents += [title for p in t.policies if (title := _text(p.title))]
    documents += [
        title for att in intake.attachments if att.kind != "contract" if (title := _text(att.title))
    ]
    # A document not in Vietnamese is filed with its translation (spec intake.md, attachments).
    documents += [
        _phrase(rules, "translation_of", title=title)
        for att in intake.attachments
        if att.translation is not None and (title := _text(att.title)) is not None
    ]
    if (filing := intake.filing) and filing.signatory and filing.signatory.authorisation:
        documents.append(_phrase(rules, "authorisation_letter", name=str(filing.signatory.name)))
    formal = _cover_formalities(intake, form, rules)
    signature = (
        f"{_t(rules, 'on_behalf', '01a').vi} {t.name_vi.upper()}"
        if form == "01a"
        else texts["signature_title"].vi
    )
    return Cover(
        form=form,
        form_label=_t(rules, "form_label", form).vi,
        org_name=t.name_vi if form == "01a" else "",
        org_header=t.name_vi.upper() if form == "01a" else None,
        number_line=formal.number_line,
        place=formal.place,
        dateline=formal.dateline,
        texts=texts,
        rows=rows,
        documents=list(dict.fromkeys(documents)),
        signature_title=signature,
        signatory=formal.signatory,
        signatory_title=formal.signatory_title,
    )


def build_view(loaded: LoadedIntake, a: Assessment, rules: Rules) -> DossierView:
    """Everything the dossier prints, for one intake and its assessment."""
    intake = loaded.intake
    t = intake.transferor
    form = a.applicability.cover_form or ("01a" if t.kind == "organisation" else "01b")
    nine = {
        k: _t(rules, k, "09")
        for k in (
            "form_label",
            "form09_title_1",
            "form09_title_2",
            "part_a",
            "part_b",
            "part_a_iii",
        )
    }
    analysis = analysis_of(loaded, a, rules)  # written once: Form 09 §A.III and the review's
    part_a = _part_a(loaded, a, rules, analysis)
    part_b = _part_b(intake, a, rules)
    gaps = [Row(Text2(*rules.label_of(g.field)), g.message, g.field) for g in a.gaps]
    risk_rows = [
        [
            c.criterion,
            rules.criterion(c.criterion).name_en,
            str(c.inherent_points),
            str(c.points),
            c.reason,
            "; ".join(cite for cite in c.citations if not _internal(cite)),
        ]
        for c in a.risk.contributions
    ]
    return DossierView(
        transfer_id=intake.transfer.id,
        title=str(intake.transfer.title),
        as_of=a.as_of,
        rules_version=a.rules_version,
        cover=_cover(intake, a, rules, form),
        texts=nine,
        gaps=gaps,
        part_a=part_a,
        part_b=part_b,
        risk_rows=risk_rows,
        findings=filed_findings(a),
        inherent=f"{a.risk.inherent.score} ({a.risk.inherent.level})",
        residual=f"{a.risk.residual.score} ({a.risk.residual.level})",
        analysis=analysis,
    )


def _section_title(rules: Rules, section_id: str) -> Text2:
    s = rules.section(section_id)
    return Text2(s.label_vi, s.label_en)


def _section_note(rules: Rules, section_id: str) -> list[Item]:
    s = rules.section(section_id)
    return [Item("note", text=[Text2(s.note_vi, s.note_en or "")])] if s.note_vi else []


def _heading(rules: Rules, field_id: str) -> Item:
    return Item("heading", heading=_numbered(_number(field_id), _field(rules, field_id)))


def _numbered(number: str, label: Text2) -> Text2:
    return Text2(f"{number} {label.vi}", f"{number} {label.en}")


def _pdp_items(intake: TransferIntake, rules: Rules) -> list[Item]:
    """§A.I.8: the three ways of organising data protection, each under its heading, the
    one the transferor uses filled and the others "Không có"."""
    t = intake.transferor
    pdp = t.pdp
    items = [Item("heading", heading=_numbered("8", _t(rules, "a_i_8", "09")))]
    for kind, field_id in (
        ("external_org", "A.I.8.1"),
        ("external_individual", "A.I.8.2"),
        ("internal", "A.I.8.3"),
    ):
        items.append(_heading(rules, field_id))
        if pdp.kind != kind:
            items.append(_none(rules))
            continue
        contract = _document(intake, pdp.service_contract)
        if kind == "external_org":
            items += [
                _sub(rules, "pdp_org_name", pdp.name),
                _sub(rules, "pdp_org_tax_code", pdp.tax_code),
                _sub(rules, "pdp_org_representative", pdp.legal_representative),
                _sub(rules, "pdp_org_address", _text(pdp.address)),
                _sub(rules, "pdp_org_phone", pdp.phone),
                _sub(rules, "pdp_org_email", pdp.email),
                _sub(rules, "pdp_org_website", pdp.website),
                _sub(rules, "pdp_service_contract", contract),
            ]
        elif kind == "external_individual":
            headers = ["pdp_person_no", "pdp_person_name", "pdp_person_workplace"]
            headers += ["pdp_person_phone", "pdp_person_email"]
            row: list[Val] = ["1", pdp.name, _text(pdp.unit_name) or "—", pdp.phone, pdp.email]
            items.append(Item("table", table=Table([_t(rules, h, "09") for h in headers], [row])))
            items.append(_sub(rules, "pdp_service_contract", contract))
        else:
            items += [
                _sub(rules, "pdp_unit_name", _text(pdp.unit_name)),
                _sub(rules, "pdp_unit_phone", pdp.unit_phone),
                _sub(rules, "pdp_unit_email", pdp.unit_email),
                _sub(rules, "pdp_head", pdp.name),
                _sub(rules, "pdp_title", _text(pdp.title)),
                _sub(rules, "pdp_mobile", pdp.phone),
                _sub(rules, "pdp_personal_email", pdp.email),
                # The documents §A.I.8.3 asks for: the appointment, and the proof of the
                # Decree 356 Art 13(2) conditions (degree, two years' experience, training).
                Item(
                    "row",
                    row=Row(
                        _cap(_t(rules, "pdp_appointment", "09")),
                        _document(intake, pdp.appointment_document),
                    ),
                ),
                Item(
                    "row",
                    row=Row(
                        _cap(_t(rules, "pdp_qualifications", "09")),
                        _join([_document(intake, p) for p in pdp.qualification_documents]),
                    ),
                ),
            ]
    return items


def _t2_recipients(intake: TransferIntake) -> list[Recipient]:
    """Recipients abroad that use the data for their own purposes: a sending under Law 91
    Art 20(1)(b) that no box of §A.II.1 but 1.5 describes (1.4 is a sending through an
    intermediary in Vietnam)."""
    if intake.transfer.direction == "inbound":
        return []
    return [r for r in intake.recipients if r.role in CONTROLLER_ROLES]


def _t2_statement(intake: TransferIntake, a: Assessment, rules: Rules) -> Val | None:
    """What box 1.5 declares for a T2 sending: the limb in the Law's words, and to whom."""
    t2 = _t2_recipients(intake)
    if "T2" not in a.applicability.limbs or not t2:
        return None
    limb = rules.limb("T2")
    parties = _join(
        [
            _phrase(
                rules,
                "t2_party",
                name=r.name,
                role=_role(rules, r.role),
                country=_country(rules, r.country),
            )
            for r in t2
        ]
    )
    statement = _phrase(
        rules, "t2_other", limb=Text2(limb.label_vi, limb.label_en), parties=parties or ""
    )
    if intake.transfer.direction == "both":
        return _join([statement, _phrase(rules, "joint_use")], " ")
    return statement


def _activities(intake: TransferIntake, a: Assessment, rules: Rules) -> list[Item]:
    """§A.II.1: the box of every transfer activity that applies ticked, its subject groups
    and their counts under it; a T2 sending with no box of its own declared under 1.5."""
    items = [_heading(rules, "A.II.1")]
    groups = intake.data.subject_groups
    declared = set(intake.transfer.activities)
    t2 = _t2_statement(intake, a, rules)
    t2_groups = {
        f.subject_group for r in _t2_recipients(intake) for f in intake.flows if f.recipient == r.id
    }
    headers = [_t(rules, "subject_group", "09"), _t(rules, "subject_count", "09")]
    for act in rules.files.activities:
        if not act.in_force(rules.on):
            continue
        other = act.code == "other"
        ticked = act.code in declared or (other and t2 is not None)
        number = act.form_field.removeprefix("A.II.")
        # The form's box follows its label on the line: "1.5. Trường hợp khác (nêu cụ thể) ☐".
        items.append(
            Item(
                "boxes",
                checks=[Check(_numbered(f"{number}.", Text2(act.label_vi, act.label_en)), ticked)],
            )
        )
        if not ticked:
            continue
        members = [
            g
            for g in groups
            if (act.code in declared and (g.activities is None or act.code in g.activities))
            or (other and t2 is not None and g.name in t2_groups)
        ]
        if other:
            items.append(
                Item("para", text=[x for x in (_text(intake.transfer.activity_other), t2) if x])
            )
        items.append(
            Item(
                "table",
                table=Table(headers, [[_text(g.printed_label) or g.name, _num(g.count)] for g in members]),
            )
        )
    items.append(Item("note", text=[_t(rules, "subject_note", "09")]))
    return items


def _part_a(
    loaded: LoadedIntake, a: Assessment, rules: Rules, analysis: Analysis
) -> list[Section]:
    intake = loaded.intake
    t = intake.transferor
    out: list[Section] = []

    items = [
        _row(rules, "A.I.1", t.name_vi),
        _row(rules, "A.I.1a", t.name_foreign),
        _row(rules, "A.I.1b", _text(t.abbreviation)),
        _row(rules, "A.I.1c", t.tax_code if t.kind == "organisation" else t.id_number),
        _row(rules, "A.I.2", _text(t.address)),
        _row(rules, "A.I.3", t.phone),
        _row(
            rules,
            "A.I.4",
            _join(
                [
                    _phrase(rules, "industry_line", label=_text(b.label) or "", code=b.code)
                    for b in t.business_lines
                ]
            ),
        ),
        _row(rules, "A.I.5", _num(t.branch_count) if t.branch_count is not None else None),
        _row(rules, "A.I.6", t.email),
        _row(rules, "A.I.7", t.website),
        *_pdp_items(intake, rules),
    ]
    out.append(Section("A.I", "I.", _section_title(rules, "A.I"), items, level=2))

    # A.II
    items = _activities(intake, a, rules)
    recipients = {r.id: r.name for r in intake.recipients}
    items.append(_heading(rules, "A.II.2"))
    flow_headers = ["flow_subject", "flow_purpose", "flow_sensitive", "flow_processing"]
    items.append(
        Item(
            "table",
            table=Table(
                [_cap(_t(rules, h, "09")) for h in [*flow_headers, "flow_recipient"]],
                [
                    [
                        _text(intake.subject_label(f.subject_group)) or f.subject_group,
                        _text(f.purpose) or "—",
                        _yes_no(rules, f.includes_sensitive),
                        _text(f.post_transfer_processing) or "—",
                        recipients[f.recipient],
                    ]
                    for f in intake.flows
                ],
            ),
        )
    )
    diagrams = [_document(intake, f.diagram) for f in intake.flows if f.diagram]
    items.append(
        Item(
            "row",
            row=Row(
                _cap(_t(rules, "flow_diagram", "09")),
                _join(list(dict.fromkeys(diagrams))),
                "A.II.2",
            ),
        )
    )
    items += [
        _heading(rules, "A.II.3"),
        _sub(rules, "basic_total", _num(len(intake.data.basic))),
        _sub(rules, "sensitive_total", _num(len(intake.data.sensitive))),
        Item("heading", heading=_t(rules, "a_ii_3_1", "09")),
        Item(
            "checks",
            checks=[
                Check(Text2(c.label_vi, c.label_en), c.code in intake.data.basic)
                for c in rules.files.basic_data
                if c.in_force(rules.on)
            ],
        ),
        Item("heading", heading=_t(rules, "a_ii_3_2", "09")),
        Item(
            "checks",
            checks=[
                Check(Text2(c.label_vi, c.label_en), c.code in intake.data.sensitive)
                for c in rules.files.sensitive_data
                if c.in_force(rules.on)
            ],
        ),
    ]
    g = intake.governance
    b = intake.business
    # Decree 356 Art 18(3)(d) asks how consent is obtained beside the retention and deletion
    # policies of §A.II.4-5; the form has no line of its own for it, so it leads them.
    items.append(Item("row", row=Row(_cap(_term(rules, "consent")), _text(g.consent_method))))
    items += [_row(rules, "A.II.4", _text(g.retention)), _row(rules, "A.II.5", _text(g.deletion))]
    # §A.II.8's answer follows the services ticked under it: a service listed is a business.
    services = [svc for svc in rules.files.processing_services if svc.in_force(rules.on)]
    runs_services = True if b.processing_services else b.processing_service_business
    items += [
        _heading(rules, "A.II.6"),
        _boxes(rules, b.domestic_transfer),
        Item("heading", heading=_t(rules, "for_fee", "09")),
        _boxes(
            rules,
            b.domestic_transfer_for_fee
            if b.domestic_transfer
            else (False if b.domestic_transfer is False else None),
        ),
        _heading(rules, "A.II.7"),
        _boxes(rules, b.data_exchange_trading),
        _heading(rules, "A.II.8"),
        _boxes(rules, runs_services),
        Item("heading", heading=_t(rules, "services_list", "09")),
        Item(
            "checks",
            checks=[
                Check(Text2(svc.label_vi, svc.label_en), svc.code in b.processing_services)
                for svc in services
            ],
        ),
        Item("heading", heading=_numbered("9", _t(rules, "a_ii_9", "09"))),
        _row(rules, "A.II.9.1", _text(intake.security.measures)),
        _row(
            rules,
            "A.II.9.2",
            _join(
                [
                    *(_text(s) for s in intake.security.standards),
                    _document(intake, intake.security.system_diagram),
                ]
            ),
        ),
    ]
    if intake.security.testing:
        items.append(_heading(rules, "A.II.9.3"))
        testing = ["testing_content", "testing_scope", "testing_frequency", "testing_purpose"]
        items.append(
            Item(
                "table",
                table=Table(
                    [_cap(_t(rules, h, "09")) for h in testing],
                    [
                        [
                            _text(x.content) or "—",
                            _text(x.scope) or "—",
                            _frequency(x.frequency, rules),
                            _text(x.purpose) or "—",
                        ]
                        for x in intake.security.testing
                    ],
                ),
            )
        )
    else:
        items.append(_row(rules, "A.II.9.3", None))
    label = _field(rules, "A.II.9.4")
    for r in intake.recipients:
        items.append(
            Item(
                "row",
                row=Row(
                    Text2(f"{label.vi} — {r.name}", f"{label.en} — {r.name}"),
                    _recipient_plan(r, rules),
                    "A.II.9.4",
                    "9.4",
                ),
            )
        )
    sa = g.self_assessment
    items.append(
        _row(
            rules,
            "A.II.10",
            _join(
                [
                    _join([_cap(_t(rules, "review_form", "09")), _text(sa.method)], ": "),
                    _join([_cap(_t(rules, "review_time", "09")), _day(sa.date)], ": "),
                    _join([_cap(_t(rules, "review_result", "09")), _text(sa.result)], ": "),
                ]
            )
            if sa
            else None,
        )
    )
    out.append(Section("A.II", "II.", _section_title(rules, "A.II"), items))

    # A.III
    out.append(Section("A.III", "III.", _t(rules, "part_a_iii", "09"), [], level=2))
    analysed = _analysis_sections(analysis)
    for sec in analysed:
        if sec.id == "A.III.3.2":
            # Decree 356 Art 18(3)(g): the onward-transfer procedure, with the recipient's plan.
            for r in intake.recipients:
                if (onward := _onward(r, intake, rules)) is not None:
                    sec.items.append(Item("row", row=Row(_term(rules, "onward"), onward, "A.III.3.2")))
    out += analysed

    # A.IV: the documents by title, as the form asks ("Liệt kê danh sách tên các tài liệu"):
    # the ones the filing pack embeds.
    docs: list[Val] = [title for _, title in dossier_documents(intake)]
    out.append(
        Section(
            "A.IV",
            "IV.",
            _section_title(rules, "A.IV"),
            [
                *_section_note(rules, "A.IV"),
                Item("text", text=list(dict.fromkeys(docs))) if docs else _none(rules),
            ],
            level=2,
        )
    )
    return out


def _frequency(given: str | LocalText, rules: Rules) -> Val:
    """A testing frequency: an English word ("yearly") in the form's Vietnamese, else as given."""
    text = given.annex() if isinstance(given, LocalText) else given
    voc = rules.files.vocabulary
    vi = vn.frequency(text, voc, "vi")
    en = vn.frequency(text, voc, "en")
    return Text2(vi, en or text) if vi is not None else (_text(given) or "—")


def _contract_text(contract: Contract | None) -> Val | None:
    if contract is None:
        return None
    return Text2(
        f"{contract.reference}, {vn.short_day(contract.signed_on)}",
        f"{contract.reference}, {contract.signed_on.isoformat()}",
    )


def _contact_text(c: Contact) -> Val:
    return _join([c.name, _text(c.title), c.email, c.phone], ", ") or c.name


PartyRow = tuple[Val, str | None, Val, Val | None, Val | None, Val | None]


def _part_b(intake: TransferIntake, a: Assessment, rules: Rules) -> list[Section]:
    """Form 09 Part B: who transfers on the transferor's behalf, who receives, who else;
    every section present, "Không có" where no party is of its kind."""

    def headers(contract_key: str) -> list[Text2]:
        keys = ["party_no", "party_name", "party_tax_code", "party_pdp", contract_key]
        return [_t(rules, k, "09") for k in [*keys, "party_service", "party_note"]]

    def table(section_id: str, number: str, rows: Sequence[PartyRow], contract_key: str) -> Section:
        body: list[Item] = [*_section_note(rules, section_id)]
        if rows:
            cells: list[list[Val]] = [
                [str(i), name, tax or "—", contact, contract or "—", service or "—", note or "—"]
                for i, (name, tax, contact, contract, service, note) in enumerate(rows, start=1)
            ]
            body.append(Item("table", table=Table(headers(contract_key), cells)))
        else:
            body.append(_none(rules))
        return Section(section_id, number, _section_title(rules, section_id), body)

    def others(role: str) -> list[PartyRow]:
        return [
            (
                p.name,
                p.tax_or_registration_no,
                _contact_text(p.pdp_contact),
                _contract_text(p.contract),
                _text(p.service),
                _join([_text(p.note), _country(rules, p.country)]),
            )
            for p in intake.other_parties
            if p.role == role
        ]

    recipients: list[PartyRow] = [
        (
            # Decree 356 Art 18(3)(a): the recipient's name, address and contact details.
            _join([r.name, _phrase(rules, "address", address=_text(r.address) or "—")]) or r.name,
            r.tax_or_registration_no,
            _contact_text(r.pdp_contact),
            _contract_text(r.contract),
            _text(r.service),
            _phrase(
                rules,
                "recipient_note",
                role=_cap(_role(rules, r.role)),
                country=_country(rules, r.country),
            ),
        )
        for r in intake.recipients
    ]
    return [
        table("B.I", "I.", others("on_behalf"), "party_contract"),
        table("B.II", "II.", recipients, "party_contract"),
        table("B.III", "III.", others("other"), "party_contract_other"),
    ]


def _title(text: str | LocalText) -> str:
    """A document's title as the filed dossier lists it: its Vietnamese (a title without it
    is a gap that keeps the filing pack from being ready), else what it has."""
    return text if isinstance(text, str) else (text.vi or text.annex())


def dossier_documents(intake: TransferIntake) -> list[tuple[str, str]]:
    """The documents the dossier contains besides the report, as (path, title), each once:
    the contract copies (Decree 356/2025 Art 18(2)(b)), the transferor's policies (18(2)(c)),
    the data protection officer's appointment and qualifications (Art 13(2)), the diagrams
    (18(3)(c), (e)), every attachment with its Vietnamese translation, and the signatory's
    letter of authority. Evidence a recipient uploaded with its answers is the review's."""
    phrases = law_files()[0].vocabulary.phrases

    def phrase(key: str, **fill: str) -> str:
        return phrases[key].vi.format(**fill)

    t = intake.transferor
    out: list[tuple[str, str]] = []
    for r in intake.recipients:
        if r.contract and r.contract.path:
            reference = r.contract.reference
            out.append((r.contract.path, phrase("contract_copy", reference=reference, party=r.name)))
    out += [(p.path, _title(p.title)) for p in t.policies]
    pdp = t.pdp
    if pdp.appointment_document:
        out.append((pdp.appointment_document, phrase("doc_dpo_appointment")))
    out += [(path, phrase("doc_dpo_qualification")) for path in pdp.qualification_documents]
    if pdp.service_contract:
        out.append((pdp.service_contract, phrase("doc_pdp_service_contract")))
    out += [(f.diagram, phrase("doc_flow_diagram")) for f in intake.flows if f.diagram]
    if intake.security.system_diagram:
        out.append((intake.security.system_diagram, phrase("doc_system_diagram")))
    out += [
        (r.system_diagram, phrase("doc_recipient_diagram", party=r.name))
        for r in intake.recipients
        if r.system_diagram
    ]
    for att in intake.attachments:
        out.append((att.path, _title(att.title)))
        if att.translation:
            out.append((att.translation, phrase("translation_of", title=_title(att.title))))
    filing = intake.filing
    if filing and filing.signatory and filing.signatory.authorisation:
        name = str(filing.signatory.name)
        out.append((filing.signatory.authorisation, phrase("authorisation_letter", name=name)))
    seen: dict[str, str] = {}
    for path, title in out:
        seen.setdefault(path, title)
    return list(seen.items())
