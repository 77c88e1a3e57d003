"""The exemption memo's view-model: why no dossier is filed, and what still applies.

An internal memo legal signs and keeps for inspections: the facts relied on, the exemption
in words with its citation, the claims rejected and why, the conclusion, the duties that
still apply to these facts (law data ``memo_duties.yaml``), and who prepared and reviewed
it. Vietnamese first, in Vietnamese only; English after. Pure, like the dossier's view.

The facts each exemption's test reads are shown as the test reads them; which of them
fit is worked out here for display only, while the decision (which claim holds) is the
assessment's. ``tests/test_memo.py`` checks the two agree on every scenario.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

from dtia.applicability import HOSTING, PROCESSOR_ROLES, STANDING
from dtia.assessment import Assessment, Exposure, FilingChannel, Finding
from dtia.dossier.view import Text2
from dtia.facts import Facts, cloud_clauses_apply, derive_facts, runs_processing_service
from dtia.intake import ExemptionClaim, LoadedIntake, Recipient, TransferIntake
from dtia.law import Rules
from dtia.law.citation_vi import vi_citations
from dtia.law.models import MemoDuty

Lang = Literal["vi", "en"]
MemoKind = Literal["exempt", "no_transfer", "prior_dossier"]

_VI = Locale.parse("vi")
_EN = Locale.parse("en")

YES = Text2("Có", "Yes")
NO = Text2("Không", "No")
UNSTATED = Text2("Hồ sơ không nêu", "Not stated in the file")

KINDS = {
    "organisation": Text2("Tổ chức", "An organisation"),
    "individual": Text2("Cá nhân", "An individual"),
}
# Roles in Law 91's own terms (Art 2(7)-(10)).
ROLES = {
    "controller": Text2("Bên kiểm soát dữ liệu cá nhân", "controller"),
    "joint_controller": Text2("Bên kiểm soát dữ liệu cá nhân", "controller (jointly)"),
    "controller_processor": Text2(
        "Bên kiểm soát và xử lý dữ liệu cá nhân", "controller and processor"
    ),
    "processor": Text2("Bên xử lý dữ liệu cá nhân", "processor"),
    "sub_processor": Text2("Bên xử lý dữ liệu cá nhân", "processor (sub-processor)"),
    "third_party": Text2("Bên thứ ba", "third party"),
}
SUBJECT_KINDS = {
    "customers": Text2("khách hàng", "customers"),
    "prospects": Text2("khách hàng tiềm năng", "prospective customers"),
    "employees": Text2("người lao động", "employees"),
    "job_applicants": Text2("người dự tuyển", "job applicants"),
    "partner_staff": Text2("nhân sự của đối tác", "partners' staff"),
    "website_visitors": Text2("người truy cập trang thông tin điện tử", "website visitors"),
    "minors": Text2("trẻ em", "children"),
    "other": Text2("đối tượng khác", "others"),
}


def count_vi(n: int) -> str:
    """A number the Vietnamese way: 250.000."""
    return str(format_decimal(n, locale="vi"))


def count_en(n: int) -> str:
    return str(format_decimal(n, locale="en"))


def date_vi(day: date) -> str:
    """A date the Vietnamese way: ngày 25 tháng 02 năm 2026."""
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def date_en(day: date) -> str:
    return str(format_date(day, "d MMMM y", locale="en"))


def _days(day: date) -> Text2:
    return Text2(date_vi(day), date_en(day))


def free(value: object, lang: Lang) -> str:
    """Free text of the intake in ``lang``: a plain string as written, or the ``vi``/``en``
    of a text given in both languages (the other one when it lacks ``lang``)."""
    if isinstance(value, str):
        return value
    other: Lang = "en" if lang == "vi" else "vi"
    chosen = getattr(value, lang, None) or getattr(value, other, None)
    return str(chosen) if chosen else ""


def _free2(value: object) -> Text2:
    return Text2(free(value, "vi"), free(value, "en"))


def _yes_no(value: bool | None) -> Text2:
    return UNSTATED if value is None else (YES if value else NO)


def _join(items: Sequence[Text2], sep: str = "; ") -> Text2:
    return Text2(sep.join(i.vi for i in items), sep.join(i.en for i in items))


def _country(code: str) -> Text2:
    return Text2(_VI.territories.get(code, code), _EN.territories.get(code, code))


def _cite(citations: Sequence[str], rules: Rules) -> Text2:
    unique = list(dict.fromkeys(citations))
    return Text2(vi_citations(unique, rules), "; ".join(unique))


@dataclass(frozen=True)
class Line:
    label: Text2
    value: Text2


@dataclass(frozen=True)
class Fact:
    """One fact an exemption's test reads, as the file gives it."""

    label: Text2
    value: Text2
    key: str  # the key path the test reads (never printed)
    fits: bool | None  # meets the test; None when the file does not say


