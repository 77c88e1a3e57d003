"""The dossier view-model: everything the templates print, computed here, typed and pure.

Templates only loop and branch over these objects. Free text from the intake stays text
(the Jinja environment escapes it); labels come from the law data (official Vietnamese
wording, with the English rendering for the annex). A value the intake leaves empty is
``None`` and prints as "not provided"; the gaps box at the front lists them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from dtia.assessment import Assessment, Finding
from dtia.facts import cloud_clauses_apply
from dtia.intake import Contact, Contract, LoadedIntake, Recipient, TransferIntake
from dtia.law import Rules
from dtia.law.models import FormText

Lang = Literal["vi", "en"]


@dataclass(frozen=True)
class Text2:
    """A label in both languages."""

    vi: str
    en: str

    def __call__(self, lang: Lang) -> str:
        return self.vi if lang == "vi" else self.en


@dataclass(frozen=True)
class Row:
    label: Text2
    value: str | None  # None prints as "not provided"
    field: str = ""


@dataclass(frozen=True)
class Table:
    headers: list[Text2]
    rows: list[list[str]]


@dataclass(frozen=True)
class Check:
    label: Text2
    ticked: bool


@dataclass(frozen=True)
class Item:
    kind: Literal["row", "table", "checks", "text", "steps", "heading"]
    row: Row | None = None
    table: Table | None = None
    checks: list[Check] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    heading: Text2 | None = None
    steps: list[tuple[Text2, list[str]]] = field(default_factory=list)
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
    org_header: str | None
    place: str
    as_of: date
    texts: dict[str, Text2]
    rows: list[Row]
    documents: list[str]
    signatory: str | None
    signatory_title: str | None


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


NOT_PROVIDED = Text2("Chưa cung cấp", "Not provided")
YES = Text2("Có", "Yes")
NO = Text2("Không", "No")


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("Có" if value else "Không")


def _t(rules: Rules, key: str, form: str) -> Text2:
    """A form's own wording for ``key``, else the wording shared by the forms."""
    found: dict[str, FormText] = {
        t.form: t for t in rules.files.form_texts if t.key == key and t.in_force(rules.on)
    }
    t = found.get(form) or found.get("any")
    if t is None:
        raise KeyError(f"no form text {key!r} for form {form}")
    return Text2(t.text_vi, t.text_en)


def _field(rules: Rules, field_id: str) -> Text2:
    f = rules.field(field_id)
    return Text2(f.label_vi, f.label_en)


def _place(address: str) -> str:
    """The city line of "Hà Nội, ngày ... ": the address part before the country, if any."""
    parts = [p.strip() for p in address.split(",") if p.strip()]
    parts = [p for p in parts if p.lower() not in ("việt nam", "vietnam", "viet nam")]
    return parts[-1] if parts else "….."


def _row(rules: Rules, field_id: str, value: str | None) -> Item:
    return Item("row", row=Row(_field(rules, field_id), value or None, field_id))


def _recipient_security(r: Recipient) -> str | None:
    s = r.safeguards
    if s is None:
        return None
    parts = []
    if s.encryption_in_transit is not None or s.encryption_at_rest is not None:
        parts.append(
            f"Mã hóa khi truyền: {'có' if s.encryption_in_transit else 'không'}; "
            f"khi lưu trữ: {'có' if s.encryption_at_rest else 'không'}"
        )
    for label, value in (
        ("Kiểm soát truy cập", s.access_control),
        ("Kiểm thử an ninh", s.security_testing),
        ("Chuyển tiếp dữ liệu", s.onward_transfer_controls),
        ("Lưu trữ và xóa", s.retention_and_deletion),
        ("Yêu cầu của cơ quan nhà nước", s.government_access_policy),
        ("Pháp luật nơi nhận", s.local_law),
    ):
        if value:
            parts.append(f"{label}: {value}")
    if s.incident_notification_hours is not None:
        parts.append(
            f"Thông báo vi phạm cho bên chuyển trong vòng {s.incident_notification_hours} giờ"
        )
    if s.data_subject_request_days is not None:
        parts.append(
            f"Thực hiện yêu cầu của chủ thể dữ liệu trong vòng {s.data_subject_request_days} ngày"
        )
    parts.append(f"Xác nhận bởi {s.attested_by} ngày {s.attested_on.strftime('%d/%m/%Y')}")
    return "; ".join(parts)


