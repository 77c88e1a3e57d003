"""Signing a dossier and checking a signed one, as a signatory and an inspector would:
a PKCS#12 file and a PKCS#11 token made here, pdfsig as an outside opinion, the dtia
command's exit codes and messages, and files changed after signing."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from dtia.dossier import sign
from tests.support import READY

# The filing pack is what is signed: a complete intake's, ready to file.
FPT = READY
SIGNER = "Nguyễn Văn An"
PASSPHRASE = "mật khẩu 2026"
SOFTHSM = Path("/usr/lib/softhsm/libsofthsm2.so")


def dtia(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dtia.cli", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        stdin=subprocess.DEVNULL,  # no terminal: secrets come from files or not at all
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


@dataclass(frozen=True)
class Keys:
    folder: Path
    p12: Path
    passphrase: Path
    ca_pem: Path
    other_ca_pem: Path
    key: rsa.RSAPrivateKey
    cert: x509.Certificate


def _name(common: str, org: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _ca(common: str) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    name = _name(common, "Test CA")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    folder = tmp_path_factory.mktemp("keys")
    ca_key, ca = _ca("dtia Test Root CA")
    _other_key, other_ca = _ca("Some Other Root CA")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(SIGNER, "Công ty TNHH FPT Smart Cloud"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    p12 = folder / "signer.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"signer",
            key,
            cert,
            [ca],
            serialization.BestAvailableEncryption(PASSPHRASE.encode()),
        )
    )
    passphrase = folder / "passphrase.txt"
    passphrase.write_text(PASSPHRASE + "\n", encoding="utf-8")
    ca_pem = folder / "ca.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    other_ca_pem = folder / "other-ca.pem"
    other_ca_pem.write_bytes(other_ca.public_bytes(serialization.Encoding.PEM))
    return Keys(folder, p12, passphrase, ca_pem, other_ca_pem, key, cert)


@pytest.fixture(scope="module")
def dossier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dossier")
    r = dtia("dossier", str(FPT), "--as-of", "2026-11-22", "--out", str(out))
    assert r.returncode == 0, r.stderr
    return out / "filing.pdf"


def review_of(pdf: Path) -> str:
    """The review pack rendered with the filing pack (the signed copies sit next to it)."""
    return str(pdf.parent / "review.pdf")


@pytest.fixture(scope="module")
def signed(dossier: Path, keys: Keys) -> Path:
    out = dossier.parent / "signed.pdf"
    r = dtia(
        "dossier",
        "sign",
        str(dossier),
        "--pkcs12",
        str(keys.p12),
        "--passphrase-file",
        str(keys.passphrase),
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    return out


def pdfsig(path: Path) -> str:
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False).stdout


def test_signing_appends_a_pades_signature_pdfsig_accepts(dossier: Path, signed: Path) -> None:
    original, data = dossier.read_bytes(), signed.read_bytes()
    assert data.startswith(original) and len(data) > len(original)  # an incremental update
    report = pdfsig(signed)
    assert "Signature Validation: Signature is Valid." in report, report
    assert f"Signer Certificate Common Name: {SIGNER}" in report, report
    assert "ETSI.CAdES.detached" in report  # PAdES, not the older adbe.pkcs7
    assert "Total document signed" in report
    checked = sign.check_signatures(data)
    assert checked is not None and checked.original == original
    assert checked.signatures[0].signer == SIGNER
    assert checked.problems == () and not checked.appended_after_signing


def test_signing_keeps_the_pdfa_identification_and_the_vietnamese_fields(
    dossier: Path, signed: Path
) -> None:
    from pypdf import PdfReader

    assert sign.pdfa_identification(dossier.read_bytes()) == "3B"
    assert sign.pdfa_identification(signed.read_bytes()) == "3B"
    reader = PdfReader(signed)
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    # PDF/A wants the information dictionary and the XMP metadata to agree
    producer = str(reader.metadata["/Producer"])
    assert f'pdf:Producer="{producer}"' in xmp, (producer, xmp)
    sig = next(
        f["/V"].get_object() for f in reader.trailer["/Root"]["/AcroForm"]["/Fields"]
    )  # the signature dictionary
    assert sig["/Reason"] == sign.REASON
    assert sig["/Location"] == "Hà Nội"  # the cover notice's place
    widget = next(f.get_object() for f in reader.trailer["/Root"]["/AcroForm"]["/Fields"])
    assert int(widget["/F"]) & 4 and not int(widget["/F"]) & 2  # printable, not hidden
    assert "/AP" in widget  # PDF/A wants an appearance even on an invisible widget


def test_verify_a_signed_dossier_names_the_signer_and_re_renders(signed: Path) -> None:
    r = dtia("dossier", "verify", str(signed), "--review", review_of(signed))
    assert r.returncode == 0, r.stderr
    assert SIGNER in r.stdout
    assert "integrity: intact" in r.stdout
    assert "trust:     not checked" in r.stdout
    assert "signed document verified: filing pack of fsc-fpt-japan-ready" in r.stdout
    assert "against its review pack" in r.stdout
    # the signed revision is a filing pack: without its review pack it cannot be re-rendered
    alone = dtia("dossier", "verify", str(signed))
    assert alone.returncode == 1 and "--review REVIEW.pdf" in alone.stderr


def test_verify_with_trust_requires_the_chain(signed: Path, keys: Keys) -> None:
    trusted = dtia(
        "dossier", "verify", str(signed), "--trust", str(keys.ca_pem), "--review", review_of(signed)
    )
    assert trusted.returncode == 0, trusted.stderr
    assert "trust:     trusted" in trusted.stdout

    other = dtia(
        "dossier", "verify", str(signed), "--trust", str(keys.other_ca_pem), "--review", review_of(signed)
    )
    assert other.returncode == 1, other.stdout
    assert "trust:     untrusted" in other.stdout
    assert "integrity: intact" in other.stdout  # trust is reported apart from integrity
    assert "not trusted by" in other.stderr
    assert "does not chain to any of the trusted roots" in other.stderr
    assert "Traceback" not in other.stderr


def test_verify_rejects_a_byte_changed_after_signing(signed: Path, tmp_path: Path) -> None:
    data = bytearray(signed.read_bytes())
    # a byte inside a content stream, well within the signed range
    at = data.index(b"stream\n", 2000) + 40
    data[at] ^= 0x01
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(bytes(data))
    r = dtia("dossier", "verify", str(changed), "--review", review_of(signed))
    assert r.returncode == 1
    assert "rejected" in r.stderr and "the signed bytes were changed" in r.stderr
    assert "integrity: BROKEN" in r.stdout
    assert "Traceback" not in r.stderr
    assert "Signature Validation: Signature is Valid." not in pdfsig(changed)


def test_verify_rejects_bytes_appended_after_signing(signed: Path, tmp_path: Path) -> None:
    appended = tmp_path / "appended.pdf"
    appended.write_bytes(signed.read_bytes() + b"\n% an afterthought\n")
    r = dtia("dossier", "verify", str(appended), "--review", review_of(signed))
    assert r.returncode == 1
    assert "appended after the last signature" in r.stderr
    assert "Traceback" not in r.stderr


def test_an_update_appended_after_signing_is_rejected(signed: Path) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed.read_bytes()))
    writer.root["/Lang"] = generic.TextStringObject("en")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    checked = sign.check_signatures(out.getvalue())
    assert checked is not None and not checked.intact
    assert checked.appended_after_signing
    assert any("changes the document after it was signed" in p for p in checked.problems)


def test_a_signing_update_that_changes_a_page_is_rejected(dossier: Path, keys: Keys) -> None:
    """A signature is valid over whatever its own update holds: that update must add a
    signature and nothing that changes what the document shows."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    original = dossier.read_bytes()
    writer = IncrementalPdfFileWriter(io.BytesIO(original))
    page_ref = writer.find_page_for_modification(0)[0]
    page = page_ref.get_object()
    page["/MediaBox"] = generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 100, 100)])
    writer.update_container(page)
    signer = signers.SimpleSigner.load_pkcs12_data(
        keys.p12.read_bytes(), other_certs=(), passphrase=PASSPHRASE.encode()
    )
    meta = signers.PdfSignatureMetadata(field_name="S", subfilter=fields.SigSeedSubFilter.PADES)
    data = signers.sign_pdf(writer, meta, signer=signer).getvalue()
    checked = sign.check_signatures(data)
    assert checked is not None
    assert checked.signatures[0].intact  # the signature itself holds...
    assert not checked.intact  # ...but the file is not what was rendered
    assert any("changes a page's /MediaBox" in p for p in checked.problems), checked.problems