@dataclass(frozen=True)
class ExemptionTest:
    code: str  # never printed: the memo names the exemption in words
    name: Text2
    citations: Text2
    justification: Text2
    facts: list[Fact]
    holds: bool
    reason: Text2 | None  # why it does not hold, in words
    uncertain: Text2 | None  # the point of the law's scope legal confirms


@dataclass(frozen=True)
class DutyLine:
    id: str  # the law data's id (never printed)
    text: Text2
    citations: Text2
    concerns: Text2 | None = None


@dataclass(frozen=True)
class Signer:
    role: Text2
    name: str | None = None
    on: date | None = None

    @property
    def date_line(self) -> Text2:
        if self.on is None:
            return Text2("ngày …… tháng …… năm ……", "date: ……………………")
        return _days(self.on)


@dataclass(frozen=True)
class MemoSigners:
    """Who prepared and who reviewed the memo, when known: given when it is rendered, not by
    the intake, and kept in the manifest so the memo renders again the same."""

    prepared_by: str | None = None
    prepared_on: date | None = None
    reviewed_by: str | None = None
    reviewed_on: date | None = None

    def to_json(self) -> dict[str, str]:
        return {
            k: v.isoformat() if isinstance(v, date) else v
            for k, v in (
                ("prepared_by", self.prepared_by),
                ("prepared_on", self.prepared_on),
                ("reviewed_by", self.reviewed_by),
                ("reviewed_on", self.reviewed_on),
            )
            if v is not None
        }

    @classmethod
    def from_json(cls, data: object) -> MemoSigners:
        """The signers a manifest records (ValueError when they are not as written)."""
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise ValueError("memo_signers is not a mapping of text")
        if unknown := set(data) - {"prepared_by", "prepared_on", "reviewed_by", "reviewed_on"}:
            raise ValueError(f"memo_signers has unknown keys {sorted(unknown)}")

        def day(key: str) -> date | None:
            return date.fromisoformat(data[key]) if key in data else None

        return cls(
            data.get("prepared_by"), day("prepared_on"), data.get("reviewed_by"), day("reviewed_on")
        )


@dataclass(frozen=True)
class MemoView:
    kind: MemoKind
    transfer_id: str
    rules_version: str
    as_of: date
    org: str
    title: Text2
    overview: list[Line]
    exemption: ExemptionTest | None
    rejected: list[ExemptionTest]
    conclusion: Text2
    basis: Text2
    duties: list[DutyLine]
    route: Text2 | None
    signers: list[Signer]
    relied: list[Fact] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    exposure: list[Exposure] = field(default_factory=list)

    @property
    def as_of_text(self) -> Text2:
        return _days(self.as_of)


# The facts each exemption's test reads (dtia.applicability.test_claim).


def _groups(intake: TransferIntake) -> Text2:
    return _join(
        [
            Text2(
                f"{free(g.printed_label, 'vi')} ({SUBJECT_KINDS[g.kind].vi}): {count_vi(g.count)} người",
                f"{free(g.printed_label, 'en')} ({SUBJECT_KINDS[g.kind].en}): {count_en(g.count)} people",
            )
            for g in intake.data.subject_groups
        ]
    )


