"""A throw-away self-signed certificate for the stand-ins served over TLS (as a platform at its
own host name would be, reached with `verify=no`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOSTS = (
    "qyapi.weixin.qq.com",
    "oapi.dingtalk.com",
    "open.feishu.cn",
    "open.larksuite.com",
    "dysmsapi.aliyuncs.com",
    "sms.tencentcloudapi.com",
)


def self_signed(directory: Path) -> tuple[Path, Path]:
    """(certificate, key) files for the platforms' real host names and 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOSTS[0])])
    now = datetime.now(UTC)
    names: list[x509.GeneralName] = [x509.DNSName(h) for h in HOSTS]
    names.append(x509.IPAddress(IPv4Address("127.0.0.1")))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "standin.crt", directory / "standin.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file