def test_a_second_signature_is_a_co_signature(signed: Path, dossier: Path, keys: Keys) -> None:
    key = sign.Pkcs12Key(keys.p12, PASSPHRASE.encode())
    twice = sign.sign_pdf(signed.read_bytes(), key, location="Hà Nội")
    checked = sign.check_signatures(twice)
    assert checked is not None and checked.problems == ()
    assert [s.field for s in checked.signatures] == ["Signature1", "Signature2"]
    assert checked.original == dossier.read_bytes()
    assert sign.pdfa_identification(twice) == "3B"


def test_wrong_passphrase_is_exit_2_and_writes_nothing(
    dossier: Path, keys: Keys, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not it\n", encoding="utf-8")
    out = tmp_path / "signed.pdf"
    r = dtia(
        "dossier",
        "sign",
        str(dossier),
        "--pkcs12",
        str(keys.p12),
        "--passphrase-file",
        str(wrong),
        "--out",
        str(out),
    )
    assert r.returncode == 2
    assert "--passphrase-file" in r.stderr and "wrong passphrase" in r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [wrong]  # no temporary file left either


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--passphrase-file", "{passphrase}"], "a key is needed"),
        (["--pkcs12", "{p12}"], "--passphrase-file F is needed"),
        (["--pkcs12", "{folder}/missing.p12", "--passphrase-file", "{passphrase}"], "--pkcs12"),
        (["--pkcs12", "{p12}", "--passphrase-file", "{folder}/missing.txt"], "--passphrase-file"),
        (["--pkcs12", "{ca}", "--passphrase-file", "{passphrase}"], "--passphrase-file"),
        (["--pkcs11-lib", "/no/such/lib.so"], "also needs --token-label and --key-label"),
        (
            [
                "--pkcs11-lib",
                "{folder}/missing.so",
                "--token-label",
                "t",
                "--key-label",
                "k",
                "--pin-file",
                "{passphrase}",
            ],
            "--pkcs11-lib",
        ),
        (["--pkcs12", "{p12}", "--pkcs11-lib", "x.so"], "choose one key"),
    ],
)
def test_bad_signing_options_are_exit_2_naming_the_option(
    dossier: Path, keys: Keys, tmp_path: Path, args: list[str], expected: str
) -> None:
    values = {
        "passphrase": str(keys.passphrase),
        "p12": str(keys.p12),
        "folder": str(keys.folder),
        "ca": str(keys.ca_pem),
    }
    out = tmp_path / "signed.pdf"
    filled = [a.format(**values) for a in args]
    r = dtia("dossier", "sign", str(dossier), *filled, "--out", str(out))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert expected in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists()


