"""The ``dtia`` command: parse arguments, call the library, print. Nothing else.

Exit codes (spec assessment.md): 0 done; 2 the input is invalid (every problem listed
with its key path; nothing written), or an option is (an impossible ``--on`` date, a
malformed ``--head``); 3 the dossier is not ready to file (``dtia dossier``, ``dtia dossier
check``: what blocks it is listed); 1 any other failure. No traceback reaches the
user unless DTIA_DEBUG=1.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.text import Text

from dtia import __version__
from dtia.assessment import Assessment
from dtia.errors import DtiaError, IntakeError, PolicyError, SigningInputError, more_problems

if TYPE_CHECKING:
    from dtia.audit import Head
    from dtia.readiness import Readiness

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

app = typer.Typer(
    name="dtia",
    help="Cross-border personal data transfer impact assessments (Law 91/2025, Decree 356/2025).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # -h as well as --help, on every command (click passes it down to subcommands)
    context_settings={"help_option_names": ["-h", "--help"]},
)
schema_app = typer.Typer(help="Print the JSON Schema of a dtia format.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")

# markup=False everywhere: intake text and file names are data, never console markup.
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


class UsageProblem(DtiaError):
    """A command-line value is wrong (exit 1: exit 2 is kept for invalid intakes)."""


def _error(label: str, message: str) -> None:
    err.print(Text.assemble((label, "bold red"), " ", message))


def _one_line(value: str | None) -> str | None:
    """Typer callback: a text option without control characters (exit 2 naming it)."""
    from dtia.text import control_problem

    if value is not None and (problem := control_problem(value, multiline=False)):
        raise typer.BadParameter(problem)
    return value


def _lines(value: str | None) -> str | None:
    """Typer callback: like ``_one_line``, but tab and newline are allowed."""
    from dtia.text import control_problem

    if value is not None and (problem := control_problem(value)):
        raise typer.BadParameter(problem)
    return value


def today_in_vietnam() -> date:
    """The calendar date in Vietnam now: the default ``as_of`` of every command."""
    return datetime.now(VIETNAM).date()


def parse_date(value: str | None) -> date:
    if value is None:
        return today_in_vietnam()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageProblem(f"--as-of {value!r} is not a date (YYYY-MM-DD)") from None


def parse_on(value: str | None) -> date:
    """The ``--on`` date of a filing event or approval (invalid input: exit 2)."""
    if value is None:
        return today_in_vietnam()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint="'--on'"
        ) from None


def _on_problem(exc: Exception) -> typer.BadParameter:
    """A date the lifecycle refuses as impossible, reported against ``--on`` (exit 2)."""
    return typer.BadParameter(str(exc), param_hint="'--on'")


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write a whole file or nothing: a crash never leaves half a file behind."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UsageProblem(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        raise UsageProblem(
            f"cannot write {path}: " + ("the disk is full" if full else str(exc.strerror))
        ) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dtia {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """dtia — assess, document and track cross-border personal data transfers from Vietnam."""


AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="Assess as the law stands on this date [default: today in Vietnam].",
    ),
]


@app.command()
def assess(
    intake: Annotated[
        Path,
        typer.Argument(metavar="INTAKE", help="Intake file (YAML or JSON, format dtia.intake/v1)."),
    ],
    as_of: AsOfOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the assessment JSON instead of the report.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", metavar="DIR", help="Also write DIR/assessment.json.")
    ] = None,
    save: Annotated[
        bool, typer.Option("--save", help="Store the transfer and this assessment in the register.")
    ] = False,
) -> None:
    """Assess a transfer: limbs, exemptions, deadlines, Form 09 sections, risk, findings, gaps."""
    from dtia.engine import assess as run_assessment
    from dtia.intake import load_intake

    when = parse_date(as_of)
    loaded = load_intake(intake)
    result: Assessment = run_assessment(loaded, when)
    text = result.to_json()
    if out is not None:
        write_atomic(out / "assessment.json", text)
    saved_line = None
    if save:
        from dtia.dossier.build import read_files
        from dtia.register import Register

        saved = Register().save(
            loaded,
            result,
            actor=_actor(),
            source_path=str(intake.resolve()),
            files=read_files(loaded, intake.resolve().parent),
        )
        saved_line = (
            f"Saved {saved.transfer_id} as assessment version {saved.version}"
            if saved.created
            else f"Already saved: {saved.transfer_id} assessment version {saved.version} (nothing added)"
        )
        err.print(saved_line)
    if as_json:
        sys.stdout.write(text)
    else:
        from dtia.terminal import render

        console = Console(highlight=False, markup=False)
        render(result, console)
        if out is not None:
            console.print(f"Written: {out / 'assessment.json'}")


SIGN_PANEL = "Signing (with 'sign')"
MEMO_PANEL = "Exemption memo (when no dossier is required)"


@app.command()
def dossier(
    target: Annotated[
        str,
        typer.Argument(
            metavar="INTAKE|check|verify|sign",
            help="The intake to build a dossier from, or 'check', 'verify' or 'sign'.",
        ),
    ],
    pdf: Annotated[
        Path | None,
        typer.Argument(
            metavar="[PDF|INTAKE]",
            help="With 'verify' or 'sign': the PDF; with 'check': the intake.",
        ),
    ] = None,
    as_of: AsOfOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="DIR|FILE",
            help="Folder to write into (default: out); with 'sign': the signed PDF to write.",
        ),
    ] = None,
    save: Annotated[
        bool, typer.Option("--save", help="Also store the assessment and the PDF in the register.")
    ] = False,
    pkcs12: Annotated[
        Path | None,
        typer.Option(
            "--pkcs12",
            metavar="FILE",
            help="Sign with this PKCS#12 file.",
            rich_help_panel=SIGN_PANEL,
        ),
    ] = None,
    passphrase_file: Annotated[
        Path | None,
        typer.Option(
            "--passphrase-file",
            metavar="F",
            help="File holding the PKCS#12 passphrase (default: ask at the terminal).",
            rich_help_panel=SIGN_PANEL,
        ),
    ] = None,
    pkcs11_lib: Annotated[
        Path | None,
        typer.Option(
            "--pkcs11-lib",
            metavar="LIB",
            help="Sign on a token through this PKCS#11 module (the CA's .so).",
            rich_help_panel=SIGN_PANEL,
        ),
    ] = None,
    token_label: Annotated[
        str | None,
        typer.Option(
            "--token-label", metavar="L", help="The token's label.", rich_help_panel=SIGN_PANEL
        ),
    ] = None,
    key_label: Annotated[
        str | None,
        typer.Option(
            "--key-label",
            metavar="K",
            help="The label of the key and its certificate on the token.",
            rich_help_panel=SIGN_PANEL,
        ),
    ] = None,
    pin_file: Annotated[
        Path | None,
        typer.Option(
            "--pin-file",
            metavar="F",
            help="File holding the token's PIN (default: ask at the terminal).",
            rich_help_panel=SIGN_PANEL,
        ),
    ] = None,
    location: Annotated[
        str | None,
        typer.Option(
            "--location",
            help="Place of signing (default: the cover notice's place, when the PDF names it).",
            rich_help_panel=SIGN_PANEL,
        ),
    ] = None,
    trust: Annotated[
        Path | None,
        typer.Option(
            "--trust",
            metavar="CA.pem",
            help="With 'verify': require the signer's certificate to chain to these roots.",
        ),
    ] = None,
    prepared_by: Annotated[
        str | None,
        typer.Option(
            "--prepared-by",
            metavar="NAME",
            help="Who prepared the exemption memo (default: a blank line to sign).",
            callback=_one_line,
            rich_help_panel=MEMO_PANEL,
        ),
    ] = None,
    prepared_on: Annotated[
        str | None,
        typer.Option(
            "--prepared-on",
            metavar="YYYY-MM-DD",
            help="When it was prepared (default: a blank date line).",
            rich_help_panel=MEMO_PANEL,
        ),
    ] = None,
    reviewed_by: Annotated[
        str | None,
        typer.Option(
            "--reviewed-by",
            metavar="NAME",
            help="Who reviewed the exemption memo (default: a blank line to sign).",
            callback=_one_line,
            rich_help_panel=MEMO_PANEL,
        ),
    ] = None,
    reviewed_on: Annotated[
        str | None,
        typer.Option(
            "--reviewed-on",
            metavar="YYYY-MM-DD",
            help="When it was reviewed (default: a blank date line).",
            rich_help_panel=MEMO_PANEL,
        ),
    ] = None,
    review: Annotated[
        Path | None,
        typer.Option(
            "--review",
            metavar="REVIEW.pdf",
            help="With 'verify' of a filing pack: the review pack it is rendered from.",
        ),
    ] = None,
) -> None:
    """Build the dossier (review pack and filing pack) or the exemption memo; check, verify
    or sign one.

    dtia dossier INTAKE --as-of DATE --out DIR writes DIR/review.pdf (the internal review
    pack: decision, risk, findings, gaps, the dossier as it would be filed, English annex,
    everything embedded) and, when the dossier is ready to file, DIR/filing.pdf (cover Form
    01a/01b and Form 09, what the authority receives); when it is not ready, it writes
    DIR/filing-draft.pdf instead, prints what blocks filing and exits 3. When no dossier is
    required it writes DIR/exemption-memo.pdf. DIR/assessment.json is written every time.
    dtia dossier check INTAKE prints what blocks filing without rendering (exit 0 ready, 3 not).
    Its preparer and reviewer are named with --prepared-by/--reviewed-by and dated with
    --prepared-on/--reviewed-on, else left blank to sign.
    dtia dossier verify PDF [--review REVIEW.pdf] re-renders the PDF and exits 0 when the
    bytes match, 1 otherwise: a review pack from what it embeds, a filing pack from its review
    pack; a signed PDF must also have intact signatures, nothing changed after signing and,
    with --trust, a trusted signer.
    dtia dossier sign PDF (--pkcs12 FILE --passphrase-file F | --pkcs11-lib LIB
    --token-label L --key-label K [--pin-file F]) --out SIGNED.pdf adds a PAdES signature.
    """
    from dtia.dossier.build import read_files, verify

    console = Console(highlight=False, markup=False)
    signing = {
        "--pkcs12": pkcs12,
        "--passphrase-file": passphrase_file,
        "--pkcs11-lib": pkcs11_lib,
        "--token-label": token_label,
        "--key-label": key_label,
        "--pin-file": pin_file,
        "--location": location,
    }
    if target != "sign" and (given := [k for k, v in signing.items() if v is not None]):
        verb = "goes" if len(given) == 1 else "go"
        raise SigningUsage(f"{', '.join(given)} only {verb} with 'dtia dossier sign'")
    if target != "verify" and trust is not None:
        raise SigningUsage("--trust only goes with 'dtia dossier verify'")
    memo_options = {
        "--prepared-by": prepared_by,
        "--prepared-on": prepared_on,
        "--reviewed-by": reviewed_by,
        "--reviewed-on": reviewed_on,
    }
    memo_given = [k for k, v in memo_options.items() if v is not None]
    if target in ("sign", "verify") and memo_given:
        raise UsageProblem(f"{', '.join(memo_given)}: only when building from an intake")
    if target != "verify" and review is not None:
        raise UsageProblem("--review only goes with 'dtia dossier verify'")
    if target == "check":
        if pdf is None:
            raise UsageProblem("dtia dossier check needs the intake to check")
        _check(pdf, as_of, console)
        return
    if target == "sign":
        _sign(
            pdf,
            out,
            pkcs12,
            passphrase_file,
            pkcs11_lib,
            token_label,
            key_label,
            pin_file,
            location,
            console,
        )
        return
    if target == "verify":
        if pdf is None:
            raise UsageProblem("dtia dossier verify needs the PDF to check")
        try:
            content = pdf.read_bytes()
        except OSError as exc:
            raise UsageProblem(f"cannot read {pdf}: {exc.strerror}") from None
        review_pdf = None
        if review is not None:
            try:
                review_pdf = review.read_bytes()
            except OSError as exc:
                raise UsageProblem(f"--review {review}: cannot read it: {exc.strerror}") from None
        if _verify_signed(pdf, content, trust, console, review_pdf):
            return
        if review_pdf is None:
            review_pdf = _stored_review_pack(content)
        with err.status("verifying: rendering again from the embedded parts…"):
            result = verify(content, review_pdf)
        if not result.ok:
            raise VerificationFailed(f"{pdf}: {result.message}")
        console.print(f"{pdf}: {result.message}")
        if result.audit_head:
            console.print(  # soft_wrap: a head must stay one copyable line
                f"it records the audit head {result.audit_head} "
                f"(check the register with: dtia audit verify --head {result.audit_head})",
                soft_wrap=True,
            )
        return
    if pdf is not None:
        raise UsageProblem(
            f"unexpected argument {str(pdf)!r} (did you mean 'dtia dossier verify PDF'?)"
        )
    out = out if out is not None else Path("out")

    from dtia.dossier.build import build
    from dtia.dossier.memo import MemoSigners
    from dtia.engine import assess as run_assessment
    from dtia.intake import load_intake

    signers = MemoSigners(
        prepared_by,
        _memo_date("--prepared-on", prepared_on),
        reviewed_by,
        _memo_date("--reviewed-on", reviewed_on),
    )
    intake_path = Path(target)
    loaded = load_intake(intake_path)
    result_assessment = run_assessment(loaded, parse_date(as_of))
    files = read_files(loaded, intake_path.resolve().parent)
    register = None
    if save:
        from dtia.register import Register

        register = Register()
    # a saved dossier records where the audit chain stood: a head kept outside the register
    head = str(register.dossier_head(result_assessment)) if register is not None else None
    if memo_given and result_assessment.applicability.dossier_required:
        err.print(f"{', '.join(memo_given)}: ignored, a dossier is required (no exemption memo)")
    with err.status("rendering the dossier…"):
        made = build(loaded, result_assessment, files, audit_head=head, memo_signers=signers)
    write_atomic(out / made.filename, made.pdf)
    for stale in STALE[made.filing.kind if made.filing else made.kind]:
        # a filing pack left from an earlier run must not outlive the draft that replaces it
        (out / f"{stale}.pdf").unlink(missing_ok=True)
    if made.filing is not None:
        write_atomic(out / made.filing.filename, made.filing.pdf)
    write_atomic(out / "assessment.json", result_assessment.to_json())
    if register is not None:
        # the PDFs and the files first, then the version and its dossier in one transaction
        saved = register.save(
            loaded,
            result_assessment,
            actor=_actor(),
            source_path=str(intake_path.resolve()),
            files=files,
            dossier=[(p.kind, p.pdf) for p in made.packs],
        )
        digest = saved.dossier or ""
        err.print(
            f"Saved {saved.transfer_id} assessment version {saved.version}; {made.kind} {digest[:12]}…"
        )
    app_ = result_assessment.applicability
    if made.filing is None:
        console.print(f"Written: {out / made.filename} — exemption memo (no dossier is required)")
    else:
        console.print(f"Written: {out / made.filename} — review pack (internal)")
        what = (
            f"filing pack (cover Form {app_.cover_form}, Form 09)"
            if made.ready
            else "draft of the filing pack (not ready to file)"
        )
        console.print(f"Written: {out / made.filing.filename} — {what}")
    console.print(f"Written: {out / 'assessment.json'}")
    if made.filing is not None and not made.ready:
        _print_blockers(made.readiness, console)
        raise NotReady(f"{intake_path}: not ready to file; {out / made.filing.filename} is a draft")


# Exit code of 'dtia dossier' and 'dtia dossier check' when something blocks filing.
NOT_READY = 3


class NotReady(DtiaError):
    """The dossier is not ready to file (exit 3): what blocks it was printed on stdout."""
# The PDFs a new one makes stale in the output folder, by the kind written.
STALE = {
    "filing": ("filing-draft", "exemption-memo"),
    "filing-draft": ("filing", "exemption-memo"),
    "exemption-memo": ("review", "filing", "filing-draft"),
}


def _print_blockers(ready: Readiness, console: Console) -> None:
    count = len(ready.blockers)
    console.print(f"Not ready to file: {count} item{'s' if count != 1 else ''} to supply:")
    for b in ready.blockers:
        console.print(f"  - {b}", soft_wrap=True)


def _check(intake_path: Path, as_of: str | None, console: Console) -> None:
    """The pre-submission check: Decree 356/2025 Art 18(2)-(4), item by item, no rendering."""
    from dtia.engine import assess as run_assessment
    from dtia.intake import load_intake
    from dtia.law import load_rules
    from dtia.readiness import checklist_lines, readiness

    loaded = load_intake(intake_path)
    a = run_assessment(loaded, parse_date(as_of))
    ready = readiness(a, loaded.intake, load_rules(a.as_of))
    console.print(f"{intake_path}: {a.transfer_id} as of {a.as_of.isoformat()}")
    for line in checklist_lines(ready):
        console.print(line, soft_wrap=True)
    if ready.required and not ready.ready:
        raise NotReady(f"{intake_path}: not ready to file")


def _memo_date(option: str, value: str | None) -> date | None:
    """A preparer's or reviewer's date (invalid input: exit 2 naming the option)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageProblem(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None


class VerificationFailed(DtiaError):
    """A dossier does not match what its embedded contents produce."""


class SigningUsage(DtiaError):
    """The signing or verifying options are wrong together (exit 2, like a usage error)."""


# The edge's name for each option a SigningInputError can point at.
SIGNING_OPTIONS = {
    "pkcs12": "--pkcs12",
    "passphrase": "--passphrase-file",
    "pkcs11_lib": "--pkcs11-lib",
    "token_label": "--token-label",
    "key_label": "--key-label",
    "pin": "--pin-file",
    "trust": "--trust",
}


def _read_secret(path: Path | None, option: str, prompt: str) -> str:
    """A passphrase or PIN from its file (one trailing line break dropped), or typed at
    the terminal when no file is given; never from the command line itself."""
    if path is None:
        if not sys.stdin.isatty():
            raise SigningUsage(f"{option} F is needed when no terminal can ask for it")
        import getpass

        return getpass.getpass(prompt)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SigningUsage(f"{option} {path}: cannot read it: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise SigningUsage(f"{option} {path}: not a UTF-8 text file") from None
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


def _sign(
    pdf: Path | None,
    out: Path | None,
    pkcs12: Path | None,
    passphrase_file: Path | None,
    pkcs11_lib: Path | None,
    token_label: str | None,
    key_label: str | None,
    pin_file: Path | None,
    location: str | None,
    console: Console,
) -> None:
    from dtia.dossier.sign import Pkcs11Key, Pkcs12Key, SigningKey, sign_pdf, signing_place

    if pdf is None:
        raise SigningUsage("dtia dossier sign needs the PDF to sign")
    if out is None:
        raise SigningUsage("dtia dossier sign needs --out SIGNED.pdf")
    token = {"--pkcs11-lib": pkcs11_lib, "--token-label": token_label, "--key-label": key_label}
    if pkcs12 is not None and (pkcs11_lib or token_label or key_label or pin_file):
        raise SigningUsage("choose one key: --pkcs12, or --pkcs11-lib with its token and key")
    if pkcs12 is None and pkcs11_lib is None:
        raise SigningUsage(
            "a key is needed: --pkcs12 FILE, or --pkcs11-lib LIB --token-label L --key-label K"
        )
    if pkcs12 is None and (missing := [k for k, v in token.items() if v is None]):
        raise SigningUsage(f"--pkcs11-lib also needs {' and '.join(missing)}")
    if pkcs12 is not None and pin_file is not None:
        raise SigningUsage(
            "--pin-file goes with --pkcs11-lib; a PKCS#12 file takes --passphrase-file"
        )
    if pkcs11_lib is not None and passphrase_file is not None:
        raise SigningUsage("--passphrase-file goes with --pkcs12; a token takes --pin-file")
    try:
        content = pdf.read_bytes()
    except OSError as exc:
        raise UsageProblem(f"cannot read {pdf}: {exc.strerror}") from None
    key: SigningKey
    if pkcs12 is not None:
        secret = _read_secret(passphrase_file, "--passphrase-file", f"Passphrase of {pkcs12}: ")
        key = Pkcs12Key(pkcs12, secret.encode("utf-8"))
    else:
        assert pkcs11_lib is not None and token_label is not None and key_label is not None
        pin = _read_secret(pin_file, "--pin-file", f"PIN of token {token_label}: ")
        key = Pkcs11Key(pkcs11_lib, token_label, key_label, pin)
    place = location if location is not None else signing_place(content)
    with err.status("signing…"):
        signed = sign_pdf(content, key, location=place or None)
    write_atomic(out, signed)
    console.print(f"Written: {out} — {pdf.name} signed (PAdES), the original bytes unchanged")


def _verify_signed(
    pdf: Path, content: bytes, trust: Path | None, console: Console, review: bytes | None = None
) -> bool:
    """Check the signatures of a signed PDF, then its original by re-rendering (a filing
    pack's from its ``review`` pack): True when it was signed (and everything holds), False
    when it is not signed at all."""
    from dtia.dossier.build import verify
    from dtia.dossier.sign import check_signatures, load_trust_roots

    roots = None
    if trust is not None:
        try:
            roots = load_trust_roots(trust.read_bytes())
        except OSError as exc:
            raise SigningUsage(f"--trust {trust}: cannot read it: {exc.strerror}") from None
    with err.status("verifying the signatures…"):
        signed = check_signatures(content, trust_roots=roots)
    if signed is None:
        if trust is not None:
            raise VerificationFailed(f"{pdf}: not signed, so no signer can be trusted (--trust)")
        return False
    for s in signed.signatures:
        when = s.signed_at.isoformat() if s.signed_at else "no time given"
        trust_line = s.trust + (f" ({s.trust_problem})" if s.trust_problem else "")
        console.print(f"{pdf}: signature {s.field}")
        console.print(f"  signer:    {s.signer} ({s.subject})")
        console.print(f"  signed at: {when} (as the signer claims; not timestamped)")
        console.print(f"  integrity: {'intact' if s.intact else 'BROKEN'}, covers {s.coverage}")
        console.print(f"  trust:     {trust_line}")
    if signed.problems:
        reasons = "; ".join(signed.problems)
        raise VerificationFailed(f"{pdf}: rejected: {reasons}")
    if roots is not None and not signed.trusted:
        untrusted = [s for s in signed.signatures if s.trust != "trusted"]
        why = "; ".join(f"{s.field} ({s.signer}): {s.trust_problem}" for s in untrusted)
        raise VerificationFailed(f"{pdf}: rejected: the signer is not trusted by {trust}: {why}")
    with err.status("verifying the signed document: rendering again from the embedded parts…"):
        result = verify(
            signed.original, review if review is not None else _stored_review_pack(signed.original)
        )
    if not result.ok:
        raise VerificationFailed(f"{pdf}: the signed document does not verify: {result.message}")
    console.print(f"{pdf}: signed document {result.message}")
    return True


def _stored_review_pack(pdf: bytes) -> bytes | None:
    """For a filing pack verified without --review: its review pack from the register, when
    the transfer is stored there (a register that does not exist is not created)."""
    from dtia.config import Settings
    from dtia.dossier.build import FILING_NAME, embedded_files

    try:
        record = json.loads(embedded_files(pdf).get(FILING_NAME, b"null"))
        transfer_id, as_of = str(record["transfer_id"]), date.fromisoformat(record["as_of"])
        input_sha = str(record["input_sha256"])
    except (DtiaError, ValueError, KeyError, TypeError):
        return None  # not a filing pack (or a damaged one: verify says which)
    settings = Settings()
    if settings.database_url is None and not (settings.data_dir / "dtia.db").is_file():
        return None
    from dtia.register import Register

    return Register(settings).review_pack(transfer_id, as_of, input_sha)


def _actor() -> str:
    import getpass

    try:
        return getpass.getuser()
    except OSError:
        return "unknown"


policy_app = typer.Typer(
    help="Published privacy policies and notices as evidence.", no_args_is_help=True
)
app.add_typer(policy_app, name="policy")


@policy_app.command("check")
def policy_check(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="The policy or notice: plain text, Markdown, HTML or PDF; UTF-8.",
        ),
    ],
    as_of: AsOfOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the dtia.policy-check/v1 JSON instead.")
    ] = False,
) -> None:
    """Check what a published policy discloses, item by item, with the evidence for each answer.

    Vietnamese law (Law 91/2025, Decree 356/2025, Decree 330/2026 Art 56(2)(b)) for its
    English and Vietnamese text; APPI (joint use, Art 27(5)(iii); foreign provision, Art 28)
    for its Japanese text. Exits 0 when the policy could be checked, whatever it lacks; 2 when
    it cannot be read.
    """
    from dtia.policy import check_policy

    when = parse_date(as_of)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise PolicyError(
            str(file), f"cannot read it: {exc.strerror or type(exc).__name__}"
        ) from None
    result = check_policy(str(file), data, when)
    if as_json:
        sys.stdout.write(result.to_json())
        return
    from dtia.policy.report import render_check

    render_check(result, Console(highlight=False, markup=False))