def _activities(intake: TransferIntake, rules: Rules) -> Text2:
    acts = [rules.activity(a) for a in intake.transfer.activities]
    if not acts:
        return Text2("Không có", "None")
    return _join([Text2(a.label_vi, a.label_en) for a in acts])


def _provides(r: Recipient, rules: Rules) -> Text2:
    if r.provides is None:
        return UNSTATED
    return _join(
        [Text2(rules.provided(c).label_vi, rules.provided(c).label_en) for c in r.provides]
    )


def _kind_fact(intake: TransferIntake, wanted: str) -> Fact:
    t = intake.transferor
    return Fact(
        Text2("Bên chuyển dữ liệu là", "The transferor is"),
        KINDS[t.kind],
        "transferor.kind",
        t.kind == wanted,
    )


def _groups_fact(intake: TransferIntake, allowed: set[str]) -> Fact:
    return Fact(
        Text2("Đối tượng chủ thể dữ liệu cá nhân", "Data-subject groups"),
        _groups(intake),
        "data.subject_groups",
        all(g.kind in allowed for g in intake.data.subject_groups),
    )


def _recipient_facts(intake: TransferIntake, rules: Rules, code: str) -> list[Fact]:
    allowed = {s.code for s in rules.exemption_services(code)}
    return [
        Fact(
            Text2(f"Dịch vụ {r.name} cung cấp", f"What {r.name} provides"),
            _provides(r, rules),
            f"recipients[{i}].provides",
            None if r.provides is None else all(c in allowed for c in r.provides),
        )
        for i, r in enumerate(intake.recipients)
    ]


def exemption_facts(code: str, intake: TransferIntake, rules: Rules) -> list[Fact]:
    """The facts the test of exemption ``code`` reads, each with whether it fits."""
    t = intake.transferor
    activities = set(intake.transfer.activities)
    acts = Text2("Hoạt động chuyển dữ liệu", "Transfer activities")
    facts: list[Fact] = []
    if code == "state_agency":
        facts.append(_kind_fact(intake, "organisation"))
        if t.kind == "organisation":
            facts.append(
                Fact(
                    Text2("Cơ quan nhà nước có thẩm quyền", "A competent state agency"),
                    _yes_no(t.state_agency),
                    "transferor.state_agency",
                    t.state_agency,
                )
            )
    elif code == "own_employees_on_cloud":
        facts.append(_kind_fact(intake, "organisation"))
        facts.append(_groups_fact(intake, {"employees"}))
        facts.append(
            Fact(
                acts,
                _activities(intake, rules),
                "transfer.activities",
                intake.transfer.activities == ["foreign_cloud"],
            )
        )
        facts.append(
            Fact(
                Text2("Vai trò của bên nhận", "Recipients' roles"),
                _join(
                    [
                        Text2(
                            f"{r.name}: {ROLES[r.role].vi.lower()}", f"{r.name}: {ROLES[r.role].en}"
                        )
                        for r in intake.recipients
                    ]
                ),
                "recipients[].role",
                all(r.role in PROCESSOR_ROLES for r in intake.recipients),
            )
        )
    elif code == "data_subject_own_transfer":
        groups = intake.data.subject_groups
        facts.append(_kind_fact(intake, "individual"))
        facts.append(
            Fact(
                Text2("Đối tượng chủ thể dữ liệu cá nhân", "Data-subject groups"),
                _groups(intake),
                "data.subject_groups",
                len(groups) == 1 and groups[0].count == 1,
            )
        )
    elif code == "press_media":
        lines = t.business_lines
        facts.append(
            Fact(
                Text2("Ngành, nghề kinh doanh đã đăng ký", "Registered business lines"),
                _join([_line(b.code, b.label, rules) for b in lines])
                if lines
                else Text2("Không có", "None"),
                "transferor.business_lines",
                any(rules.press_media_line(b.code) for b in lines),
            )
        )
        facts += _recipient_facts(intake, rules, code)
    elif code == "publicised_data":
        facts.append(
            Fact(
                Text2(
                    "Việc chuyển dữ liệu đã được công khai theo quy định của pháp luật",
                    "The transfer was made public as the law requires",
                ),
                _yes_no(intake.data.publicised),
                "data.publicised",
                intake.data.publicised,
            )
        )
    elif code == "emergency":
        facts.append(
            Fact(
                Text2("Cung cấp dữ liệu một lần", "A single provision of data"),
                _yes_no(intake.transfer.one_off),
                "transfer.one_off",
                intake.transfer.one_off,
            )
        )
        facts.append(
            Fact(acts, _activities(intake, rules), "transfer.activities", not activities & STANDING)
        )
        facts += _recipient_facts(intake, rules, code)
    elif code == "hr_management":
        facts.append(_groups_fact(intake, {"employees", "job_applicants"}))
    elif code == "contract_travel_logistics_payment":
        facts.append(
            Fact(acts, _activities(intake, rules), "transfer.activities", not activities & HOSTING)
        )
        facts += _recipient_facts(intake, rules, code)
    return facts