def _certifications(r: Recipient) -> str | None:
    if r.safeguards is None or not r.safeguards.certifications:
        return None
    return "; ".join(
        f"{c.name} ({c.issuer}, hiệu lực đến ngày {c.expires_on.strftime('%d/%m/%Y')})"
        for c in r.safeguards.certifications
    )


# Shown for a recipient the Decree 356 Art 12(2) cloud clauses bind (never a controller).
CLOUD_CLAUSES = Text2(
    "Hợp đồng với tổ chức cung cấp dịch vụ điện toán đám mây (khoản 2 Điều 12 Nghị định "
    "số 356/2025/NĐ-CP)",
    "Contract with the cloud service provider (Decree 356/2025 Art 12(2))",
)


def _cloud_clauses(r: Recipient, rules: Rules) -> str | None:
    if r.contract is None:
        return None
    stated = set(r.contract.clauses)
    have = [f"({c.letter}) {c.label_en}" for c in rules.clauses("cloud") if c.key in stated]
    lack = [f"({c.letter}) {c.label_en}" for c in rules.clauses("cloud") if c.key not in stated]
    return "; ".join(
        [
            *([f"Stated: {', '.join(have)}"] if have else []),
            *([f"Missing: {', '.join(lack)}"] if lack else []),
        ]
    )


LENSES: dict[str, tuple[str, ...]] = {
    "A.III.2.1": ("C3", "C4", "C8", "C10", "C11", "C12", "C14"),
    "A.III.2.2": ("C5", "C6", "C7", "C9", "C13"),
    "A.III.2.3": ("C3", "C16", "C17"),
}
OBJECTIVES: dict[str, str] = {
    "A.III.2.1": "Data subjects keep control of their data abroad: a lawful basis, transparency, "
    "their rights honoured within the legal time limits, and no use beyond the purposes.",
    "A.III.2.2": "Confidentiality, integrity and availability of the data during and after the "
    "transfer: binding contracts, encryption, access control, tested security and incident response.",
    "A.III.2.3": "Large-scale transfers cause no harm to national defence, national security or "
    "public order, and volumes stay known and justified.",
}


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


def _steps(section_id: str, a: Assessment, intake: TransferIntake, rules: Rules) -> Item:
    criteria = LENSES[section_id]
    relevant = [f for f in filed_findings(a) if f.criterion in criteria and f.severity != "info"]
    issues = [f"{f.message} ({'; '.join(f.citations)})" for f in relevant] or [
        "No issue was found for this aspect."
    ]
    applied: list[str] = []
    if intake.security.measures:
        applied.append(f"Transferor: {intake.security.measures}")
    if intake.security.standards:
        applied.append("Standards applied: " + ", ".join(intake.security.standards))
    for r in intake.recipients:
        if r.contract:
            applied.append(
                f"Contract {r.contract.reference} with {r.name}, signed {r.contract.signed_on.isoformat()}"
            )
        if (sec := _recipient_security(r)) is not None:
            applied.append(f"{r.name}: {sec}")
    proposed = [f"{f.remedy} ({f.id})" for f in relevant]
    contributions = [c for c in a.risk.contributions if c.criterion in criteria]
    effect = [
        f"{c.criterion}: {c.inherent_points} points inherent, {c.points} residual — {c.reason}"
        for c in contributions
    ] or ["Not scored."]
    recommend = [f"[{f.severity}] {f.remedy}" for f in relevant] or [
        "Keep the measures in place and review them at each update of the dossier."
    ]
    labels = [_t(rules, f"step_{i}", "09") for i in range(1, 6)]
    return Item(
        "steps",
        internal=True,  # built from scores and finding codes: the review pack's working
        steps=list(
            zip(
                labels,
                [
                    issues,
                    [OBJECTIVES[section_id]],
                    applied + proposed or ["None."],
                    effect,
                    recommend,
                ],
                strict=True,
            )
        ),
    )


