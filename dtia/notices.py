"""The APPI note of a joint use with a Japanese party (pure).

Where data moves both ways with a recipient in Japan (``direction: both``), the Japanese party
provides data to the Vietnamese one: under APPI the joint-use notice must state the items of
Art 27(5)(iii), and a provision to a third party in a foreign country needs the Art 28(2)
information (the country, its regime, the recipient's measures), which only the Vietnamese
party can give. The note says what the Japanese party's notice lacks, and drafts that
information in English and Japanese from the law data (appi.yaml) and the intake. The APPI
text is not vendored: its articles are cited as the law data keeps them, with their sources.
"""

from __future__ import annotations

from dtia.assessment import AppiItem, AppiNote, Disclosure, DraftParagraph
from dtia.exposure import CHANNEL_WORDS
from dtia.facts import Facts, RecipientFacts
from dtia.law import Rules

# The items APPI Art 27(5)(iii) asks a joint-use notice to state, and those of Art 28(2)
# (PPC Rules Art 17(2)), as the disclosure check names them (policy_items.yaml).
JOINT_USE_ITEMS = (
    "jp_joint_use_items",
    "jp_joint_users_scope",
    "jp_joint_use_purpose",
    "jp_responsible_party_name",
    "jp_responsible_party_address",
    "jp_responsible_party_representative",
)
ART28_ITEMS = ("jp_foreign_country_named", "jp_foreign_regime_info", "jp_recipient_measures_info")
AMENDMENT = "APPI Amendment Act No. 56 of 2026"


def _lacking(keys: tuple[str, ...], notices: list[Disclosure], rules: Rules) -> list[AppiItem]:
    """The items no notice of the Japanese party discloses. Information given only by a link
    is listed too: the page it points at is not shown to describe the law in force."""
    specs = {i.key: i for i in rules.files.policy_items}
    out: list[AppiItem] = []
    for key in keys:
        found = [i for d in notices for i in d.items if i.key == key]
        told = [i for i in found if i.disclosed]
        # Vietnam's regime given only by a link: the page is not shown to describe the law in
        # force (the PPC's survey of foreign regimes predates Law 91/2025).
        by_reference = [
            n
            for i in told
            for n in i.notes
            if key == "jp_foreign_regime_info" and n.startswith("given by reference")
        ]
        if told and not by_reference:
            continue
        spec = specs[key]
        notes: list[str] = []
        if not notices:
            notes.append("the Japanese party's notice is not in the file (recipients[].notices)")
        elif not found or all(i.disclosed is None for i in found):
            notes.append("the notice has no Japanese text this item is read on")
        elif by_reference:
            notes += by_reference
            notes.append(
                "a page describing Vietnam before Law 91/2025 took effect (1 January 2026) is "
                "not a current description: give the one this note drafts"
            )
        else:
            notes += [n for i in found for n in i.notes]
            notes.append("not found in " + ", ".join(d.file for d in notices))
        out.append(
            AppiItem(
                key=key,
                label=spec.label_en,
                remedy=spec.remedy_en,
                notes=list(dict.fromkeys(notes)),
                citations=list(spec.citations),
            )
        )
    return out


def _regime(rules: Rules) -> list[DraftParagraph]:
    out = [
        DraftParagraph(key=p.key, text_en=p.text_en, text_ja=p.text_ja, citations=list(p.citations))
        for p in rules.vn_regime()
    ]
    route = rules.filing_channel("initial_filing")
    words = [CHANNEL_WORDS[c] for c in route.channels]
    how = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
    out.append(
        DraftParagraph(
            key="filing_route",
            text_en=(
                f"On {rules.on.isoformat()} the dossier is filed with "
                f"{route.receiving_body_en} ({route.receiving_body_vi}), {how}, and processed "
                f"by {route.processed_by_en}"
                + (
                    f"; this route ends on {route.effective_to.isoformat()}."
                    if route.effective_to
                    else "."
                )
            ),
            text_ja=(
                f"{rules.on.isoformat()}現在、評価書の提出先は{route.receiving_body_vi}、"
                f"提出方法は{route.channels_vi}、処理機関は{route.processed_by_vi}です"
                + (
                    f"(この手続は{route.effective_to.isoformat()}まで)。"
                    if route.effective_to
                    else "。"
                )
            ),
            citations=list(route.citations),
        )
    )
    return out