def _line(code: str, label: object, rules: Rules) -> Text2:
    press = rules.press_media_line(code)
    if press is not None:
        return Text2(f"{code} – {press.label_vi}", f"{code} – {press.label_en}")
    return Text2(f"{code} – {free(label, 'vi')}", f"{code} – {free(label, 'en')}")


def _reason(facts: list[Fact]) -> Text2:
    failing = [f for f in facts if f.fits is False]
    unknown = [f for f in facts if f.fits is None]
    vi: list[str] = []
    en: list[str] = []
    if failing:
        vi.append(
            "Không đáp ứng điều kiện của trường hợp miễn trừ: "
            + "; ".join(f"{f.label.vi}: {f.value.vi}" for f in failing)
        )
        en.append(
            "The facts do not meet the exemption's conditions: "
            + "; ".join(f"{f.label.en}: {f.value.en}" for f in failing)
        )
    if unknown:
        vi.append("Hồ sơ chưa có thông tin về: " + "; ".join(f.label.vi.lower() for f in unknown))
        en.append("The file does not state: " + "; ".join(f.label.en.lower() for f in unknown))
    return Text2(". ".join(vi) + ".", ". ".join(en) + ".")


def _test(
    claim: ExemptionClaim, holds: bool, intake: TransferIntake, rules: Rules
) -> ExemptionTest:
    law = rules.exemption(claim.code)
    facts = exemption_facts(claim.code, intake, rules)
    uncertain = (
        Text2(law.uncertain_vi, law.uncertain.split(": ", 1)[-1])
        if holds and law.uncertain and law.uncertain_vi
        else None
    )
    return ExemptionTest(
        code=claim.code,
        name=Text2(law.label_vi, law.label_en),
        citations=_cite(law.citations, rules),
        justification=_free2(claim.justification),
        facts=facts,
        holds=holds,
        reason=None if holds else _reason(facts),
        uncertain=uncertain,
    )


# The duties that still apply (law data memo_duties.yaml).


def _own_data_only(intake: TransferIntake) -> bool:
    """An individual whose only data is their own (one group of one person)."""
    groups = intake.data.subject_groups
    return intake.transferor.kind == "individual" and len(groups) == 1 and groups[0].count == 1


def _pia_owed(facts: Facts, rules: Rules) -> bool:
    """Whether the transferor owes its own processing impact assessment (Law 91 Art 21)."""
    intake = facts.intake
    t = intake.transferor
    if t.state_agency:
        return False  # Art 21(6): competent state agencies do not make it
    if _own_data_only(intake):
        return False  # a person's own data: no controller of others' data
    if t.size in ("small", "startup", "micro", "household"):
        # Art 38(2)-(3) / Decree 356 Art 41: relief, unless one of its exceptions applies.
        large = rules.threshold("small_business_large_number").value
        return (
            runs_processing_service(facts)
            or bool(intake.data.sensitive)
            or facts.basic_count >= large
        )
    return True