PartyRow = tuple[str, str | None, str, str | None, str, str | None]

# A recipient's role in Law 91/2025's own terms (Art 2): the Law knows no joint controller,
# so each controller is "bên kiểm soát"; a sub-processor is a processor.
ROLE_VI = {
    "controller": "bên kiểm soát dữ liệu cá nhân",
    "joint_controller": "bên kiểm soát dữ liệu cá nhân",
    "processor": "bên xử lý dữ liệu cá nhân",
    "sub_processor": "bên xử lý dữ liệu cá nhân",
}


def country_vi(code: str) -> str:
    """A country by its Vietnamese name (CLDR, through Babel), else its code."""
    from babel import Locale

    return str(Locale("vi").territories.get(code.upper(), code))


def _party_rows(parties: Sequence[PartyRow]) -> list[list[str]]:
    return [
        [str(i), name, tax or "—", contact, contract or "—", service, note or ""]
        for i, (name, tax, contact, contract, service, note) in enumerate(parties, start=1)
    ]


PARTY_HEADERS = [
    Text2("STT", "No."),
    Text2("Tên tổ chức/cá nhân", "Name"),
    Text2("Mã số thuế", "Tax code"),
    Text2("Thông tin Bộ phận/ Nhân sự bảo vệ dữ liệu cá nhân", "Data protection contact"),
    Text2(
        "Hợp đồng/ Thỏa thuận chuyển dữ liệu cá nhân xuyên biên giới (Số, ngày tháng năm)",
        "Contract (number, date)",
    ),
    Text2("Dịch vụ hợp tác", "Cooperation service"),
    Text2("Ghi chú (Lý do, nội dung giải thích)", "Notes"),
]


