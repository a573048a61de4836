"""RFC 3161 over real HTTP on loopback: our client, our authority, and openssl as a witness."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
from pathlib import Path

import pytest
import requests
from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko_certvalidator import ValidationContext

from facturier.engine.pdf.certificates import load_pkcs12, make_self_signed
from facturier.engine.pdf.tsa import (
    CONTENT_TYPE_QUERY,
    ForbiddenTimeStampUrl,
    InvalidTimeStamp,
    TimeStampAuthority,
    TimeStampClient,
    TimeStampRefused,
    parse_response,
    verify_token,
)

TSA_POLICY = "1.3.6.1.4.1.99999.3161.1"
"""The policy of the test authority (see conftest.py)."""
DATA = "Facture F-2026-0042 — 1 200,00 €".encode()


def _request(data: bytes, *, hash_algorithm: str = "sha256", nonce: int | None = 4242, policy: str | None = None):
    fields = {
        "version": "v1",
        "message_imprint": {
            "hash_algorithm": {"algorithm": hash_algorithm},
            "hashed_message": hashlib.new(hash_algorithm, data).digest(),
        },
        "cert_req": True,
    }
    if nonce is not None:
        fields["nonce"] = nonce
    if policy is not None:
        fields["req_policy"] = policy
    return tsp.TimeStampReq(fields).dump()


def _post(url: str, body: bytes, content_type: str = CONTENT_TYPE_QUERY) -> requests.Response:
    return requests.post(url, data=body, headers={"Content-Type": content_type}, timeout=10)


def test_client_gets_a_verified_token_over_http(tsa_client, tsa_identity):
    token = tsa_client.timestamp(DATA)

    info = verify_token(token, data=DATA, tsa_certificate=tsa_identity.certificate)
    assert info.hashed_message == hashlib.sha256(DATA).digest()
    assert info.policy == TSA_POLICY
    assert info.accuracy_seconds == 1
    assert info.tsa_certificate == tsa_identity.certificate


def test_token_over_http_is_valid_for_pyhanko(tsa_server, tsa_identity):
    response = _post(tsa_server.url, _request(DATA, nonce=987654321))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/timestamp-reply"
    answer = tsp.TimeStampResp.load(response.content)
    assert answer["status"]["status"].native == "granted"
    token = answer["time_stamp_token"]
    tst_info = token["content"]["encap_content_info"]["content"].parsed
    assert tst_info["nonce"].native == 987654321
    assert tst_info["message_imprint"]["hashed_message"].native == hashlib.sha256(DATA).digest()

    trusted = asn1_x509.Certificate.load(tsa_identity.certificate.public_bytes(serialization.Encoding.DER))
    context = ValidationContext(trust_roots=[trusted], allow_fetching=False)
    status = asyncio.run(
        validate_tst_signed_data(token["content"], context, lambda algorithm: hashlib.new(algorithm, DATA).digest())
    )
    assert status["intact"] and status["valid"]
    assert status["trust_problem_indic"] is None  # the path to the trusted TSA certificate validated


def test_two_tokens_have_distinct_serial_numbers(tsa_client):
    first, second = (verify_token(tsa_client.timestamp(DATA), data=DATA) for _ in range(2))

    assert first.serial != second.serial


def test_openssl_reads_and_verifies_a_token_from_our_authority(tsa_server, tsa_identity, openssl, tmp_path: Path):
    (tmp_path / "invoice.txt").write_bytes(DATA)
    (tmp_path / "tsa.pem").write_bytes(tsa_identity.certificate.public_bytes(serialization.Encoding.PEM))
    query = tmp_path / "request.tsq"
    subprocess.run(
        [openssl, "ts", "-query", "-data", "invoice.txt", "-sha256", "-cert", "-out", str(query)],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )

    response = _post(tsa_server.url, query.read_bytes())
    (tmp_path / "response.tsr").write_bytes(response.content)

    shown = subprocess.run(
        [openssl, "ts", "-reply", "-in", "response.tsr", "-text"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert "Status: Granted." in shown.stdout
    assert TSA_POLICY in shown.stdout
    assert "Nonce: 0x" in shown.stdout
    assert "Accuracy: 0x01 seconds" in shown.stdout
    # -queryfile makes openssl check the imprint, the nonce and the policy against the request.
    verified = subprocess.run(
        [openssl, "ts", "-verify", "-in", "response.tsr", "-queryfile", "request.tsq", "-CAfile", "tsa.pem"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Verification: OK" in verified.stdout


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/tsa",
        "http://localhost/tsa",
        "http://10.1.2.3/tsa",
        "http://192.168.0.10/tsa",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/tsa",
        "http://0.0.0.0/tsa",
    ],
)
def test_client_refuses_private_and_loopback_addresses(url):
    client = TimeStampClient(url, timeout=1)

    with pytest.raises(ForbiddenTimeStampUrl) as caught:
        client.timestamp(DATA)

    assert "privé" in caught.value.message.fr and "private" in caught.value.message.en


@pytest.mark.parametrize("url", ["ftp://tsa.example/", "file:///etc/passwd", "https://user:pw@tsa.example/", "tsa"])
def test_client_refuses_urls_that_are_not_plain_http(url):
    with pytest.raises(ForbiddenTimeStampUrl):
        TimeStampClient(url)


def test_loopback_is_reachable_only_when_explicitly_allowed(tsa_server):
    with pytest.raises(ForbiddenTimeStampUrl):
        TimeStampClient(tsa_server.url).timestamp(DATA)

    assert TimeStampClient(tsa_server.url, allow_private=True).timestamp(DATA)


def test_authority_rejects_sha1_imprints(tsa_authority):
    status, token = parse_response(tsa_authority.respond(_request(DATA, hash_algorithm="sha1")))

    assert status["status"].native == "rejection"
    assert status["fail_info"].native == {"bad_alg"}
    assert token is None


def test_authority_rejects_garbage_and_foreign_policies(tsa_authority):
    garbage, _ = parse_response(tsa_authority.respond(b"\x30\x03\x02\x01\x01"))
    foreign, _ = parse_response(tsa_authority.respond(_request(DATA, policy="1.2.3.4.5")))

    assert garbage["fail_info"].native == {"bad_data_format"}
    assert foreign["fail_info"].native == {"unaccepted_policy"}


def test_server_answers_only_timestamp_queries(tsa_server):
    assert _post(tsa_server.url, _request(DATA), content_type="text/plain").status_code == 415
    assert requests.get(tsa_server.url, timeout=10).status_code == 405


def test_token_for_other_data_or_nonce_is_refused(tsa_authority):
    answer = tsp.TimeStampResp.load(tsa_authority.respond(_request(DATA, nonce=7)))
    token = answer["time_stamp_token"].dump()

    with pytest.raises(InvalidTimeStamp, match="imprint"):
        verify_token(token, data=b"another invoice")
    with pytest.raises(InvalidTimeStamp, match="nonce"):
        verify_token(token, data=DATA, nonce=8)
    assert verify_token(token, data=DATA, nonce=7).nonce == 7


def test_tampered_token_does_not_verify(tsa_authority):
    answer = tsp.TimeStampResp.load(tsa_authority.respond(_request(DATA)))
    token = cms.ContentInfo.load(answer["time_stamp_token"].dump())
    signer_info = token["content"]["signer_infos"][0]
    signature = bytearray(signer_info["signature"].native)
    signature[-1] ^= 0x01
    signer_info["signature"] = bytes(signature)

    with pytest.raises(InvalidTimeStamp, match="signature"):
        verify_token(token.dump(), data=DATA)


def test_token_signed_by_a_certificate_without_timestamping_usage_is_refused(tsa_authority):
    seal = load_pkcs12(make_self_signed("ACME SAS", "ACME SAS", days=30), "")
    token = tsp.TimeStampResp.load(tsa_authority.respond(_request(DATA)))["time_stamp_token"].dump()

    with pytest.raises(InvalidTimeStamp, match="another certificate"):
        verify_token(token, data=DATA, tsa_certificate=seal.certificate)
    with pytest.raises(ValueError, match="timeStamping"):
        TimeStampAuthority(seal, TSA_POLICY)


@pytest.mark.parametrize("key_type", ["ec", "rsa"])
def test_authority_signs_with_ec_and_rsa_keys(key_type):
    identity = load_pkcs12(make_self_signed("TSA", "Opérateur", days=30, purpose="tsa", key_type=key_type), "")
    authority = TimeStampAuthority(identity, TSA_POLICY)

    answer = tsp.TimeStampResp.load(authority.respond(_request(DATA)))

    info = verify_token(answer["time_stamp_token"].dump(), data=DATA, nonce=4242)
    assert info.tsa_certificate == identity.certificate


@pytest.mark.parametrize("key_type", ["ec", "rsa"])
@pytest.mark.parametrize("cert_req", [True, False])
def test_the_answer_is_the_der_asn1crypto_writes(key_type, cert_req):
    identity = load_pkcs12(make_self_signed("TSA", "Opérateur", days=30, purpose="tsa", key_type=key_type), "")
    authority = TimeStampAuthority(identity, TSA_POLICY)
    request = tsp.TimeStampReq.load(_request(DATA))
    request["cert_req"] = cert_req

    der = authority.respond(request.dump())

    answer = tsp.TimeStampResp.load(der)
    assert answer.dump(force=True) == der  # every field re-encoded by asn1crypto from its value
    assert answer["status"]["status"].native == "granted"
    signed_data = answer["time_stamp_token"]["content"]
    assert (signed_data["certificates"].native is not None) is cert_req
    if cert_req:  # without its certificate, a token cannot be checked on its own
        verify_token(answer["time_stamp_token"].dump(), data=DATA, nonce=4242, tsa_certificate=identity.certificate)


def test_an_in_process_stamp_is_the_token_a_request_would_get(tsa_authority, tsa_identity):
    digest = hashlib.sha256(DATA).digest()

    token = tsa_authority.stamp(digest)

    assert cms.ContentInfo.load(token).dump(force=True) == token
    info = verify_token(token, message_digest=digest, tsa_certificate=tsa_identity.certificate)
    assert info.nonce is not None and info.policy == TSA_POLICY
    with pytest.raises(ValueError):
        tsa_authority.stamp(digest[:20])


def test_client_reports_a_refusal_as_such(tsa_server):
    client = TimeStampClient(tsa_server.url, allow_private=True, hash_algo="sha512")
    client.request_cms = lambda digest, algorithm: (1, tsp.TimeStampReq.load(_request(DATA, policy="1.2.3")))

    with pytest.raises(TimeStampRefused, match="unaccepted_policy"):
        client.timestamp(DATA)


def test_the_time_stamp_client_resolves_once_and_connects_to_the_address_it_checked(fake_dns, tsa_server):
    """DNS rebinding: the name answers the server's address first, then another one; the request must
    go to the first (checked) address and the name must be looked up once per connection."""
    port = int(tsa_server.url.split(":")[2].split("/")[0])
    calls = fake_dns({"tsa.rebind.example": ["127.0.0.1", "127.0.0.2"]})
    client = TimeStampClient(f"http://tsa.rebind.example:{port}/tsa", timeout=5, allow_private=True)

    assert client.timestamp(b"first")
    assert calls["tsa.rebind.example"] == 1


def test_the_time_stamp_client_refuses_a_cgnat_address(fake_dns):
    fake_dns({"tsa.cgnat.example": ["100.64.0.7"]})
    with pytest.raises(ForbiddenTimeStampUrl):
        TimeStampClient("http://tsa.cgnat.example/tsa", timeout=1).timestamp(b"x")