def _applies(d: MemoDuty, facts: Facts, a: Assessment, rules: Rules) -> bool:
    intake = facts.intake
    kinds = {g.kind for g in intake.data.subject_groups}
    # A person sending their own data hands nobody else's data over (Decree 356 Art 7(1)-(2)
    # bind those who transfer data of data subjects to a recipient).
    outbound = a.applicability.cross_border_transfer and not _own_data_only(intake)
    sensitive = bool(intake.data.sensitive)
    role = intake.transferor.role
    match d.when:
        case "outbound":
            return outbound
        case "sensitive":
            return sensitive
        case "sensitive_outbound":
            return sensitive and outbound
        case "pia_controller":
            return role in ("controller", "controller_processor") and _pia_owed(facts, rules)
        case "pia_processor":
            return role == "processor" and _pia_owed(facts, rules)
        case "employees":
            return "employees" in kinds
        case "job_applicants":
            return "job_applicants" in kinds
        case "health":
            return "health" in intake.data.sensitive
        case "cloud_recipient":
            return any(cloud_clauses_apply(r, intake, rules) for r in intake.recipients)
        case "finding":
            return any(f.id == d.finding for f in a.findings)


def _concerns(d: MemoDuty, intake: TransferIntake, rules: Rules) -> Text2 | None:
    if d.when == "cloud_recipient":
        names = [r.name for r in intake.recipients if cloud_clauses_apply(r, intake, rules)]
        return Text2(", ".join(names), ", ".join(names))
    if d.when in ("employees", "job_applicants"):
        groups = [g for g in intake.data.subject_groups if g.kind == d.when]
        return Text2(
            ", ".join(f"{free(g.printed_label, 'vi')} ({count_vi(g.count)} người)" for g in groups),
            ", ".join(f"{free(g.printed_label, 'en')} ({count_en(g.count)} people)" for g in groups),
        )
    return None


def _quote(text: str) -> str:
    """An article's words as the memo quotes them: first letter capitalised, one stop."""
    text = text.strip().rstrip(".;")
    return f"“{text[:1].upper()}{text[1:]}”"


def duties(facts: Facts, a: Assessment, rules: Rules) -> list[DutyLine]:
    """The duties that apply to these facts, in the order of the law data."""
    return [
        DutyLine(
            d.id,
            Text2(_quote(d.label_vi), d.label_en),
            _cite(d.citations, rules),
            _concerns(d, facts.intake, rules),
        )
        for d in rules.memo_duties()
        if _applies(d, facts, a, rules)
    ]


def _route(channels: list[FilingChannel], kind: MemoKind, rules: Rules) -> Text2 | None:
    wanted = "update" if kind == "prior_dossier" else "initial_filing"
    ch = next((c for c in channels if c.procedure == wanted), None)
    if ch is None:
        return None
    until_vi = f"; áp dụng đến hết {date_vi(ch.in_force_to)}" if ch.in_force_to else ""
    until_en = f"; until {date_en(ch.in_force_to)}" if ch.in_force_to else ""
    if kind == "prior_dossier":
        lead = Text2("Hồ sơ cập nhật được gửi như sau", "Updates of the dossier are filed")
    else:
        lead = Text2(
            "Khi phát sinh nghĩa vụ lập hồ sơ đánh giá tác động chuyển dữ liệu cá nhân xuyên "
            "biên giới, hồ sơ được gửi như sau",
            "Should a transfer impact assessment dossier become due, it is filed",
        )
    return Text2(
        f"{lead.vi}: nơi tiếp nhận: {ch.receiving_body_vi}; hình thức: {ch.channels_vi}; cơ "
        f"quan xử lý: {ch.processed_by_vi}{until_vi} ({vi_citations(ch.citations, rules)}).",
        f"{lead.en}: with {ch.receiving_body} ({', '.join(ch.channels)}); processed by "
        f"{ch.processed_by}{until_en} ({'; '.join(ch.citations)}).",
    )