def build_view(loaded: LoadedIntake, a: Assessment, rules: Rules) -> DossierView:
    """Everything the dossier prints, for one intake and its assessment."""
    intake = loaded.intake
    t = intake.transferor
    form = a.applicability.cover_form or ("01a" if t.kind == "organisation" else "01b")
    texts = {
        key: _t(rules, key, form)
        for key in (
            "motto_1",
            "motto_2",
            "notice_title",
            "addressee",
            "intro",
            "part_1",
            "part_2",
            "part_3",
            "commitment",
            "signature_title",
            "signature_note",
        )
    }
    if form == "01a":
        texts |= {k: _t(rules, k, "01a") for k in ("recipients_block", "recipients_as_above")}
    nine = {
        k: _t(rules, k, "09")
        for k in ("form09_title_1", "form09_title_2", "part_a", "part_b", "part_a_iii")
    }

    pdp = t.pdp
    if form == "01a":
        reg = t.registration
        cover_rows = [
            Row(
                Text2(
                    "Tên giao dịch tiếng Việt - Tên viết tắt tiếng Việt",
                    "Vietnamese trade name - abbreviation",
                ),
                t.name_vi + (f" - {t.abbreviation}" if t.abbreviation else ""),
            ),
            Row(
                Text2(
                    "Tên giao dịch tiếng Anh - Tên viết tắt tiếng Anh",
                    "English trade name - abbreviation",
                ),
                t.name_foreign,
            ),
            Row(Text2("Địa chỉ trụ sở chính", "Head office"), t.address),
            Row(
                Text2("Địa chỉ trụ sở giao dịch", "Transaction office"),
                t.transaction_address or t.address,
            ),
            Row(
                Text2(
                    "Quyết định thành lập/Giấy chứng nhận đăng ký doanh nghiệp/Giấy chứng nhận đăng ký kinh doanh/Giấy chứng nhận đầu tư số",
                    "Establishment decision / enterprise, business or investment registration certificate",
                ),
                " ".join(
                    p
                    for p in (
                        reg.number if reg else None,
                        f"do {reg.issuer} cấp" if reg and reg.issuer else None,
                        f"ngày {reg.issued_on.strftime('%d/%m/%Y')}"
                        if reg and reg.issued_on
                        else None,
                        f"tại {reg.place}" if reg and reg.place else None,
                    )
                    if p
                )
                or None,
            ),
            Row(Text2("Mã số thuế", "Tax code"), t.tax_code),
            Row(Text2("Điện thoại", "Telephone"), t.phone),
            Row(Text2("Website", "Website"), t.website),
            Row(
                Text2(
                    "Bộ phận, nhân sự bảo vệ dữ liệu cá nhân hoặc tổ chức, cá nhân cung cấp dịch vụ bảo vệ dữ liệu cá nhân của bên chuyển dữ liệu cá nhân",
                    "Data protection unit or person, or data protection service provider",
                ),
                pdp.unit_name or pdp.name,
            ),
            Row(Text2("Họ và tên", "Full name"), pdp.name),
            Row(Text2("Chức vụ", "Title"), pdp.title),
            Row(
                Text2(
                    "Số điện thoại liên lạc (cố định và di động)", "Telephone (fixed and mobile)"
                ),
                ", ".join(p for p in (pdp.unit_phone, pdp.phone) if p),
            ),
            Row(Text2("Email", "Email"), pdp.email),
        ]
    else:
        reg = t.registration
        cover_rows = [
            Row(Text2("Tên cá nhân", "Name"), t.name_vi),
            Row(Text2("Địa chỉ", "Address"), t.address),
            Row(
                Text2("Số CMTND/Thẻ căn cước công dân/Hộ chiếu", "ID card / passport number"),
                " ".join(
                    p
                    for p in (
                        t.id_number,
                        f"cấp ngày {reg.issued_on.strftime('%d/%m/%Y')}"
                        if reg and reg.issued_on
                        else None,
                        f"tại {reg.place}" if reg and reg.place else None,
                    )
                    if p
                ),
            ),
            Row(Text2("Số điện thoại", "Telephone"), t.phone),
            Row(Text2("Email", "Email"), t.email),
        ]
    documents = [
        "Báo cáo đánh giá tác động chuyển dữ liệu cá nhân xuyên biên giới theo Mẫu số 09"
    ]
    documents += [title for _, title in dossier_documents(intake)]
    cover = Cover(
        form=form,
        org_header=t.name_vi.upper() if form == "01a" else None,
        place=_place(t.address),
        as_of=a.as_of,
        texts=texts,
        rows=cover_rows,
        documents=list(dict.fromkeys(documents)),
        signatory=t.legal_representative.name
        if t.legal_representative
        else (t.name_vi if form == "01b" else None),
        signatory_title=t.legal_representative.title if t.legal_representative else None,
    )

    part_a = _part_a(loaded, a, rules)
    part_b = _part_b(intake, a, rules)
    gaps = [Row(_field(rules, g.field), g.message, g.field) for g in a.gaps]
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
        title=intake.transfer.title,
        as_of=a.as_of,
        rules_version=a.rules_version,
        cover=cover,
        texts=nine,
        gaps=gaps,
        part_a=part_a,
        part_b=part_b,
        risk_rows=risk_rows,
        findings=filed_findings(a),
        inherent=f"{a.risk.inherent.score} ({a.risk.inherent.level})",
        residual=f"{a.risk.residual.score} ({a.risk.residual.level})",
    )


