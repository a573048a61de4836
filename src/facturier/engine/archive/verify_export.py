#!/usr/bin/env python3
# ruff: noqa: UP031 - printf-style keeps each English message beside its French twin
"""Offline verifier of a whole Facturier archive export, standard library only.

    python3 verify.py                # in the unpacked export folder
    python3 verify.py export.zip     # or the ZIP itself, not unpacked
    python3 verify.py FOLDER [--lang en] [--operator-key KEY.pem] [--tsa-root ROOT.pem]

Needs Python 3.8 or later and nothing else: a clean `python3 -m venv` runs it. The
signatures are checked with the arithmetic written out below (Ed25519 for the operator's
checkpoints, ECDSA P-256 and RSA PKCS#1 v1.5 for time-stamp authorities), so no package has
to be installed or trusted.

What it checks, in one pass (files are read one at a time, memory stays flat):

1. the inventory: every file listed by `export.json` and `manifest.csv` is present with the
   SHA-256 recorded, and no other file is (`README.txt` and `verify.py` are the tools);
2. the journal (`journal.jsonl`): each entry's hash recomputes, links to the previous one,
   seq numbers follow without gaps;
3. each checkpoint (`checkpoints.jsonl`): its Merkle root recomputes from the journal
   entries it seals, its head hash is the journal's, it links to the previous checkpoint,
   it is signed by the operator key (`operator-public-key.pem`), and its RFC 3161 time
   stamp carries the SHA-256 of that signature with a valid TSA signature;
4. each archived file: its SHA-256 is the fingerprint of the manifest and of its proof; the
   proof's metadata is what the journal entry commits to; the entry is the journal's; its
   Merkle path leads to the root its checkpoint signed; its RFC 3161 time stamp is over the
   file's SHA-256, signed by a TSA certificate allowed to time-stamp, valid at that time,
   and chaining (signature by signature) to a root of `tsa-chain.pem`.

Prints a summary and exits 0 only when everything verifies (1: something failed, 2: the
export could not be read). It does not fetch revocation data; compare the printed operator
key id and TSA fingerprint with the ones your operator publishes, or pin them with
--operator-key / --tsa-root.
"""

from __future__ import annotations

import argparse
import base64
import csv
import datetime as dt
import hashlib
import io
import json
import os
import sys
import zipfile

EXPORT_FORMAT = "facturier-export/1"
BUNDLE_FORMAT = "facturier-proof/1"
ENTRY_FORMAT = "facturier-entry/1"
CHECKPOINT_FORMAT = "facturier-checkpoint/1"
GENESIS_HASH = "0" * 64
UTC = dt.timezone.utc  # noqa: UP017 - the script also runs on Python < 3.11
CLOCK_TOLERANCE = dt.timedelta(minutes=5)
TOOLS = {"README.txt", "verify.py", "export.json"}

# --- DER ---------------------------------------------------------------------------------------


class Invalid(ValueError):
    """Something does not verify (the message says what)."""


class Der:
    __slots__ = ("tag", "raw", "content")

    def __init__(self, tag, raw, content):
        self.tag, self.raw, self.content = tag, raw, content

    def children(self):
        out, pos = [], 0
        while pos < len(self.content):
            node, pos = read_der(self.content, pos)
            out.append(node)
        return out


def read_der(data, pos=0):
    try:
        start, tag = pos, data[pos]
        if tag & 0x1F == 0x1F:
            raise Invalid("high DER tag numbers are not supported")
        length = data[pos + 1]
        pos += 2
        if length & 0x80:
            n = length & 0x7F
            if not 1 <= n <= 4:
                raise Invalid("indefinite or oversized DER length")
            length = int.from_bytes(data[pos:pos + n], "big")
            pos += n
    except IndexError:
        raise Invalid("truncated DER") from None
    end = pos + length
    if end > len(data):
        raise Invalid("truncated DER")
    return Der(tag, bytes(data[start:end]), bytes(data[pos:end])), end


def parse_der(data):
    node, end = read_der(data, 0)
    if end != len(data):
        raise Invalid("trailing bytes after a DER value")
    return node