def _overview(intake: TransferIntake, a: Assessment, rules: Rules) -> list[Line]:
    t = intake.transferor
    app = a.applicability
    recipients = [
        Text2(
            f"{r.name} ({_country(r.country).vi}) – {ROLES[r.role].vi.lower()}",
            f"{r.name} ({_country(r.country).en}), {ROLES[r.role].en}",
        )
        for r in intake.recipients
    ]
    if app.cross_border_transfer:
        how = _join([Text2(rules.limb(c).label_vi, rules.limb(c).label_en) for c in app.limbs])
    else:
        how = Text2(
            "Dữ liệu chỉ được chuyển từ nước ngoài vào Việt Nam",
            "Data only comes into Vietnam from abroad",
        )
    sensitive = [rules.sensitive(c) for c in intake.data.sensitive]
    # Data coming in: the party in Vietnam receives it, the party abroad sends it.
    here, there = (
        (Text2("Bên chuyển dữ liệu", "Transferor"), Text2("Bên nhận dữ liệu", "Recipients"))
        if app.cross_border_transfer
        else (
            Text2("Bên tại Việt Nam", "Party in Vietnam"),
            Text2("Bên ở nước ngoài", "Parties abroad"),
        )
    )
    return [
        Line(
            here,
            Text2(f"{t.name_vi} – {ROLES[t.role].vi.lower()}", f"{t.name_vi}, {ROLES[t.role].en}"),
        ),
        Line(Text2("Hoạt động", "Transfer"), _free2(intake.transfer.title)),
        Line(
            Text2("Mục đích", "Purposes"),
            _join([_free2(p) for p in intake.transfer.purposes]),
        ),
        Line(there, _join(recipients)),
        Line(Text2("Đối tượng chủ thể dữ liệu cá nhân", "Data subjects"), _groups(intake)),
        Line(
            Text2("Dữ liệu cá nhân nhạy cảm", "Sensitive personal data"),
            _join([Text2(s.label_vi, s.label_en) for s in sensitive])
            if sensitive
            else Text2("Không có", "None"),
        ),
        Line(Text2("Hình thức chuyển dữ liệu", "How data crosses the border"), how),
        Line(
            Text2("Ngày bắt đầu chuyển dữ liệu", "First transfer"),
            _days(intake.transfer.first_transfer_date),
        ),
    ]


def _conclusion(
    kind: MemoKind, exemption: ExemptionTest | None, intake: TransferIntake, rules: Rules
) -> Text2:
    if kind == "exempt":
        assert exemption is not None
        return Text2(
            f"Hoạt động chuyển dữ liệu cá nhân xuyên biên giới nêu trên thuộc trường hợp "
            f"{_quote(exemption.name.vi)} ({exemption.citations.vi}). Bên chuyển dữ liệu không "
            "phải lập hồ sơ đánh giá tác động chuyển dữ liệu cá nhân xuyên biên giới. Các "
            "nghĩa vụ nêu tại Mục IV vẫn phải thực hiện.",
            f"The transfer falls within the exemption for {exemption.name.en[:1].lower()}"
            f"{exemption.name.en[1:]} ({exemption.citations.en}). No transfer impact assessment "
            "dossier is required. The duties in section IV still apply.",
        )
    if kind == "prior_dossier":
        prior = intake.transfer.prior_dossier
        assert prior is not None
        return Text2(
            f"Hồ sơ đánh giá tác động chuyển dữ liệu cá nhân xuyên biên giới của bên chuyển dữ "
            f"liệu ({free(prior.reference, 'vi')}, được tiếp nhận {date_vi(prior.received_on)}) "
            "tiếp tục được sử dụng: không phải lập hồ sơ mới; các thay đổi được cập nhật vào "
            "hồ sơ. Các nghĩa vụ nêu tại Mục IV vẫn phải thực hiện.",
            f"The transferor's dossier ({free(prior.reference, 'en')}, received "
            f"{date_en(prior.received_on)}) stands: no new dossier is made; changes are filed as "
            "updates of it. The duties in section IV still apply.",
        )
    return Text2(
        "Không có hoạt động chuyển dữ liệu cá nhân xuyên biên giới theo khoản 1 Điều 20 Luật "
        "Bảo vệ dữ liệu cá nhân số 91/2025/QH15: dữ liệu chỉ được chuyển từ nước ngoài vào "
        "Việt Nam. Không phải lập hồ sơ đánh giá tác động chuyển dữ liệu cá nhân xuyên biên "
        "giới. Các nghĩa vụ nêu tại Mục IV vẫn phải thực hiện.",
        "There is no cross-border transfer under Law 91/2025 Art 20(1): data only comes into "
        "Vietnam. No transfer impact assessment dossier is required. The duties in section IV "
        "still apply.",
    )