# Form 09 §A.I.8.1-8.3: the official sub-labels of each way of organising data protection.
PDP_ROWS: dict[str, list[tuple[str, str, str]]] = {
    "external_org": [
        ("Tên tổ chức", "Organisation", "name"),
        ("Mã số thuế", "Tax code", "tax_code"),
        ("Người đại diện theo pháp luật", "Legal representative", "legal_representative"),
        ("Địa chỉ", "Address", "address"),
        ("Điện thoại", "Telephone", "phone"),
        ("Email", "Email", "email"),
        ("Website", "Website", "website"),
        ("Hợp đồng sử dụng dịch vụ", "Service contract", "service_contract"),
    ],
    "external_individual": [("Hợp đồng sử dụng dịch vụ", "Service contract", "service_contract")],
    "internal": [
        ("Tên Bộ phận", "Unit", "unit_name"),
        ("Điện thoại Bộ phận", "Unit telephone", "unit_phone"),
        ("Email Bộ phận", "Unit email", "unit_email"),
        ("Tên người đứng đầu Bộ phận/ Tên nhân sự", "Head of unit / officer", "name"),
        ("Chức vụ", "Title", "title"),
        ("Điện thoại di động", "Mobile", "phone"),
        ("Email cá nhân", "Email", "email"),
        ("Quyết định chỉ định", "Appointment decision", "appointment_document"),
    ],
}