def test_trust_file_that_is_no_certificate_is_exit_2(signed: Path, keys: Keys) -> None:
    r = dtia("dossier", "verify", str(signed), "--trust", str(keys.passphrase))
    assert r.returncode == 2
    assert "--trust" in r.stderr and "Traceback" not in r.stderr


def test_an_unsigned_dossier_verifies_as_before_but_cannot_be_trusted(
    dossier: Path, keys: Keys
) -> None:
    assert sign.check_signatures(dossier.read_bytes()) is None
    r = dtia("dossier", "verify", str(dossier), "--trust", str(keys.ca_pem))
    assert r.returncode == 1 and "not signed" in r.stderr


@pytest.fixture
def token(keys: Keys, tmp_path: Path) -> dict[str, str]:
    """A SoftHSM token in a folder of its own, holding the signer's key and certificate."""
    if not SOFTHSM.is_file():
        pytest.skip(f"SoftHSM2 is not installed ({SOFTHSM} is absent): apt-get install softhsm2")
    tool = shutil.which("softhsm2-util")
    assert tool is not None, "softhsm2-util comes with the softhsm2 package"
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n",
        encoding="utf-8",
    )
    env = {"SOFTHSM2_CONF": str(conf)}
    subprocess.run(
        [
            tool,
            "--init-token",
            "--free",
            "--label",
            "dtia-test",
            "--so-pin",
            "1234",
            "--pin",
            "5678",
        ],
        check=True,
        capture_output=True,
        env={**os.environ, **env},
    )
    key_pem = tmp_path / "key.pem"
    key_pem.write_bytes(
        keys.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    subprocess.run(
        [
            tool,
            "--import",
            str(key_pem),
            "--token",
            "dtia-test",
            "--label",
            "signer",
            "--id",
            "01",
            "--pin",
            "5678",
        ],
        check=True,
        capture_output=True,
        env={**os.environ, **env},
    )
    # softhsm2-util imports keys only: the certificate goes in through PKCS#11 itself, in a
    # child process so this one never loads the module with a configuration of the moment
    script = (
        "import sys, pkcs11\n"
        "from pkcs11 import Attribute, ObjectClass, CertificateType\n"
        "der = open(sys.argv[2], 'rb').read(); subject = open(sys.argv[3], 'rb').read()\n"
        "token = pkcs11.lib(sys.argv[1]).get_token(token_label='dtia-test')\n"
        "with token.open(rw=True, user_pin='5678') as s:\n"
        "    s.create_object({Attribute.CLASS: ObjectClass.CERTIFICATE,\n"
        "        Attribute.CERTIFICATE_TYPE: CertificateType.X_509, Attribute.TOKEN: True,\n"
        "        Attribute.LABEL: 'signer', Attribute.ID: b'\\x01', Attribute.VALUE: der,\n"
        "        Attribute.SUBJECT: subject})\n"
    )
    der = tmp_path / "cert.der"
    der.write_bytes(keys.cert.public_bytes(serialization.Encoding.DER))
    subject = tmp_path / "subject.der"
    subject.write_bytes(keys.cert.subject.public_bytes())
    subprocess.run(
        [sys.executable, "-c", script, str(SOFTHSM), str(der), str(subject)],
        check=True,
        capture_output=True,
        env={**os.environ, **env},
    )
    pin = tmp_path / "pin.txt"
    pin.write_text("5678\n", encoding="utf-8")
    return {**env, "pin": str(pin)}


def test_signing_on_a_pkcs11_token(
    token: dict[str, str], dossier: Path, keys: Keys, tmp_path: Path
) -> None:
    env = {"SOFTHSM2_CONF": token["SOFTHSM2_CONF"]}
    out = tmp_path / "signed-on-token.pdf"
    base = [
        "dossier",
        "sign",
        str(dossier),
        "--pkcs11-lib",
        str(SOFTHSM),
        "--token-label",
        "dtia-test",
    ]
    r = dtia(*base, "--key-label", "signer", "--pin-file", token["pin"], "--out", str(out), env=env)
    assert r.returncode == 0, r.stderr
    report = pdfsig(out)
    assert "Signature Validation: Signature is Valid." in report, report
    assert SIGNER in report
    v = dtia(
        "dossier", "verify", str(out), "--trust", str(keys.ca_pem), "--review", review_of(dossier),
        env=env,
    )
    assert v.returncode == 0, v.stderr
    assert SIGNER in v.stdout and "trust:     trusted" in v.stdout

    wrong_pin = tmp_path / "wrong-pin.txt"
    wrong_pin.write_text("0000\n", encoding="utf-8")
    for extra, option in (
        (["--key-label", "signer", "--pin-file", str(wrong_pin)], "--pin-file"),
        (["--key-label", "nobody", "--pin-file", token["pin"]], "--key-label"),
    ):
        bad = tmp_path / "bad.pdf"
        r = dtia(*base, *extra, "--out", str(bad), env=env)
        assert r.returncode == 2, r.stderr
        assert option in r.stderr and "Traceback" not in r.stderr
        assert not bad.exists()
    r = dtia(
        "dossier",
        "sign",
        str(dossier),
        "--pkcs11-lib",
        str(SOFTHSM),
        "--token-label",
        "nope",
        "--key-label",
        "signer",
        "--pin-file",
        token["pin"],
        "--out",
        str(tmp_path / "x.pdf"),
        env=env,
    )
    assert r.returncode == 2 and "--token-label" in r.stderr and "dtia-test" in r.stderr


def test_signing_what_is_not_a_pdf_is_exit_1_and_writes_nothing(keys: Keys, tmp_path: Path) -> None:
    out = tmp_path / "signed.pdf"
    r = dtia(
        "dossier",
        "sign",
        str(FPT),
        "--pkcs12",
        str(keys.p12),
        "--passphrase-file",
        str(keys.passphrase),
        "--out",
        str(out),
    )
    assert r.returncode == 1
    assert "not a readable PDF" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()