def _stated_by_memo(f: Finding) -> bool:
    """Findings on the decision itself (the exemption, the claims, no transfer, a prior
    dossier), which the memo's own sections state in words: the annex leaves them out."""
    return f.criterion == "C2" or f.id == "C1.inbound-only"


def _relied(kind: MemoKind, intake: TransferIntake) -> list[Fact]:
    """The facts a memo without an exemption rests on: the direction, or the prior dossier."""
    if kind == "prior_dossier":
        prior = intake.transfer.prior_dossier
        assert prior is not None
        return [
            Fact(
                Text2("Hồ sơ đã được tiếp nhận", "Dossier already received"),
                Text2(
                    f"{free(prior.reference, 'vi')}, {date_vi(prior.received_on)}",
                    f"{free(prior.reference, 'en')}, {date_en(prior.received_on)}",
                ),
                "transfer.prior_dossier",
                True,
            )
        ]
    return [
        Fact(
            Text2("Chiều chuyển dữ liệu", "Direction"),
            Text2(
                "Dữ liệu chỉ được chuyển từ nước ngoài vào Việt Nam",
                "Data only comes into Vietnam from abroad",
            ),
            "transfer.direction",
            True,
        )
    ]


def build_memo(
    loaded: LoadedIntake,
    a: Assessment,
    rules: Rules,
    *,
    signers: MemoSigners | None = None,
) -> MemoView:
    """Everything the exemption memo prints, for an assessment that requires no dossier."""
    intake = loaded.intake
    app = a.applicability
    if app.dossier_required:
        raise ValueError(f"{a.transfer_id} requires a dossier: it has no exemption memo")
    facts = derive_facts(loaded, rules)
    kind: MemoKind = (
        "exempt"
        if app.exemption is not None
        else "prior_dossier"
        if app.prior_dossier
        else "no_transfer"
    )
    claims: dict[str, ExemptionClaim] = {c.code: c for c in intake.transfer.exemption_claims}
    exemption = _test(claims[app.exemption.code], True, intake, rules) if app.exemption else None
    rejected = [_test(claims[r.code], False, intake, rules) for r in app.rejected_exemption_claims]
    t = intake.transferor
    who = signers or MemoSigners()
    return MemoView(
        relied=exemption.facts if exemption else _relied(kind, intake),
        kind=kind,
        transfer_id=intake.transfer.id,
        rules_version=a.rules_version,
        as_of=a.as_of,
        org=t.name_vi,
        title=_free2(intake.transfer.title),
        overview=_overview(intake, a, rules),
        exemption=exemption,
        rejected=rejected,
        conclusion=_conclusion(kind, exemption, intake, rules),
        basis=_cite(app.citations, rules),
        duties=duties(facts, a, rules),
        route=_route(a.filing_channels, kind, rules),
        signers=[
            Signer(Text2("NGƯỜI LẬP", "PREPARED BY"), who.prepared_by, who.prepared_on),
            Signer(Text2("NGƯỜI XEM XÉT", "REVIEWED BY"), who.reviewed_by, who.reviewed_on),
        ],
        findings=[f for f in a.findings if not _stated_by_memo(f)],
        exposure=list(a.exposure),
    )