def _part_a(loaded: LoadedIntake, a: Assessment, rules: Rules) -> list[Section]:
    intake = loaded.intake
    t = intake.transferor
    pdp = t.pdp
    sec = {s.id: Text2(s.label_vi, s.label_en) for s in rules.sections()}
    out: list[Section] = []

    items = [
        _row(rules, "A.I.1", t.name_vi),
        _row(rules, "A.I.1a", t.name_foreign),
        _row(rules, "A.I.1b", t.abbreviation),
        _row(rules, "A.I.1c", t.tax_code if t.kind == "organisation" else t.id_number),
        _row(rules, "A.I.2", t.address),
        _row(rules, "A.I.3", t.phone),
        _row(rules, "A.I.4", "; ".join(f"{b.code} — {b.label}" for b in t.business_lines)),
        _row(rules, "A.I.5", str(t.branch_count) if t.branch_count is not None else None),
        _row(rules, "A.I.6", t.email),
        _row(rules, "A.I.7", t.website),
    ]
    pdp_field = {"external_org": "A.I.8.1", "external_individual": "A.I.8.2", "internal": "A.I.8.3"}
    items.append(Item("heading", heading=_field(rules, pdp_field[pdp.kind])))
    if pdp.kind == "external_individual":
        items.append(
            Item(
                "table",
                table=Table(
                    [
                        Text2("TT", "No."),
                        Text2("Họ và tên", "Name"),
                        Text2("Đơn vị công tác", "Workplace"),
                        Text2("Số điện thoại", "Telephone"),
                        Text2("Email", "Email"),
                    ],
                    [["1", pdp.name, pdp.unit_name or "—", pdp.phone, pdp.email]],
                ),
            )
        )
    items += [
        Item("row", row=Row(Text2(vi, en), getattr(pdp, attr)))
        for vi, en, attr in PDP_ROWS[pdp.kind]
    ]
    out.append(Section("A.I", "I.", sec["A.I"], items, level=2))

    # A.II
    items = [Item("heading", heading=_field(rules, "A.II.1"))]
    groups = intake.data.subject_groups
    for act in rules.files.activities:
        ticked = act.code in intake.transfer.activities
        label = Text2(act.label_vi, act.label_en)
        items.append(
            Item(
                "checks",
                checks=[
                    Check(
                        Text2(
                            f"{act.form_field[5:]} {label.vi}", f"{act.form_field[5:]} {label.en}"
                        ),
                        ticked,
                    )
                ],
            )
        )
        if ticked:
            rows = [
                [g.name, f"{g.count:,}".replace(",", ".")]
                for g in groups
                if g.activities is None or act.code in g.activities
            ]
            items.append(
                Item(
                    "table",
                    table=Table(
                        [
                            Text2("Tên đối tượng chủ thể dữ liệu cá nhân", "Data-subject group"),
                            Text2("Số lượng", "Number"),
                        ],
                        rows,
                    ),
                )
            )
            if act.code == "other" and intake.transfer.activity_other:
                items.append(Item("text", text=[intake.transfer.activity_other]))
    items.append(Item("heading", heading=_field(rules, "A.II.2")))
    recipients = {r.id: r.name for r in intake.recipients}
    items.append(
        Item(
            "table",
            table=Table(
                [
                    Text2("Đối tượng chủ thể", "Subject group"),
                    Text2("Mục đích chuyển", "Purpose"),
                    Text2("Dữ liệu nhạy cảm", "Sensitive data"),
                    Text2("Hoạt động xử lý sau khi chuyển", "Processing after transfer"),
                    Text2("Bên nhận", "Recipient"),
                ],
                [
                    [
                        f.subject_group,
                        f.purpose,
                        "Có" if f.includes_sensitive else "Không",
                        f.post_transfer_processing,
                        recipients[f.recipient],
                    ]
                    for f in intake.flows
                ],
            ),
        )
    )
    diagrams = list(dict.fromkeys(f.diagram for f in intake.flows if f.diagram))
    items.append(
        Item(
            "row",
            row=Row(
                Text2("Sơ đồ quy trình và hệ thống", "Process and system diagram"),
                "; ".join(diagrams) or None,
                "A.II.2",
            ),
        )
    )
    items.append(Item("heading", heading=_field(rules, "A.II.3")))
    items.append(
        Item(
            "row",
            row=Row(
                Text2("Tổng số loại dữ liệu cá nhân cơ bản", "Number of basic data types"),
                str(len(intake.data.basic)),
            ),
        )
    )
    items.append(
        Item(
            "row",
            row=Row(
                Text2("Tổng số loại dữ liệu cá nhân nhạy cảm", "Number of sensitive data types"),
                str(len(intake.data.sensitive)),
            ),
        )
    )
    items.append(
        Item(
            "row",
            row=Row(
                Text2(
                    "Số chủ thể có dữ liệu cơ bản / nhạy cảm", "People with basic / sensitive data"
                ),
                f"{a_count(intake.data.basic_subject_count)} / {a_count(intake.data.sensitive_count)}",
            ),
        )
    )
    items.append(
        Item(
            "heading",
            heading=Text2(
                "3.1. Dữ liệu cá nhân cơ bản", "3.1. Basic personal data (Decree 356 Art 3)"
            ),
        )
    )
    items.append(
        Item(
            "checks",
            checks=[
                Check(Text2(c.label_vi, c.label_en), c.code in intake.data.basic)
                for c in rules.files.basic_data
                if c.in_force(rules.on)
            ],
        )
    )
    items.append(
        Item(
            "heading",
            heading=Text2(
                "3.2. Dữ liệu cá nhân nhạy cảm",
                "3.2. Sensitive personal data (Decree 356 Art 4(1))",
            ),
        )
    )
    items.append(
        Item(
            "checks",
            checks=[
                Check(Text2(c.label_vi, c.label_en), c.code in intake.data.sensitive)
                for c in rules.files.sensitive_data
                if c.in_force(rules.on)
            ],
        )
    )
    g = intake.governance
    b = intake.business
    items += [
        _row(rules, "A.II.4", g.retention),
        _row(rules, "A.II.5", g.deletion),
        _row(
            rules,
            "A.II.6",
            None
            if b.domestic_transfer is None
            else f"{_yes_no(b.domestic_transfer)}; có thu phí: {_yes_no(b.domestic_transfer_for_fee) or '—'}",
        ),
        _row(rules, "A.II.7", _yes_no(b.data_exchange_trading)),
        _row(rules, "A.II.8", _yes_no(b.processing_service_business)),
        Item(
            "checks",
            checks=[
                Check(Text2(svc.label_vi, svc.label_en), svc.code in b.processing_services)
                for svc in rules.files.processing_services
                if svc.in_force(rules.on)
            ],
        ),
        _row(rules, "A.II.9.1", intake.security.measures),
        _row(
            rules,
            "A.II.9.2",
            "; ".join(
                [
                    *intake.security.standards,
                    *(
                        [f"Sơ đồ thiết kế hệ thống: {intake.security.system_diagram}"]
                        if intake.security.system_diagram
                        else []
                    ),
                ]
            ),
        ),
    ]
    if intake.security.testing:
        items.append(Item("heading", heading=_field(rules, "A.II.9.3")))
        items.append(
            Item(
                "table",
                table=Table(
                    [
                        Text2("Nội dung", "Content"),
                        Text2("Đối tượng", "Scope"),
                        Text2("Tần suất", "Frequency"),
                        Text2("Mục đích", "Purpose"),
                    ],
                    [[x.content, x.scope, x.frequency, x.purpose] for x in intake.security.testing],
                ),
            )
        )
    else:
        items.append(_row(rules, "A.II.9.3", None))
    for r in intake.recipients:
        items.append(
            Item(
                "row",
                row=Row(
                    Text2(
                        f"{_field(rules, 'A.II.9.4').vi} — {r.name}",
                        f"{_field(rules, 'A.II.9.4').en} — {r.name}",
                    ),
                    _recipient_security(r),
                    "A.II.9.4",
                ),
            )
        )
    sa = g.self_assessment
    items.append(
        _row(rules, "A.II.10", f"{sa.method}; {sa.date.isoformat()}; {sa.result}" if sa else None)
    )
    out.append(Section("A.II", "II.", sec["A.II"], items))

    # A.III
    out.append(Section("A.III", "III.", _t(rules, "part_a_iii", "09"), [], level=2))
    out.append(
        Section(
            "A.III.1",
            "1.",
            sec["A.III.1"],
            [
                Item("row", row=Row(Text2("Sự cần thiết", "Necessity"), b.necessity, "A.III.1")),
                Item(
                    "row",
                    row=Row(
                        Text2("Thực trạng xử lý dữ liệu cá nhân", "Current processing practice"),
                        b.current_practice,
                        "A.III.1",
                    ),
                ),
                Item(
                    "row",
                    internal=True,  # scores: the review pack's
                    row=Row(
                        Text2("Rủi ro", "Risks"),
                        f"Inherent risk {a.risk.inherent.score} ({a.risk.inherent.level}); residual risk "
                        f"{a.risk.residual.score} ({a.risk.residual.level}); {len(filed_findings(a))} findings",
                    ),
                ),
            ],
            level=3,
        )
    )
    for sid in ("A.III.2.1", "A.III.2.2", "A.III.2.3"):
        if sid in a.required_sections:
            out.append(
                Section(sid, sid[6:] + ".", sec[sid], [_steps(sid, a, intake, rules)], level=3)
            )
    rec_items: list[Item] = []
    for r in intake.recipients:
        flows = [f for f in intake.flows if f.recipient == r.id]
        rec_items.append(Item("heading", heading=Text2(r.name, r.name)))
        rec_items.append(
            _row(
                rules,
                "A.III.3.1",
                "; ".join(f"{f.subject_group}: {f.post_transfer_processing}" for f in flows),
            )
        )
        rec_items.append(_row(rules, "A.III.3.2", _recipient_security(r)))
        rec_items.append(_row(rules, "A.III.3.3", _certifications(r)))
        if cloud_clauses_apply(r, intake, rules):
            rec_items.append(
                Item("row", row=Row(CLOUD_CLAUSES, _cloud_clauses(r, rules), "A.III.3.3"))
            )
        evaluation = [
            f.message
            for f in filed_findings(a)
            if f.subject.startswith(f"recipients[{intake.recipients.index(r)}]")
        ]
        rec_items.append(
            _row(
                rules,
                "A.III.3.4",
                " ".join(evaluation)
                or (
                    "Mức độ bảo vệ đáp ứng yêu cầu theo các tài liệu đã cung cấp."
                    if r.safeguards
                    else None
                ),
            )
        )
    out.append(Section("A.III.3", "3.", sec["A.III.3"], rec_items, level=3))

    # A.IV: the documents the dossier contains, by title (the filing pack embeds each).
    docs = [title for _, title in dossier_documents(intake)]
    out.append(
        Section(
            "A.IV",
            "IV.",
            sec["A.IV"],
            [Item("text", text=list(dict.fromkeys(docs)) or ["Không có"])],
            level=2,
        )
    )
    return out