def oid(node):
    if node.tag != 0x06 or not node.content:
        raise Invalid("expected an object identifier")
    values, acc = [], 0
    for byte in node.content:
        acc = (acc << 7) | (byte & 0x7F)
        if not byte & 0x80:
            values.append(acc)
            acc = 0
    first = min(values[0] // 40, 2)
    return ".".join(str(v) for v in [first, values[0] - 40 * first] + values[1:])


def expect(node, tag, what):
    if node.tag != tag:
        raise Invalid("malformed: expected " + what)
    return node


def der_time(node):
    text = node.content.decode("ascii")
    if node.tag == 0x17:  # UTCTime
        year = int(text[:2])
        text = ("19" if year >= 50 else "20") + text
    if not text.endswith("Z"):
        raise Invalid("times must be in UTC")
    main, _, fraction = text[:-1].partition(".")
    moment = dt.datetime.strptime(main, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    if fraction:
        moment += dt.timedelta(microseconds=int((fraction + "000000")[:6]))
    return moment


def pem_blocks(text, label):
    begin, end, out = "-----BEGIN %s-----" % label, "-----END %s-----" % label, []
    while begin in text:
        head, _, rest = text.partition(begin)
        body, _, text = rest.partition(end)
        out.append(base64.b64decode("".join(body.split())))
    return out


# --- Ed25519 (RFC 8032 §5.1.7), for the operator's checkpoint signatures --------------------------

_P = 2 ** 255 - 19
_L = 2 ** 252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _ed_add(a, b):
    x = (a[1] - a[0]) * (b[1] - b[0]) % _P
    y = (a[1] + a[0]) * (b[1] + b[0]) % _P
    c = 2 * a[3] * b[3] * _D % _P
    d = 2 * a[2] * b[2] % _P
    e, f, g, h = y - x, d - c, d + c, y + x
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _ed_mul(s, point):
    result = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            result = _ed_add(result, point)
        point = _ed_add(point, point)
        s >>= 1
    return result


def _ed_decompress(data):
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        if sign:
            return None
        x = 0
    else:
        x = pow(x2, (_P + 3) // 8, _P)
        if (x * x - x2) % _P:
            x = x * _SQRT_M1 % _P
        if (x * x - x2) % _P:
            return None
        if (x & 1) != sign:
            x = _P - x
    return (x, y, 1, x * y % _P)


_ED_GY = 4 * pow(5, _P - 2, _P) % _P
_ED_G = _ed_decompress(_ED_GY.to_bytes(32, "little"))


def ed25519_verify(public, message, signature):
    if len(public) != 32 or len(signature) != 64:
        return False
    a, r = _ed_decompress(public), _ed_decompress(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= _L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % _L
    left, right = _ed_mul(s, _ED_G), _ed_add(r, _ed_mul(h, a))
    return (left[0] * right[2] - right[0] * left[2]) % _P == 0 and (left[1] * right[2] - right[1] * left[2]) % _P == 0


# --- ECDSA P-256 (FIPS 186-4), for time-stamp authorities ------------------------------------------
# Fixed-base windows: the generator and each TSA key (the same for thousands of tokens) get a
# table of multiples once, then every verification is 64 point additions.

_EP = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_EA = _EP - 3
_EB = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
_EN = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_EG = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
       0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)
_WINDOW = 8
_tables = {}


def _aff_add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0]:
        if (a[1] + b[1]) % _EP == 0:
            return None
        slope = 3 * a[0] * a[0] + _EA
        slope = slope * pow(2 * a[1], -1, _EP) % _EP
    else:
        slope = (b[1] - a[1]) * pow(b[0] - a[0], -1, _EP) % _EP
    x = (slope * slope - a[0] - b[0]) % _EP
    return (x, (slope * (a[0] - x) - a[1]) % _EP)


def _table(point):
    table = _tables.get(point)
    if table is None:
        table, base = [], point
        for _ in range(256 // _WINDOW):
            row, acc = [None], None
            for _ in range((1 << _WINDOW) - 1):
                acc = _aff_add(acc, base)
                row.append(acc)
            table.append(row)
            base = _aff_add(acc, base)  # 2^WINDOW times the window's base
        _tables[point] = table
    return table


def _jac_add_affine(p, q):
    """Jacobian point p plus affine point q (None is infinity)."""
    if q is None:
        return p
    if p is None:
        return (q[0], q[1], 1)
    x1, y1, z1 = p
    z1z1 = z1 * z1 % _EP
    u2 = q[0] * z1z1 % _EP
    s2 = q[1] * z1 * z1z1 % _EP
    h, r = (u2 - x1) % _EP, (s2 - y1) % _EP
    if h == 0:
        if r:
            return None
        return _jac_double(p)
    hh = h * h % _EP
    hhh = h * hh % _EP
    v = x1 * hh % _EP
    x3 = (r * r - hhh - 2 * v) % _EP
    return (x3, (r * (v - x3) - y1 * hhh) % _EP, z1 * h % _EP)


def _jac_double(p):
    x, y, z = p
    if y == 0:
        return None
    yy = y * y % _EP
    s = 4 * x * yy % _EP
    zz = z * z % _EP
    m = 3 * (x - zz) * (x + zz) % _EP
    x3 = (m * m - 2 * s) % _EP
    return (x3, (m * (s - x3) - 8 * yy * yy) % _EP, 2 * y * z % _EP)


def _mul_into(acc, scalar, point):
    mask = (1 << _WINDOW) - 1
    for row in _table(point):
        if scalar == 0:
            break
        acc = _jac_add_affine(acc, row[scalar & mask])
        scalar >>= _WINDOW
    return acc


def ecdsa_p256_verify(point, digest, signature):
    seq = expect(parse_der(signature), 0x30, "ECDSA signature").children()
    r, s = (int.from_bytes(n.content, "big", signed=True) for n in seq)
    if not (0 < r < _EN and 0 < s < _EN):
        return False
    x, y = point
    if (y * y - x * x * x - _EA * x - _EB) % _EP:
        return False
    e = int.from_bytes(digest[:32], "big")
    w = pow(s, -1, _EN)
    result = _mul_into(_mul_into(None, e * w % _EN, _EG), r * w % _EN, point)
    if result is None:
        return False
    zinv = pow(result[2], -1, _EP)
    return (result[0] * zinv * zinv % _EP) % _EN == r


# --- RSA PKCS#1 v1.5 ---------------------------------------------------------------------------

_DIGEST_INFO = {
    "sha1": bytes.fromhex("3021300906052b0e03021a05000414"),
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}


def rsa_pkcs1_verify(key, hash_name, digest, signature):
    n, e = key
    k = (n.bit_length() + 7) // 8
    if len(signature) != k:
        return False
    em = pow(int.from_bytes(signature, "big"), e, n).to_bytes(k, "big")
    t = _DIGEST_INFO[hash_name] + digest
    return em == b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t


# --- Keys and certificates ----------------------------------------------------------------------

HASHES = {"2.16.840.1.101.3.4.2.1": "sha256", "2.16.840.1.101.3.4.2.2": "sha384",
          "2.16.840.1.101.3.4.2.3": "sha512", "1.3.14.3.2.26": "sha1"}
SIGNATURE_HASHES = {"1.2.840.113549.1.1.11": "sha256", "1.2.840.113549.1.1.12": "sha384",
                    "1.2.840.113549.1.1.13": "sha512", "1.2.840.10045.4.3.2": "sha256",
                    "1.2.840.10045.4.3.3": "sha384", "1.2.840.10045.4.3.4": "sha512"}
OID_RSA, OID_EC, OID_ED25519, OID_P256 = "1.2.840.113549.1.1.1", "1.2.840.10045.2.1", "1.3.101.112", \
    "1.2.840.10045.3.1.7"
OID_SIGNED_DATA, OID_TST_INFO = "1.2.840.113549.1.7.2", "1.2.840.113549.1.9.16.1.4"
OID_CONTENT_TYPE, OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.3", "1.2.840.113549.1.9.4"
OID_SIGNING_CERT, OID_SIGNING_CERT_V2 = "1.2.840.113549.1.9.16.2.12", "1.2.840.113549.1.9.16.2.47"
OID_EKU, OID_TIME_STAMPING, OID_CN = "2.5.29.37", "1.3.6.1.5.5.7.3.8", "2.5.4.3"


class PublicKey:
    """A SubjectPublicKeyInfo: Ed25519, EC P-256 or RSA."""

    def __init__(self, spki_der):
        self.der = spki_der
        parts = expect(parse_der(spki_der), 0x30, "SubjectPublicKeyInfo").children()
        algorithm = parts[0].children()
        self.kind = oid(algorithm[0])
        bits = expect(parts[1], 0x03, "public key").content[1:]
        if self.kind == OID_ED25519:
            self.value = bits
        elif self.kind == OID_EC:
            if len(algorithm) < 2 or oid(algorithm[1]) != OID_P256 or len(bits) != 65 or bits[0] != 4:
                raise Invalid("only uncompressed P-256 EC keys are supported")
            self.value = (int.from_bytes(bits[1:33], "big"), int.from_bytes(bits[33:], "big"))
        elif self.kind == OID_RSA:
            n, e = parse_der(bits).children()
            self.value = (int.from_bytes(n.content, "big"), int.from_bytes(e.content, "big"))
        else:
            raise Invalid("unsupported key algorithm " + self.kind)

    @property
    def key_id(self):
        return hashlib.sha256(self.der).hexdigest()

    def verify(self, sig_alg, hash_name, data, signature):
        """Signature over `data` (hashed here with `hash_name` unless the algorithm names its own)."""
        if self.kind == OID_ED25519:
            return sig_alg in ("Ed25519", OID_ED25519) and ed25519_verify(self.value, data, signature)
        hash_name = SIGNATURE_HASHES.get(sig_alg, hash_name)
        digest = hashlib.new(hash_name, data).digest()
        if self.kind == OID_EC:
            if not sig_alg.startswith("1.2.840.10045") and sig_alg != "ECDSA-P256-SHA256":
                return False
            return ecdsa_p256_verify(self.value, digest, signature)
        if sig_alg not in (OID_RSA, "1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13"):
            return False  # RSA-PSS and others: not implemented here
        return rsa_pkcs1_verify(self.value, hash_name, digest, signature)


def load_public_key_pem(text):
    blocks = pem_blocks(text, "PUBLIC KEY")
    if not blocks:
        raise Invalid("no PUBLIC KEY block")
    return PublicKey(blocks[0])


class Certificate:
    def __init__(self, der):
        self.raw = der
        self.sha256 = hashlib.sha256(der).hexdigest()
        cert = expect(parse_der(der), 0x30, "Certificate").children()
        self.tbs_raw = cert[0].raw
        self.sig_alg = oid(cert[1].children()[0])
        self.signature = expect(cert[2], 0x03, "signature").content[1:]
        tbs = cert[0].children()
        if tbs[0].tag == 0xA0:
            tbs = tbs[1:]
        self.serial = int.from_bytes(tbs[0].content, "big", signed=True)
        self.issuer, self.subject = tbs[2].raw, tbs[4].raw
        validity = tbs[3].children()
        self.not_before, self.not_after = der_time(validity[0]), der_time(validity[1])
        self.key = PublicKey(tbs[5].raw)
        self.usages, self.ski = set(), None
        for node in tbs[6:]:
            if node.tag == 0xA3:
                for extension in node.children()[0].children():
                    parts = extension.children()
                    name, value = oid(parts[0]), parse_der(parts[-1].content)
                    if name == OID_EKU:
                        self.usages = {oid(u) for u in value.children()}
                    elif name == "2.5.29.14":
                        self.ski = value.content
        self.name = self._common_name()

    def _common_name(self):
        for rdn in parse_der(self.subject).children():
            for attribute in rdn.children():
                parts = attribute.children()
                if oid(parts[0]) == OID_CN:
                    return parts[1].content.decode("utf-8", "replace")
        return self.sha256[:16]


_signed_by_cache = {}


def signed_by(cert, issuer):
    key = (cert.sha256, issuer.sha256)
    if key not in _signed_by_cache:
        _signed_by_cache[key] = cert.issuer == issuer.subject and issuer.key.verify(
            cert.sig_alg, "sha256", cert.tbs_raw, cert.signature)
    return _signed_by_cache[key]


# --- RFC 3161 time-stamp tokens -------------------------------------------------------------------


class Tokens:
    """Verifies tokens against the export's TSA chain (and pinned roots, when given)."""

    def __init__(self, chain, pinned):
        self.pool = {c.sha256: c for c in chain}
        self.pinned = {c.sha256 for c in pinned}
        self.anchors = {}
        self.tsa = {}

    def verify(self, token, digest):
        """Returns (time, TSA certificate) or raises Invalid."""
        try:
            return self._verify(token, digest)
        except Invalid:
            raise
        except Exception as error:  # noqa: BLE001 - hostile input: whatever breaks, the token is not verified
            raise Invalid("malformed time-stamp token (%s: %s)" % (type(error).__name__, error)) from None

    def _verify(self, token, digest):
        content_info = expect(parse_der(token), 0x30, "ContentInfo").children()
        if len(content_info) != 2 or oid(content_info[0]) != OID_SIGNED_DATA:
            raise Invalid("not a CMS SignedData")
        signed_data = expect(content_info[1].children()[0], 0x30, "SignedData").children()
        encap = signed_data[2].children()
        if oid(encap[0]) != OID_TST_INFO or len(encap) != 2:
            raise Invalid("the token does not hold a TSTInfo")
        tst_der = expect(encap[1].children()[0], 0x04, "eContent").content
        certificates, signer_infos = list(self.pool.values()), None
        for node in signed_data[3:]:
            if node.tag == 0xA0:
                for child in node.children():
                    if child.tag == 0x30:
                        sha = hashlib.sha256(child.raw).hexdigest()
                        if sha not in self.pool:
                            self.pool[sha] = Certificate(child.raw)
                        certificates.append(self.pool[sha])
            elif node.tag == 0x31:
                signer_infos = node.children()
        if not signer_infos or len(signer_infos) != 1:
            raise Invalid("a time-stamp token has exactly one signer")
        tst = expect(parse_der(tst_der), 0x30, "TSTInfo").children()
        imprint = tst[2].children()
        if HASHES.get(oid(imprint[0].children()[0])) != "sha256":
            raise Invalid("the message imprint is not SHA-256")
        if imprint[1].content != digest:
            raise Invalid("the message imprint is not the SHA-256 of this data")
        gen_time = der_time(expect(tst[4], 0x18, "genTime"))
        info = signer_infos[0].children()
        sid, hash_name = info[1], HASHES.get(oid(info[2].children()[0]))
        if hash_name in (None, "sha1"):
            raise Invalid("the token's signature uses an unsupported or weak digest")
        signed_attrs = expect(info[3], 0xA0, "signed attributes")
        sig_alg = oid(info[4].children()[0])
        signature = expect(info[5], 0x04, "signature").content
        attributes = {}
        for attribute in signed_attrs.children():
            parts = attribute.children()
            attributes[oid(parts[0])] = parts[1].children()
        if OID_CONTENT_TYPE not in attributes or oid(attributes[OID_CONTENT_TYPE][0]) != OID_TST_INFO:
            raise Invalid("the signed content type is not TSTInfo")
        signed_digest = attributes.get(OID_MESSAGE_DIGEST)
        if not signed_digest or signed_digest[0].content != hashlib.new(hash_name, tst_der).digest():
            raise Invalid("the TSA signature does not cover this TSTInfo (message digest mismatch)")
        signer = self._signer(sid, certificates)
        self._signing_certificate(attributes, signer)
        if not signer.key.verify(sig_alg, hash_name, b"\x31" + signed_attrs.raw[1:], signature):
            raise Invalid("the TSA's signature over the token is invalid")
        if OID_TIME_STAMPING not in signer.usages:
            raise Invalid("the TSA certificate is not allowed to time-stamp")
        if not signer.not_before <= gen_time <= signer.not_after:
            raise Invalid("the TSA certificate was not valid at the stamped time")
        self._anchor(signer)
        return gen_time, signer

    @staticmethod
    def _signer(sid, certificates):
        if sid.tag == 0x30:
            issuer, serial = sid.children()[0].raw, int.from_bytes(sid.children()[1].content, "big", signed=True)
            for cert in certificates:
                if cert.serial == serial and cert.issuer == issuer:
                    return cert
        elif sid.tag == 0x80:
            for cert in certificates:
                if cert.ski == sid.content:
                    return cert
        raise Invalid("the TSA certificate is neither in the token nor in tsa-chain.pem")

    @staticmethod
    def _signing_certificate(attributes, signer):
        if OID_SIGNING_CERT_V2 in attributes:
            first = attributes[OID_SIGNING_CERT_V2][0].children()[0].children()[0].children()
            hash_name = "sha256"
            if first[0].tag == 0x30:
                hash_name = HASHES.get(oid(first[0].children()[0]))
                first = first[1:]
            if hash_name is None or first[0].content != hashlib.new(hash_name, signer.raw).digest():
                raise Invalid("the signed attributes name another TSA certificate")
        elif OID_SIGNING_CERT in attributes:
            first = attributes[OID_SIGNING_CERT][0].children()[0].children()[0].children()
            if first[0].content != hashlib.sha1(signer.raw).digest():
                raise Invalid("the signed attributes name another TSA certificate")
        else:
            raise Invalid("the token does not name its TSA certificate (no ESS signing-certificate)")

    def _anchor(self, cert):
        """The chain from the TSA certificate up to a self-signed root of the export's chain (cached)."""
        if cert.sha256 in self.anchors:
            return self.anchors[cert.sha256]
        seen, current, chain = {cert.sha256}, cert, [cert.name]
        while True:
            if current.sha256 in self.pinned:
                break
            if current.issuer == current.subject:
                if not signed_by(current, current):
                    raise Invalid("the self-signed certificate %s has a bad signature" % current.name)
                if self.pinned:
                    raise Invalid("the TSA does not chain to the pinned root (--tsa-root)")
                break
            issuer = next((c for c in self.pool.values() if c.subject == current.issuer and c.sha256 not in seen),
                          None)
            if issuer is None:
                raise Invalid("the TSA chain is incomplete: the issuer of %s is missing" % current.name)
            if not signed_by(current, issuer):
                raise Invalid("the certificate %s is not signed by its issuer" % current.name)
            current = issuer
            seen.add(current.sha256)
            chain.append(current.name)
        self.anchors[cert.sha256] = chain
        return chain


# --- The journal's formats ----------------------------------------------------------------------

_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(value):
    return _CANONICAL.encode(value).encode()


def entry_hash(entry):
    body = canonical_json({
        "format": ENTRY_FORMAT, "kind": entry["kind"], "organisation": entry["organisation"],
        "payload_digest": entry["payload_digest"], "prev_hash": entry["prev_hash"],
        "recorded_at": entry["recorded_at"], "ref": entry.get("ref"), "seq": entry["seq"],
        "subject": entry["subject"]})
    return hashlib.sha256(bytes.fromhex(entry["prev_hash"]) + body).hexdigest()


CHECKPOINT_BODY_FIELDS = ("format", "journal", "number", "first_seq", "last_seq", "size", "head_hash",
                          "merkle_root", "period_start", "period_end", "sealed_at", "previous", "algorithm",
                          "key_id")


def checkpoint_body(checkpoint):
    return canonical_json({name: checkpoint[name] for name in CHECKPOINT_BODY_FIELDS})


def checkpoint_digest(checkpoint):
    return hashlib.sha256(checkpoint_body(checkpoint) + base64.b64decode(checkpoint["signature"])).hexdigest()


def parse_time(text):
    if len(text) != 27 or not text.endswith("Z"):
        raise Invalid("not a journal time: %r" % text)
    return dt.datetime.strptime(text[:-1], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)


def _leaf(entry_hash_bytes):
    return hashlib.sha256(b"\x00" + entry_hash_bytes).digest()


def _node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaves):
    """RFC 6962 §2.1 root of the leaf hashes (a list), computed level by level."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = leaves
    while len(level) > 1:
        # RFC 6962 splits at the largest power of two < n: pairing left to right and carrying the odd
        # last node up unchanged gives the same root.
        level = [_node(level[i], level[i + 1]) if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
    return level[0]


def root_from_inclusion(index, size, leaf, path):
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = _node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


# --- Reading the export (a folder or a ZIP) --------------------------------------------------------


class Folder:
    def __init__(self, path):
        self.root = path

    def names(self):
        for folder, _, files in os.walk(self.root):
            for name in files:
                full = os.path.join(folder, name)
                yield os.path.relpath(full, self.root).replace(os.sep, "/")

    def read(self, name):
        with open(os.path.join(self.root, *name.split("/")), "rb") as handle:
            return handle.read()

    def sha256(self, name):
        h = hashlib.sha256()
        with open(os.path.join(self.root, *name.split("/")), "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()

    def lines(self, name):
        with open(os.path.join(self.root, *name.split("/")), encoding="utf-8-sig", newline="") as handle:
            yield from handle

    def exists(self, name):
        return os.path.isfile(os.path.join(self.root, *name.split("/")))


class Zip(Folder):
    def __init__(self, path):
        self.zip = zipfile.ZipFile(path)
        self.members = {i.filename for i in self.zip.infolist() if not i.is_dir()}

    def names(self):
        return iter(self.members)

    def read(self, name):
        return self.zip.read(name)

    def sha256(self, name):
        h = hashlib.sha256()
        with self.zip.open(name) as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()

    def lines(self, name):
        with self.zip.open(name) as handle:
            yield from io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")

    def exists(self, name):
        return name in self.members


# --- The verification ---------------------------------------------------------------------------


class Report:
    def __init__(self, french, limit=50):
        self.french, self.limit = french, limit
        self.failures, self.passed, self.notes = [], [], []

    def fail(self, en, fr):
        self.failures.append(fr if self.french else en)

    def ok(self, en, fr):
        self.passed.append(fr if self.french else en)

    def note(self, en, fr):
        self.notes.append(fr if self.french else en)


def verify_export(source, *, french=False, operator_pins=(), tsa_pins=()):
    report = Report(french)
    fail = report.fail
    try:
        store = Zip(source) if os.path.isfile(source) else Folder(source)
        export = json.loads(store.read("export.json"))
        if export.get("format") != EXPORT_FORMAT:
            raise Invalid("export.json is not a %s export" % EXPORT_FORMAT)
        operator = load_public_key_pem(store.read("operator-public-key.pem").decode("ascii"))
        chain = [Certificate(der) for der in pem_blocks(store.read("tsa-chain.pem").decode("ascii"), "CERTIFICATE")]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        return None, "cannot read the export / lecture impossible de l'export : %s" % error
    tokens = Tokens(chain, tsa_pins)

    # 1. The inventory of every file but the tools.
    expected = {}  # name -> sha256
    for name, digest in export.get("files", {}).items():
        expected[name] = digest
    present = set(store.names())
    manifest_rows = 0
    reader = csv.DictReader(store.lines("manifest.csv"))
    rows = []
    manifest_seqs = set()
    for row in reader:
        manifest_rows += 1
        if row.get("journal_seq", "").isdigit():
            manifest_seqs.add(int(row["journal_seq"]))
        if row.get("status") == "archived":
            rows.append((row["file"], row["sha256"], row["proof"], row.get("journal_seq", "")))
            expected[row["file"]] = row["sha256"]
            if row["proof"]:
                expected.setdefault(row["proof"], None)
        elif row.get("file"):
            fail("manifest: a purged entry names a file (%s)" % row["file"],
                 "manifeste : une entrée purgée désigne un fichier (%s)" % row["file"])
    if manifest_rows != export.get("manifest_rows"):
        fail("manifest.csv has %d rows, export.json announces %s (a line was added or removed)"
             % (manifest_rows, export.get("manifest_rows")),
             "manifest.csv a %d lignes, export.json en annonce %s (ligne ajoutée ou supprimée)"
             % (manifest_rows, export.get("manifest_rows")))
    for name in sorted(set(expected) - present):
        fail("missing file: %s" % name, "fichier manquant : %s" % name)
    for name in sorted(present - set(expected) - TOOLS - {"manifest.csv"}):
        fail("file not in the manifest: %s" % name, "fichier absent du manifeste : %s" % name)
    manifest_digest = store.sha256("manifest.csv")
    if manifest_digest != export.get("manifest_sha256"):
        fail("manifest.csv was changed (SHA-256 %s, export.json records %s)"
             % (manifest_digest, export.get("manifest_sha256")),
             "manifest.csv a été modifié (SHA-256 %s, export.json indique %s)"
             % (manifest_digest, export.get("manifest_sha256")))
    for name, digest in export.get("files", {}).items():
        if name in present and store.sha256(name) != digest:
            fail("%s was changed (SHA-256 differs from export.json)" % name,
                 "%s a été modifié (SHA-256 différent de celui d'export.json)" % name)

    # 2. The journal.
    hashes, artefacts, previous, expected_seq, entries = {}, {}, GENESIS_HASH, 1, 0
    journal_ok = True
    if store.exists("journal.jsonl"):
        for line in store.lines("journal.jsonl"):
            if not line.strip():
                continue
            entry = json.loads(line)
            entries += 1
            seq = entry["seq"]
            computed = entry_hash(entry)
            if seq != expected_seq:
                journal_ok = False
                fail("journal: seq %d follows seq %d (gap or disorder)" % (seq, expected_seq - 1),
                     "journal : l'entrée n° %d suit la n° %d (trou ou désordre)" % (seq, expected_seq - 1))
            if entry["prev_hash"] != previous:
                journal_ok = False
                fail("journal: entry seq %d does not link to the previous entry" % seq,
                     "journal : l'entrée n° %d ne suit pas l'entrée précédente" % seq)
            if computed != entry["entry_hash"]:
                journal_ok = False
                fail("journal: entry seq %d hash does not recompute" % seq,
                     "journal : l'empreinte de l'entrée n° %d ne se recalcule pas" % seq)
            hashes[seq] = bytes.fromhex(entry["entry_hash"])
            if entry["kind"] == "artefact":
                artefacts[seq] = entry
            previous, expected_seq = entry["entry_hash"], seq + 1
        unlisted = sorted(set(artefacts) - manifest_seqs)
        for seq in unlisted[:20]:
            fail("journal entry seq %d records an archived file (%s) that the manifest leaves out"
                 % (seq, artefacts[seq]["subject"]),
                 "l'entrée de journal n° %d enregistre un fichier archivé (%s) absent du manifeste"
                 % (seq, artefacts[seq]["subject"]))
        if len(unlisted) > 20:
            fail("… and %d more archived files left out of the manifest" % (len(unlisted) - 20),
                 "… et %d autres fichiers archivés absents du manifeste" % (len(unlisted) - 20))
        if journal_ok:
            report.ok("journal: %d entries chained, hashes recompute" % entries,
                      "journal : %d entrées chaînées, empreintes recalculées" % entries)

    # 3. The checkpoints.
    checkpoints, previous_digest, sealed_ok = {}, GENESIS_HASH, 0
    if operator_pins and operator.key_id not in {k.key_id for k in operator_pins}:
        fail("the operator key is not the pinned one (--operator-key)",
             "la clé de l'opérateur n'est pas celle attendue (--operator-key)")
    for line in store.lines("checkpoints.jsonl") if store.exists("checkpoints.jsonl") else ():
        if not line.strip():
            continue
        cp = json.loads(line)
        number, problems = cp["number"], []
        checkpoints[number] = cp
        if cp.get("format") != CHECKPOINT_FORMAT or cp["size"] != cp["last_seq"] - cp["first_seq"] + 1:
            problems.append(("malformed", "mal formé"))
        if cp["previous"] != previous_digest:
            problems.append(("does not link to the previous checkpoint", "ne suit pas le point de contrôle précédent"))
        leaves = [hashes.get(seq) for seq in range(cp["first_seq"], cp["last_seq"] + 1)]
        if any(h is None for h in leaves):
            problems.append(("seals journal entries missing from journal.jsonl",
                             "scelle des entrées absentes de journal.jsonl"))
        elif merkle_root([_leaf(h) for h in leaves]).hex() != cp["merkle_root"]:
            problems.append(("Merkle root does not recompute from the journal",
                             "la racine de Merkle ne se recalcule pas depuis le journal"))
        elif hashes[cp["last_seq"]].hex() != cp["head_hash"]:
            problems.append(("head hash is not the journal's", "l'empreinte de tête n'est pas celle du journal"))
        del leaves
        signature = base64.b64decode(cp["signature"])
        if cp["key_id"] != operator.key_id:
            problems.append(("names another operator key", "désigne une autre clé d'opérateur"))
        elif not operator.verify(cp["algorithm"], "sha256", checkpoint_body(cp), signature):
            problems.append(("signature (%s) is invalid (forged or altered)" % cp["algorithm"],
                             "signature (%s) invalide (falsifiée ou modifiée)" % cp["algorithm"]))
        try:
            when, tsa = tokens.verify(base64.b64decode(cp["timestamp_token"]), hashlib.sha256(signature).digest())
            cp["_time"] = when
        except Invalid as error:
            problems.append(("time stamp: %s" % error, "horodatage : %s" % error))
        for en, fr in problems:
            fail("checkpoint #%d: %s" % (number, en), "point de contrôle n° %d : %s" % (number, fr))
        if not problems:
            sealed_ok += 1
        previous_digest = checkpoint_digest(cp)
    if checkpoints and sealed_ok == len(checkpoints):
        report.ok("%d checkpoint(s): Merkle roots, links, operator signatures and time stamps verify" % sealed_ok,
                  "%d point(s) de contrôle : racines de Merkle, chaînage, signatures de l'opérateur et "
                  "horodatages vérifiés" % sealed_ok)
    del hashes

    # 4. Every archived file against its proof.
    files_ok = 0
    for file, digest, proof_name, seq_text in rows:
        problems = []
        if not store.exists(file):
            continue  # already reported as missing
        actual = store.sha256(file)
        if actual != digest:
            problems.append(("its SHA-256 %s is not the manifest's %s (file changed)" % (actual, digest),
                             "son SHA-256 %s n'est pas celui du manifeste %s (fichier modifié)" % (actual, digest)))
        if not proof_name or not store.exists(proof_name):
            problems.append(("no proof", "aucune preuve"))
        else:
            problems += _check_proof(json.loads(store.read(proof_name)), actual, seq_text, artefacts, checkpoints,
                                     tokens)
        for en, fr in problems:
            fail("%s: %s" % (file, en), "%s : %s" % (file, fr))
        if not problems:
            files_ok += 1
    if rows and files_ok == len(rows):
        report.ok("%d archived file(s): fingerprints, proofs, journal entries, Merkle paths and time stamps verify"
                  % files_ok, "%d fichier(s) archivé(s) : empreintes, preuves, entrées de journal, chemins de Merkle "
                  "et horodatages vérifiés" % files_ok)
    report.note("organisation: %s; exported %s; %d file(s), %d purged"
                % (export.get("organisation"), export.get("exported_at"), len(rows), manifest_rows - len(rows)),
                "organisation : %s ; exportée le %s ; %d fichier(s), %d purgé(s)"
                % (export.get("organisation"), export.get("exported_at"), len(rows), manifest_rows - len(rows)))
    report.note("operator key id (SHA-256 of its public key): %s — compare with the one your operator publishes"
                % operator.key_id, "identifiant de la clé de l'opérateur (SHA-256 de sa clé publique) : %s — à "
                "comparer avec celui que publie votre opérateur" % operator.key_id)
    for sha, chain_names in tokens.anchors.items():
        report.note("TSA certificate SHA-256 %s, chain %s" % (sha, " → ".join(chain_names)),
                    "certificat de l'autorité d'horodatage SHA-256 %s, chaîne %s" % (sha, " → ".join(chain_names)))
    return report, None


def _check_proof(bundle, actual, seq_text, artefacts, checkpoints, tokens):
    problems = []
    try:
        if bundle.get("format") != BUNDLE_FORMAT:
            return [("the proof is not a %s bundle" % BUNDLE_FORMAT, "la preuve n'est pas au format attendu")]
        document, entry, metadata = bundle["document"], bundle["entry"], bundle["metadata"]
        seq = entry["seq"]
        if document["fingerprint"] != actual or metadata.get("fingerprint") != actual:
            problems.append(("the proof is for another fingerprint", "la preuve porte une autre empreinte"))
        if str(seq) != seq_text:
            problems.append(("the proof names journal entry %d, the manifest %s" % (seq, seq_text),
                             "la preuve désigne l'entrée n° %d, le manifeste la n° %s" % (seq, seq_text)))
        journal = artefacts.get(seq)
        if journal is None or any(journal[k] != entry.get(k) for k in journal):
            problems.append(("the proof's journal entry %d is not the journal's" % seq,
                             "l'entrée de journal n° %d de la preuve n'est pas celle du journal" % seq))
        if hashlib.sha256(canonical_json(metadata)).hexdigest() != entry["payload_digest"]:
            problems.append(("the journal entry does not commit to the proof's metadata",
                             "l'entrée de journal n'engage pas les métadonnées de la preuve"))
        if entry_hash(entry) != entry["entry_hash"]:
            problems.append(("the proof's entry hash does not recompute",
                             "l'empreinte de l'entrée de la preuve ne se recalcule pas"))
        cp = checkpoints.get(bundle["checkpoint"]["number"])
        inclusion = bundle["inclusion"]
        if cp is None or cp["signature"] != bundle["checkpoint"]["signature"]:
            problems.append(("the proof's checkpoint is not in checkpoints.jsonl",
                             "le point de contrôle de la preuve n'est pas dans checkpoints.jsonl"))
        else:
            root = root_from_inclusion(inclusion["leaf_index"], inclusion["tree_size"],
                                       _leaf(bytes.fromhex(entry["entry_hash"])),
                                       [bytes.fromhex(p) for p in inclusion["path"]])
            if inclusion["leaf_index"] != seq - cp["first_seq"] or inclusion["tree_size"] != cp["size"] or \
                    root is None or root.hex() != cp["merkle_root"]:
                problems.append(("the Merkle path does not lead to checkpoint #%d's signed root" % cp["number"],
                                 "le chemin de Merkle ne mène pas à la racine signée du point de contrôle n° %d"
                                 % cp["number"]))
            if parse_time(entry["recorded_at"]) > parse_time(cp["sealed_at"]):
                problems.append(("recorded after its checkpoint was sealed",
                                 "enregistré après le scellement de son point de contrôle"))
        try:
            when, _ = tokens.verify(base64.b64decode(document["timestamp_token"]), bytes.fromhex(actual))
            if cp is not None and "_time" in cp and when > cp["_time"] + CLOCK_TOLERANCE:
                problems.append(("time-stamped after its checkpoint", "horodaté après son point de contrôle"))
        except Invalid as error:
            problems.append(("time stamp: %s" % error, "horodatage : %s" % error))
    except (KeyError, TypeError, ValueError, IndexError) as error:
        problems.append(("the proof is malformed (%s: %s)" % (type(error).__name__, error),
                         "la preuve est mal formée (%s : %s)" % (type(error).__name__, error)))
    return problems


def _text(path):
    with open(path, encoding="ascii") as handle:
        return handle.read()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Verify a whole Facturier archive export, offline.")
    parser.add_argument("export", nargs="?", help="the export folder or ZIP (default: the folder of verify.py)")
    parser.add_argument("--lang", choices=["fr", "en"], default="fr", help="language of the summary (default: fr)")
    parser.add_argument("--operator-key", action="append", default=[], help="PEM public key of the operator to pin")
    parser.add_argument("--tsa-root", action="append", default=[], help="PEM root certificate of the TSA to pin")
    args = parser.parse_args(argv)
    source = args.export
    if source is None:
        here = os.path.dirname(os.path.abspath(__file__))
        source = here if os.path.exists(os.path.join(here, "export.json")) else os.getcwd()
    french = args.lang == "fr"
    try:
        pins = [load_public_key_pem(_text(p)) for p in args.operator_key]
        roots = [Certificate(der) for p in args.tsa_root for der in pem_blocks(_text(p), "CERTIFICATE")]
    except (OSError, ValueError) as error:
        print("lecture impossible / cannot read: %s" % error, file=sys.stderr)
        return 2
    report, error = verify_export(source, french=french, operator_pins=pins, tsa_pins=roots)
    if report is None:
        print(error, file=sys.stderr)
        return 2
    for line in report.passed:
        print(("OK     " if french else "PASS   ") + line)
    for line in report.failures[:report.limit]:
        print(("ÉCHEC  " if french else "FAIL   ") + line)
    if len(report.failures) > report.limit:
        more = len(report.failures) - report.limit
        print(("… et %d autre(s) échec(s)" if french else "… and %d more failure(s)") % more)
    for line in report.notes:
        print("note   " + line)
    if report.failures:
        print(("VERDICT : NON VÉRIFIÉ — %d échec(s), voir ci-dessus" if french
               else "VERDICT: NOT VERIFIED — %d failure(s), see above") % len(report.failures))
        return 1
    print("VERDICT : l'export est complet et intact, chaque fichier est prouvé" if french
          else "VERDICT: the export is complete and untouched, every file is proven")
    return 0


if __name__ == "__main__":
    sys.exit(main())