transfers_app = typer.Typer(help="The register of saved transfers.", no_args_is_help=True)
filing_app = typer.Typer(help="Filing lifecycle: status, approvals, events.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
db_app = typer.Typer(help="The register's database.", no_args_is_help=True)
app.add_typer(transfers_app, name="transfers")
app.add_typer(filing_app, name="filing")
app.add_typer(audit_app, name="audit")
app.add_typer(db_app, name="db")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@transfers_app.command("list")
def transfers_list(as_of: AsOfOption = None, as_json: JsonOption = False) -> None:
    """Every saved transfer: residual risk, filing state and next open deadline."""
    from rich.table import Table

    from dtia.register import Register

    rows = Register().transfers(as_of=parse_date(as_of))
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"Register ({len(rows)} transfers)", title_justify="left")
    for col in ("Transfer", "Version", "Residual risk", "Dossier", "Filing", "Next deadline"):
        table.add_column(col, overflow="fold")
    for r in rows:
        nxt = r["next_deadline"]
        table.add_row(
            r["transfer_id"],
            str(r["version"]),
            r["risk"],
            "required" if r["dossier_required"] else "not required",
            r["filing_state"],
            f"{nxt['kind']} {nxt['due']} ({nxt['status']})" if nxt else "—",
        )
    Console(highlight=False, markup=False).print(table)