def dossier_documents(intake: TransferIntake) -> list[tuple[str, str]]:
    """The documents the dossier contains besides the report, as (path, title), each once:
    the contract copies (Decree 356/2025 Art 18(2)(b)), the transferor's policies (18(2)(c)),
    the data protection officer's appointment and qualifications (Art 13(2)), the diagrams
    (18(3)(c), (e)) and every attachment (translations included). Evidence a recipient
    uploaded with its answers is the review's, not the filing's."""
    t = intake.transferor
    out: list[tuple[str, str]] = []
    for r in intake.recipients:
        if r.contract and r.contract.path:
            out.append(
                (r.contract.path, f"Bản sao hợp đồng {r.contract.reference} với {r.name}")
            )
    out += [(p.path, p.title) for p in t.policies]
    pdp = t.pdp
    if pdp.appointment_document:
        out.append(
            (
                pdp.appointment_document,
                "Quyết định chỉ định bộ phận, nhân sự bảo vệ dữ liệu cá nhân",
            )
        )
    out += [
        (path, "Tài liệu chứng minh nhân sự bảo vệ dữ liệu cá nhân đáp ứng điều kiện")
        for path in pdp.qualification_documents
    ]
    if pdp.service_contract:
        out.append((pdp.service_contract, "Hợp đồng sử dụng dịch vụ bảo vệ dữ liệu cá nhân"))
    out += [(f.diagram, "Sơ đồ luồng chuyển dữ liệu cá nhân") for f in intake.flows if f.diagram]
    if intake.security.system_diagram:
        out.append((intake.security.system_diagram, "Sơ đồ thiết kế hệ thống"))
    out += [(att.path, att.title) for att in intake.attachments]
    seen: dict[str, str] = {}
    for path, title in out:
        seen.setdefault(path, title)
    return list(seen.items())