def _measures(facts: Facts, rf: RecipientFacts, rules: Rules) -> list[DraftParagraph]:
    """What the Vietnamese party does to protect the data: its own measures, its policies in
    force, its data protection officer, and its contract with the Japanese party."""
    intake = facts.intake
    t = intake.transferor
    name = t.name_foreign or t.name_vi
    item = rules.foreign_article("PPC Rules Art 17(2)").citations
    out: list[DraftParagraph] = []
    security = intake.security
    if security.measures or security.standards:
        standards = ", ".join(security.standards)
        out.append(
            DraftParagraph(
                key="security",
                text_en=f"{name} protects the data with these measures: "
                + (security.measures.annex() if security.measures else "")
                + (f" Standards applied: {standards}." if standards else ""),
                text_ja=f"{name}は次の安全管理措置を講じています(原文):"
                + (security.measures.annex() if security.measures else "")
                + (f" 準拠規格:{standards}。" if standards else ""),
                citations=list(item),
            )
        )
    current = facts.current_policies()
    if current:
        titles = "; ".join(d.title if isinstance(d.title, str) else d.title.annex() for d in current)
        out.append(
            DraftParagraph(
                key="policies",
                text_en=f"Its published policies under Law 91/2025: {titles}.",
                text_ja=f"個人データ保護法に基づき公表している方針:{titles}。",
                citations=list(item),
            )
        )
    pdp = t.pdp
    unit = f"{pdp.unit_name.annex()}, " if pdp.unit_name else ""
    out.append(
        DraftParagraph(
            key="contact",
            text_en=(
                f"Its personal data protection contact: {unit}{pdp.name}"
                f"{f' ({pdp.title.annex()})' if pdp.title else ''}, {pdp.email}."
            ),
            text_ja=f"個人データ保護の担当:{unit}{pdp.name}、{pdp.email}。",
            citations=list(item),
        )
    )
    contract = rf.recipient.contract
    if contract is not None:
        clauses = {c.key: c for c in rules.clauses("art7")}
        named = [clauses[k].label_en for k in contract.clauses if k in clauses]
        out.append(
            DraftParagraph(
                key="contract",
                text_en=(
                    f"Its contract with {rf.recipient.name}, \u201c{contract.reference}\u201d "
                    f"signed on {contract.signed_on.isoformat()}"
                    + (f", states: {'; '.join(named)}." if named else ".")
                ),
                text_ja=(
                    f"{rf.recipient.name}との契約「{contract.reference}」"
                    f"({contract.signed_on.isoformat()}締結)"
                    + (f"に定める事項(原文):{'; '.join(named)}。" if named else "。")
                ),
                citations=[
                    *item,
                    *(c for k in contract.clauses if k in clauses for c in clauses[k].citations),
                ],
            )
        )
    return out


def _notes(rules: Rules) -> list[str]:
    joint = rules.foreign_article("APPI Art 27(5)(iii)")
    amendment = rules.foreign_article(AMENDMENT)
    notes = [
        "The Japanese party provides the data to a third party in a foreign country: a joint "
        "use does not lift APPI Art 28, so it needs the data subjects' consent given with the "
        "Art 28(2) information (or a system meeting the PPC's standards); this note drafts "
        "that information, for the Japanese party to review and give.",
    ]
    if joint.uncertain:
        notes.append(f"APPI Art 27(5)(iii): UNCERTAIN {joint.uncertain}.")
    when = amendment.effective_from.isoformat()
    if rules.on < amendment.effective_from:
        notes.append(
            f"The APPI amendment of 17 July 2026 ({AMENDMENT.removeprefix('APPI Amendment ')}) "
            f"phases in from {when}: {amendment.uncertain} (UNCERTAIN). Re-check this note "
            "before then."
        )
    else:
        notes.append(
            f"The APPI amendment of 17 July 2026 ({AMENDMENT.removeprefix('APPI Amendment ')}) "
            f"phases in from {when} and may apply: {amendment.uncertain} (UNCERTAIN); the "
            "Japanese party should confirm these items under the amended Act."
        )
    return notes


def appi_notes(facts: Facts, rules: Rules) -> list[AppiNote]:
    """The APPI note of each recipient in Japan, when data moves both ways."""
    if facts.intake.transfer.direction != "both":
        return []
    out: list[AppiNote] = []
    for rf in facts.recipients:
        r = rf.recipient
        if r.country != "JP":
            continue
        notices = [d for d in facts.disclosures if d.party == r.id and d.read]
        listed = [d for d in facts.disclosures if d.party == r.id]
        citations = [
            *rules.foreign_article("APPI Art 27(5)(iii)").citations,
            *rules.foreign_article("APPI Art 28(2)").citations,
            *rules.foreign_article("PPC Rules Art 17(2)").citations,
            *rules.foreign_article(AMENDMENT).citations,
        ]
        out.append(
            AppiNote(
                recipient=r.id,
                recipient_name=r.name,
                notices=[k for d in listed for k in (d.document, *d.also)],
                joint_use_lacking=_lacking(JOINT_USE_ITEMS, notices, rules),
                art28_lacking=_lacking(ART28_ITEMS, notices, rules),
                regime=_regime(rules),
                measures=_measures(facts, rf, rules),
                notes=_notes(rules)
                + [f"{d.file} could not be read: {d.problem}" for d in listed if not d.read],
                citations=list(dict.fromkeys(citations)),
            )
        )
    return out