@filing_app.command("status")
def filing_status(
    transfer_id: Annotated[str, typer.Argument(metavar="TRANSFER_ID")],
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """State, history, approvals and statutory clocks of one transfer's filing."""
    from rich.table import Table

    from dtia.register import Register

    st = Register().status(transfer_id, as_of=parse_date(as_of))
    if as_json:
        sys.stdout.write(json.dumps(st, ensure_ascii=False, indent=2) + "\n")
        return
    console = Console(highlight=False, markup=False)
    cur = st["current_assessment"]
    console.print(
        f"{transfer_id}: {st['state']} — assessment version {cur['version']} as of {cur['as_of']}"
    )
    for line in timeline_lines(st):
        console.print(line, soft_wrap=True)  # hashes and codes stay on one line
    for d in st["dossiers"]:
        rounds = ", ".join(
            f"round {r['n']} requested {r['requested_on']}"
            + (f", completed {r['completed_on']}" if r["completed_on"] else ", open")
            for r in d["rounds"]
        )
        console.print(
            f"  dossier {d['n']} submitted {d['submitted_on']}"
            + (f" ({d['channel']})" if d["channel"] else "")
            + (f", code {d['code']}" if d["code"] else "")
            + f": rules {d['rules']}"
            + (f"; {rounds}" if rounds else "")
            + (f"; {d['outcome']}" if d["outcome"] else "")
            + (f" ({d['verdict_vi']})" if d["verdict_vi"] else ""),
            soft_wrap=True,
        )
    allowed = st["allowed_events"]
    console.print(f"  next: {', '.join(allowed) if allowed else 'nothing'}")
    table = Table(title="Statutory clocks", title_justify="left")
    for col in ("Kind", "Due", "Legal end", "Status", "Owed by", "Articles"):
        table.add_column(col, overflow="fold")
    for d in st["deadlines"]:
        kind = d["kind"] + (f" (dossier {d['dossier']}, round {d['round']})" if d["round"] else "")
        table.add_row(
            kind,
            d["due"],
            d["legal_end"],
            d["status"].replace("_", " ") + (f": {d['says']}" if d["says"] else ""),
            d["owed_by"],
            "; ".join(d["citations"]),
        )
    console.print(table)


def timeline_lines(st: dict[str, Any]) -> list[str]:
    """Approvals and events in date order (then as recorded), each with what came with it."""
    items: list[tuple[str, int, int, list[str]]] = []
    for i, a in enumerate(st["approvals"]):
        void = " (void: a newer assessment exists)" if a["void"] else ""
        items.append((a["on"], 0, i, [f"  {a['on']} approved by {a['by']}{void}"]))
    for e in st["events"]:
        said = [
            f"channel {e['channel']}" if e["channel"] else "",
            f"code {e['code']}" if e["code"] else "",
            f"receipt {e['reference']}" if e["reference"] else "",
        ]
        head = f"  {e['on']} {e['event']}"
        details = ", ".join(x for x in said if x)
        lines = [head + (f" ({details})" if details else "")]
        lines += [f"      » {c}" for c in e["comments"]]
        lines += [f"      document {d['name']} sha256 {d['sha256']}" for d in e["documents"]]
        items.append((e["on"], 1, e["seq"] or 0, lines))
    return [line for *_, lines in sorted(items, key=lambda x: x[:3]) for line in lines]


@filing_app.command("approve")
def filing_approve(
    transfer_id: Annotated[str, typer.Argument(metavar="TRANSFER_ID")],
    by: Annotated[str, typer.Option("--by", help="Who approves (legal).", callback=_one_line)],
    on: Annotated[
        str | None, typer.Option("--on", metavar="YYYY-MM-DD", help="[default: today in Vietnam]")
    ] = None,
) -> None:
    """Legal approves the current assessment (bound to its hash).

    --on may not be after today in Vietnam nor before Law 91/2025 took effect (exit 2).
    """
    from dtia.filing import FilingDateError
    from dtia.register import Register

    try:
        result = Register().approve(transfer_id, by=by, on=parse_on(on), today=today_in_vietnam())
    except FilingDateError as exc:
        raise _on_problem(exc) from None
    Console(highlight=False, markup=False).print(
        f"{transfer_id}: assessment version {result['approved_version']} approved by {by} "
        f"(sha256 {result['assessment_sha256'][:12]}…); filing {result['state']}; "
        f"audit head {result['audit_head']}",
        soft_wrap=True,  # the head stays one copyable line
    )


@filing_app.command("record")
def filing_record(
    transfer_id: Annotated[str, typer.Argument(metavar="TRANSFER_ID")],
    event: Annotated[
        str,
        typer.Argument(
            metavar="EVENT",
            help="submitted | received | refused_at_receipt | completion_requested | "
            "completed | processing_extended | accepted | not_accepted | update_submitted | "
            "stop_order | withdrawn (the old names filed, completion-requested, update-filed "
            "and stop-order are accepted)",
        ),
    ],
    on: Annotated[str, typer.Option("--on", metavar="YYYY-MM-DD", help="When it happened.")],
    channel: Annotated[
        str | None,
        typer.Option("--channel", metavar="CHANNEL", help="portal | in_person | post."),
    ] = None,
    code: Annotated[
        str | None,
        typer.Option("--code", help="The dossier code (mã hồ sơ) given.", callback=_one_line),
    ] = None,
    receipt: Annotated[
        str | None,
        typer.Option(
            "--receipt",
            "--reference",
            help="The receipt number, or the letter's reference.",
            callback=_one_line,
        ),
    ] = None,
    attach: Annotated[
        list[Path] | None,
        typer.Option(
            "--attach",
            metavar="FILE",
            help="A document that came with the event (receipt, letter). Repeatable.",
        ),
    ] = None,
    comment: Annotated[
        list[str] | None,
        typer.Option(
            "--comment",
            metavar="TEXT",
            help="A comment (the authority's, one per line, or a reason). Repeatable.",
        ),
    ] = None,
    note: Annotated[
        str | None,
        typer.Option(
            "--note", metavar="TEXT", help="Kept as comments, one a line.", callback=_lines
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Who records it [default: the OS user].", callback=_one_line),
    ] = None,
) -> None:
    """Record what happened with the authority (or the transferor's own filing acts).

    --on may not be after today in Vietnam, before Law 91/2025 took effect, nor, for a stop
    order, before the transfer's first transfer date (exit 2). Prints the audit head after
    the event: keep it outside the register (see dtia audit head).
    """
    from dtia.filing import CHANNELS, EVENTS, FilingDateError, lifecycle
    from dtia.register import Register
    from dtia.text import control_problem

    named = lifecycle().event(event)
    if named is None:
        raise UsageProblem(f"unknown event {event!r}; one of: {', '.join(EVENTS)}")
    if channel is not None and channel not in CHANNELS:
        raise typer.BadParameter(
            f"{channel!r} is not a channel; one of: {', '.join(CHANNELS)}", param_hint="'--channel'"
        )
    for text in comment or []:
        if problem := control_problem(text):
            raise typer.BadParameter(problem, param_hint="'--comment'")
    files: list[tuple[str, bytes]] = []
    for path in attach or []:
        try:
            files.append((path.name, path.read_bytes()))
        except OSError as exc:
            raise typer.BadParameter(
                f"cannot read {path}: {exc.strerror}", param_hint="'--attach'"
            ) from None
    when = parse_on(on)
    try:
        result = Register().record(
            transfer_id,
            named,
            on=when,
            reference=receipt,
            note=note,
            actor=by or _actor(),
            today=today_in_vietnam(),
            channel=channel,
            code=code,
            comments=comment or [],
            attachments=files,
        )
    except FilingDateError as exc:
        raise _on_problem(exc) from None
    shown = named if named == event else f"{named} (recorded as {event!r} was)"
    extra = "".join(
        [
            f"; round {result['round']}" if result["round"] else "",
            f"; {len(result['documents'])} document(s)" if result["documents"] else "",
            f"; {len(result['comments'])} comment(s)" if result["comments"] else "",
        ]
    )
    Console(highlight=False, markup=False).print(
        f"{transfer_id}: {shown} on {result['on']}; filing {result['state']} "
        f"({'; '.join(result['citations'])}); rules: {result['rules']}{extra}; "
        f"audit head {result['audit_head']}",
        soft_wrap=True,  # the head stays one copyable line
    )


@app.command()
def deadlines(as_of: AsOfOption = None, as_json: JsonOption = False) -> None:
    """Every open statutory deadline across the register."""
    from rich.table import Table

    from dtia.register import Register

    rows = Register().deadlines(as_of=parse_date(as_of))
    if as_json:
        out = [
            {k: r[k] for k in ("transfer_id", "kind", "due", "status", "citations")} for r in rows
        ]
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"Open deadlines ({len(rows)})", title_justify="left")
    for col in ("Transfer", "Kind", "Due", "Legal end", "Status", "Owed by", "Articles"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            r["transfer_id"],
            r["kind"],
            r["due"],
            r["legal_end"],
            r["status"],
            r["owed_by"],
            "; ".join(r["citations"]),
        )
    Console(highlight=False, markup=False).print(table)


@audit_app.command("head")
def audit_head(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the chain's head, N:HASH (entry count and last hash), to keep outside the register."""
    from dtia.register import Register

    head = Register().audit_head()
    if as_json:
        _print_json({"entries": head.entries, "hash": head.hash, "head": str(head)})
        return
    print(head)


def _parse_heads(values: list[str]) -> list[Head]:
    from dtia.audit import Head

    try:
        return [Head.parse(v) for v in values]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--head'") from None


@audit_app.command("verify")
def audit_verify(
    head: Annotated[
        list[str] | None,
        typer.Option(
            "--head",
            metavar="N:HASH",
            help="A head kept elsewhere (dtia audit head, a filing receipt, a dossier "
            "manifest); the chain must still hold it. Repeatable.",
        ),
    ] = None,
) -> None:
    """Check the hash chain, the heads given, and that the register's tables agree with it:
    exit 0 when intact, 1 naming the first bad entry."""
    from dtia.register import Register

    heads = _parse_heads(head or [])
    check = Register().verify_audit(heads)
    if not check.ok:
        where = (
            f"audit log broken at entry {check.first_bad}"
            if check.first_bad is not None
            else "audit log and register disagree"
        )
        more = check.problems[1:]
        extra = "".join(f"\n  - {p}" for p in more[:20])
        if len(more) > 20:
            extra += f"\n  … and {len(more) - 20} more"
        raise VerificationFailed(f"{where}: {check.reason}{extra}")
    Console(highlight=False, markup=False).print(
        f"audit log intact: {check.entries} entries, head {check.head}"
        + (f"; it holds {len(heads)} head(s) kept elsewhere" if heads else ""),
        soft_wrap=True,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (also done on first use)."""
    from dtia.config import Settings
    from dtia.store.db import make_engine, upgrade

    settings = Settings()
    revision = upgrade(make_engine(settings))
    Console(highlight=False, markup=False).print(
        f"database at revision {revision}: {settings.url().split('@')[-1]}"
    )


users_app = typer.Typer(help="Portal users and their API tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(metavar="NAME", callback=_one_line)],
    role: Annotated[str, typer.Option("--role", help="compliance_officer, legal or auditor.")],
) -> None:
    """Create a portal user; the new API token is the last line printed (shown only now)."""
    from dtia.portal.accounts import Accounts, Role
    from dtia.register import Register

    roles = [r.value for r in Role]
    if role not in roles:
        raise typer.BadParameter(f"{role!r}: choose one of {', '.join(roles)}", param_hint="--role")
    token = Accounts(Register().engine).add(name, Role(role))
    err.print(f"user {name} added as {role}; keep this token, it is not stored and is shown once:")
    print(token)


@users_app.command("revoke")
def users_revoke(name: Annotated[str, typer.Argument(metavar="NAME")]) -> None:
    """Disable a user's token and end its portal sessions."""
    from dtia.portal.accounts import Accounts
    from dtia.register import Register

    Accounts(Register().engine).revoke(name)
    Console(highlight=False, markup=False).print(f"user {name} revoked")


@users_app.command("list")
def users_list() -> None:
    """Portal users, their roles and whether their token works."""
    from rich.table import Table

    from dtia.portal.accounts import Accounts
    from dtia.register import Register

    table = Table("name", "role", "active", "created (UTC)")
    for u in Accounts(Register().engine).users():
        table.add_row(
            u.name, u.role, "yes" if u.active else "revoked", f"{u.created_at:%Y-%m-%d %H:%M}"
        )
    Console(highlight=False, markup=False).print(table)


@users_app.command("calendar")
def users_calendar(name: Annotated[str, typer.Argument(metavar="NAME")]) -> None:
    """Issue the user's calendar feed of deadlines; its address is the last line printed.

    A calendar app subscribes to the address; the token in it opens the feed and nothing
    else, and stops when the user is revoked or a new feed is issued."""
    from datetime import UTC, datetime

    from dtia.portal.feeds import Feeds
    from dtia.register import Register

    register = Register()
    token = Feeds(register.engine).issue(name, now=datetime.now(UTC))
    err.print(f"calendar feed of {name}; keep the address, it is shown once:")
    print(f"{register.settings.portal_url.rstrip('/')}/api/deadlines.ics?token={token}")


mail_app = typer.Typer(help="E-mail notifications (DTIA_SMTP_URL).", no_args_is_help=True)
app.add_typer(mail_app, name="mail")


@mail_app.command("test")
def mail_test(
    to: Annotated[
        str | None,
        typer.Option("--to", help="Addresses to write to (default: DTIA_LEGAL_EMAIL)."),
    ] = None,
) -> None:
    """Send a test message through DTIA_SMTP_URL, to check the mail settings."""
    from datetime import UTC, datetime

    from dtia.notify.service import Notifier, addresses
    from dtia.notify.smtp import MailError
    from dtia.register import Register

    notifier = Notifier(Register())
    if not notifier.enabled:
        raise UsageProblem("DTIA_SMTP_URL is not set: dtia sends no e-mail")
    targets = addresses(to) if to is not None else notifier.legal
    if not targets:
        why = "no address: set DTIA_LEGAL_EMAIL" if to is None else f"{to!r} is no e-mail address"
        raise typer.BadParameter(why, param_hint="--to")
    outcome = notifier.check(to=targets, now=datetime.now(UTC))
    if outcome.status != "sent":
        raise MailError(outcome.error)
    Console(highlight=False, markup=False).print(f"test message sent to {', '.join(targets)}")


@app.command()
def portal(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    header_timeout: Annotated[
        float,
        typer.Option(min=0.1, help="Seconds a request's line and headers may take to arrive."),
    ] = 15.0,
    body_timeout: Annotated[
        float,
        typer.Option(min=0.1, help="Seconds a request body may take, plus one per KiB it brings."),
    ] = 30.0,
    max_connections: Annotated[
        int,
        typer.Option(
            min=1, help="Connections kept open at once (lowered to fit the open-file limit)."
        ),
    ] = 500,
) -> None:
    """Serve the portal: register, transfers, downloads, filings, questionnaires, JSON API."""
    import logging

    from dtia.portal.app import create_app
    from dtia.portal.server import Limits, raise_file_limit, serve

    _prefect_env()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("dtia").setLevel(logging.INFO)  # requests, redacted; not the libraries'
    raise_file_limit()
    limits = Limits(
        header_timeout=header_timeout, body_timeout=body_timeout, max_connections=max_connections
    ).within_file_limit()
    application = create_app()
    err.print(f"dtia portal on http://{host}:{port}/  (API description: /api/openapi.json)")
    err.print(
        f"at most {limits.max_connections} connections; request headers within "
        f"{limits.header_timeout:g} s, bodies within {limits.body_timeout:g} s "
        f"+ 1 s per {limits.min_body_rate // 1024} KiB"
    )
    serve(application, host=host, port=port, limits=limits)


safeguards_app = typer.Typer(help="Recipients' safeguards questionnaires.", no_args_is_help=True)
app.add_typer(safeguards_app, name="safeguards")


@safeguards_app.command("template")
def safeguards_template(
    recipient_id: Annotated[str, typer.Argument(metavar="RECIPIENT_ID", callback=_one_line)],
    out: Annotated[
        Path | None, typer.Option("--out", metavar="FILE", help="Write here instead of stdout.")
    ] = None,
    name: Annotated[
        str | None,
        # one line: the name goes into a YAML comment, where a newline would start a key
        typer.Option(
            "--name", help="The recipient's name, printed in the header.", callback=_one_line
        ),
    ] = None,
) -> None:
    """Write a questionnaire file a recipient can fill in and return by e-mail."""
    from dtia.questionnaire import template

    text = template(recipient_id=recipient_id, recipient_name=name)
    if out is None:
        sys.stdout.write(text)
    else:
        write_atomic(out, text)
        err.print(f"Written: {out}")


@safeguards_app.command("submit")
def safeguards_submit(
    transfer_id: Annotated[str, typer.Argument(metavar="TRANSFER_ID")],
    recipient_id: Annotated[str, typer.Argument(metavar="RECIPIENT_ID")],
    answer: Annotated[
        Path, typer.Argument(metavar="FILE", help="The filled-in questionnaire (YAML or JSON).")
    ],
) -> None:
    """Store a recipient's answer for reuse and resume the assessment run waiting for it."""
    from dtia.intake import parse_safeguards
    from dtia.register import Register
    from dtia.yaml_limits import MAX_BYTES

    _prefect_env()
    try:
        with answer.open("rb") as handle:  # beyond the limit, the parser says it is too big
            data = handle.read(MAX_BYTES + 1)
        # cut at the limit, the last character may be split: the size is what gets reported
        text = data.decode("utf-8", errors="replace" if len(data) > MAX_BYTES else "strict")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageProblem(f"cannot read {answer}: {exc}") from None
    # dated after today in Vietnam, an answer is refused: it attests nothing yet
    safeguards = parse_safeguards(text, str(answer), today=today_in_vietnam())
    waiting = Register().answer_questionnaire(
        transfer_id=transfer_id, recipient_id=recipient_id, safeguards=safeguards, actor=_actor()
    )
    console = Console(highlight=False, markup=False)
    console.print(
        f"Stored the safeguards of {recipient_id} (attested by {safeguards.attested_by})."
    )
    if waiting is not None and waiting.flow_run_id:
        from flows.safeguards import resume_waiting_run

        resume_waiting_run(waiting.flow_run_id, waiting.api_url, safeguards)
        console.print(f"Resumed the assessment run {waiting.flow_run_id}.")


run_app = typer.Typer(
    help="Run the Prefect flows locally (or on PREFECT_API_URL when set).", no_args_is_help=True
)
app.add_typer(run_app, name="run")


def _prefect_env() -> None:
    """Quiet, offline-friendly Prefect defaults for local runs; explicit settings win."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def _run_flows_here() -> None:
    """Before a flow runs in this process: the Prefect defaults, and the temporary server
    Prefect starts without a configured API made to end with this process, even killed."""
    _prefect_env()
    from flows.ephemeral import guard_ephemeral_server

    guard_ephemeral_server()


@run_app.command("assess")
def run_assess(
    intake: Annotated[Path, typer.Argument(metavar="INTAKE")],
    as_of: AsOfOption = None,
    wait: Annotated[
        int, typer.Option("--answer-timeout", help="Seconds to wait for a recipient's safeguards.")
    ] = 24 * 3600,
) -> None:
    """Run assess_transfer: safeguards (pausing for missing ones), assessment, dossier, register."""
    with err.status("starting Prefect and running assess-transfer…"):
        _run_flows_here()
        from flows.assess import assess_transfer

        result = assess_transfer(
            intake_path=str(intake.resolve()),
            as_of=parse_date(as_of) if as_of else None,
            answer_timeout_seconds=wait,
        )
    app_ = result["applicability"]
    Console(highlight=False, markup=False).print(
        f"{result['transfer_id']}: dossier {'required' if app_['dossier_required'] else 'not required'}; "
        f"residual risk {result['risk']['residual']['level']}; {len(result['findings'])} findings; saved."
    )


@run_app.command("reassess")
def run_reassess(as_of: AsOfOption = None) -> None:
    """Run reassess_portfolio over the register."""
    with err.status("starting Prefect and re-assessing the register…"):
        _run_flows_here()
        from flows.reassess import reassess_portfolio

        results = reassess_portfolio(as_of=parse_date(as_of) if as_of else None)
    console = Console(highlight=False, markup=False)
    console.print(
        f"{len(results)} stale transfers, {sum(1 for r in results if r.get('created'))} new versions, "
        f"{sum(1 for r in results if r.get('update'))} update drafts"
    )
    for r in results:
        console.print(
            f"  {r['transfer_id']}: {', '.join(r['reasons'])}"
            + (f" -> version {r['version']}" if r.get("created") else "")
            + (f"; update ({', '.join(r['update']['kinds'])})" if r.get("update") else "")
            + (f"; error: {r['error']}" if r.get("error") else "")
        )


@run_app.command("clock")
def run_clock(as_of: AsOfOption = None) -> None:
    """Run filing_clock: every open deadline, with events for the pressing ones."""
    with err.status("starting Prefect and checking the clocks…"):
        _run_flows_here()
        from flows.reassess import filing_clock

        rows = filing_clock(as_of=parse_date(as_of) if as_of else None)
    console = Console(highlight=False, markup=False)
    console.print(f"{len(rows)} open deadlines")
    for r in rows:
        console.print(f"  {r['due']} {r['status']:<9} {r['transfer_id']} {r['kind']}")


def _print_json(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@schema_app.command("intake")
def schema_intake() -> None:
    """The JSON Schema of the intake format dtia.intake/v1."""
    from dtia.intake import intake_json_schema

    _print_json(intake_json_schema())


@schema_app.command("assessment")
def schema_assessment() -> None:
    """The JSON Schema of the assessment format dtia.assessment/v1."""
    schema = Assessment.model_json_schema(by_alias=True, mode="serialization")
    schema["title"] = "dtia.assessment/v1"
    _print_json(schema)


def main() -> None:
    """Console-script entry point: run the app and translate errors into exit codes."""
    try:
        app(standalone_mode=False)
    except IntakeError as exc:
        count = exc.total
        _error(
            "error:", f"{exc.source}: invalid intake, {count} problem{'s' if count != 1 else ''}:"
        )
        for problem in exc.problems:
            err.print(f"  - {problem}")
        if exc.more:
            err.print(f"  … {more_problems(exc.more)}")
        sys.exit(2)
    except SigningInputError as exc:
        _error("error:", f"{SIGNING_OPTIONS.get(exc.option, exc.option)}: {exc.message}")
        sys.exit(2)
    except SigningUsage as exc:
        _error("error:", str(exc))
        sys.exit(2)
    except PolicyError as exc:
        _error("error:", str(exc))
        sys.exit(2)
    except NotReady as exc:
        _error("not ready:", str(exc))
        sys.exit(NOT_READY)
    except DtiaError as exc:
        _error("error:", str(exc))
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(1)
    except Exception as exc:  # the last line of defence: no traceback for users
        import click
        from typer._click.exceptions import ClickException as TyperClickException

        if isinstance(exc, click.exceptions.ClickException | TyperClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if os.environ.get("DTIA_DEBUG"):
            raise
        _error("internal error:", _describe(exc))
        err.print("Run again with DTIA_DEBUG=1 to see the traceback, and please report it.")
        sys.exit(1)


def _describe(exc: Exception) -> str:
    """An unexpected error, in one line. A database error's text holds the SQL statement and
    every parameter (the user's data): only the database's own reason is shown."""
    from sqlalchemy.exc import StatementError

    if isinstance(exc, StatementError) and exc.orig is not None:
        reason = str(exc.orig).strip().splitlines()
        return f"database error ({type(exc.orig).__name__}): {reason[0] if reason else ''}"
    return f"{type(exc).__name__}: {exc}"


if __name__ == "__main__":
    main()