def a_count(n: int) -> str:
    """A count written the Vietnamese way: 38.000."""
    return f"{n:,}".replace(",", ".")


def _contract_text(contract: Contract | None) -> str | None:
    return f"{contract.reference}, {contract.signed_on.strftime('%d/%m/%Y')}" if contract else None


def _contact_text(c: Contact) -> str:
    return ", ".join(p for p in (c.name, c.title, c.email, c.phone) if p)


def _part_b(intake: TransferIntake, a: Assessment, rules: Rules) -> list[Section]:
    """Form 09 Part B: who transfers on the transferor's behalf, who receives, who else."""
    sec = {s.id: Text2(s.label_vi, s.label_en) for s in rules.sections()}

    def table(
        section_id: str,
        number: str,
        rows: Sequence[PartyRow],
    ) -> Section:
        return Section(
            section_id,
            number,
            sec[section_id],
            [Item("table", table=Table(PARTY_HEADERS, _party_rows(rows)))],
        )

    def others(role: str) -> list[PartyRow]:
        return [
            (
                p.name,
                p.tax_or_registration_no,
                _contact_text(p.pdp_contact),
                _contract_text(p.contract),
                p.service,
                p.note,
            )
            for p in intake.other_parties
            if p.role == role
        ]

    recipients: list[PartyRow] = [
        (
            r.name,
            r.tax_or_registration_no,
            _contact_text(r.pdp_contact),
            _contract_text(r.contract),
            r.service,
            f"{country_vi(r.country)}; {ROLE_VI[r.role]}",
        )
        for r in intake.recipients
    ]
    out = [table("B.I", "I.", others("on_behalf"))] if others("on_behalf") else []
    out.append(table("B.II", "II.", recipients))
    if others("other"):
        out.append(table("B.III", "III.", others("other")))
    return out
