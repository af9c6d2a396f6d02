"""The KhaoSat file format: framing, strict JSON, signed envelopes, encryption.

A file (bundle, receipt or public key) is::

    magic      8 bytes   b"KHAOSAT\\x1a"
    kind       1 byte    b"B" bundle, b"R" receipt, b"K" public key
    version    1 byte    1
    header_len 4 bytes   big-endian, at most MAX_HEADER
    header     header_len bytes of strict JSON (UTF-8)
    body_len   8 bytes   big-endian
    body       body_len bytes; nothing may follow

For bundles and receipts the body is HPKE (RFC 9180, base mode, single shot:
DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305) of the *plaintext*, with
``info = INFO_PREFIX + magic..header`` (the whole prefix up to and including the header), so the
header cannot be changed without the decryption failing. The plaintext is, after optional zlib
compression (declared in the header), a list of signed envelopes::

    count      4 bytes   big-endian, 1..MAX_ENVELOPES
    envelope   count times

For a public-key file the body is one signed envelope, in clear.

An envelope is::

    type_len   1 byte;  type    (ASCII, the declared purpose)
    keyid_len  1 byte;  keyid   (ASCII hex; a hint only: the registry decides who signed)
    payload_len 4 bytes big-endian; payload (strict JSON, UTF-8)
    signature  64 bytes Ed25519 over PAE(type, payload)

PAE is the DSSE pre-authentication encoding:
``b"DSSEv1 " + len(type) + b" " + type + b" " + len(payload) + b" " + payload`` (lengths in
ASCII decimal), so a signature made for one purpose (a receipt) never verifies as another (a bundle).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import json
import math
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519

from app import fileio
from app.sync.errors import SyncError, shown

MAGIC = b"KHAOSAT\x1a"
FORMAT_VERSION = 1
KIND_BUNDLE = b"B"
KIND_RECEIPT = b"R"
KIND_PUBKEY = b"K"
KIND_NAMES = {KIND_BUNDLE: "gói dữ liệu", KIND_RECEIPT: "biên nhận", KIND_PUBKEY: "tệp khóa công khai"}

TYPE_BUNDLE = "application/vnd.khaosat.bundle+json; version=1"
TYPE_RECEIPT = "application/vnd.khaosat.receipt+json; version=1"
TYPE_DOWN = "application/vnd.khaosat.down+json; version=1"  # a downward bundle (office -> machine below)
TYPE_DOWN_RECEIPT = "application/vnd.khaosat.down-receipt+json; version=1"  # its receipt, back up
TYPE_PUBKEY = "application/vnd.khaosat.pubkey+json; version=1"
TYPE_REKEY = "application/vnd.khaosat.rekey; version=1"
SUITE = "HPKE-X25519-SHA256-ChaCha20Poly1305"
INFO_PREFIX = b"khaosat-v1 "

MAX_FILE = 1 << 30  # 1 GiB on the stick
MAX_HEADER = 4096
MAX_PLAINTEXT = 1 << 30  # after decompression (checked while inflating)
MAX_ENVELOPES = 100_000
MAX_STRING = 20_000  # characters in one JSON string value
MAX_DEPTH = 8

_PREFIX = struct.Struct(">8s1sBI")


def _suite():
    from cryptography.hazmat.primitives import hpke

    return hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)


def _n(number: int) -> str:
    """1.549: thousands grouped the Vietnamese way."""
    return f"{number:,}".replace(",", ".")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- strict JSON -----------------------------------------------------------------------------


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise SyncError(
                    "duplicate_key", f"Tệp có khóa JSON bị lặp («{shown(k, 40)}»): tệp đã bị sửa hoặc hỏng."
                )
            seen.add(k)
    return d


def _bad_constant(name: str) -> Any:
    raise SyncError("bad_json", f"Tệp chứa giá trị số không hợp lệ ({name}).")


def _bad_float(text: str) -> Any:
    value = float(text)
    if not math.isfinite(value):
        _bad_constant(text)
    return value


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while millions of small objects are made (a province-sized payload
    parses in half the time); nothing made here is cyclic garbage."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class BadText(SyncError):
    """A JSON string holding a lone surrogate (``\\ud800``): half of a UTF-16 pair, not text.

    ``path`` leads from the parsed root to the string (keys and list positions; a path ending in a
    key names the key itself), so a caller can say which record and field hold it; ``root`` is the
    parsed value."""

    def __init__(self, what: str, path: tuple[Any, ...], char: str, root: Any):
        super().__init__(
            "bad_text",
            f"Phần {what} của tệp có ký tự hỏng (nửa cặp mã UTF-16 \\u{ord(char):04x}, không phải chữ): "
            "tệp đã bị sửa hoặc được tạo sai. Không nhập gì cả.",
        )
        self.path = path
        self.char = char
        self.root = root


# A lone surrogate can only come from a \uD800-\uDFFF escape (strict UTF-8 refuses encoded ones), so a
# text without such an escape needs no walk; a valid pair (\ud83d\ude00) decodes to one character.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _find_surrogate(value: Any, path: tuple[Any, ...] = ()) -> tuple[tuple[Any, ...], str] | None:
    """The path to the first string (or key) holding a lone surrogate, and the character."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, path)]
    while stack:
        v, p = stack.pop()
        if type(v) is str:
            m = _SURROGATE.search(v)
            if m:
                return p, m.group()
        elif type(v) is dict:
            for k, item in reversed(v.items()):
                m = _SURROGATE.search(k)
                if m:
                    return (*p, k), m.group()
                stack.append((item, (*p, k)))
        elif type(v) is list:
            stack.extend((item, (*p, i)) for i, item in reversed(list(enumerate(v))))
    return None


def strict_loads(data: bytes, what: str = "nội dung") -> Any:
    """Parse UTF-8 JSON refusing duplicate keys, NaN/Infinity, invalid UTF-8, lone surrogates and odd
    nesting. Every refusal is a SyncError in Vietnamese (never the parser's own words)."""
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise SyncError(
            "bad_json",
            f"Phần {what} của tệp không phải văn bản UTF-8 hợp lệ (byte hỏng ở vị trí {exc.start + 1}).",
        ) from exc
    try:
        with gc_paused():
            value = json.loads(
                text, object_pairs_hook=_no_duplicates, parse_constant=_bad_constant, parse_float=_bad_float
            )
    except SyncError:
        raise
    except json.JSONDecodeError as exc:
        raise SyncError(
            "bad_json",
            f"Phần {what} của tệp không phải JSON hợp lệ (hỏng ở ký tự thứ {_n(exc.pos + 1)}): "
            "tệp đã bị sửa, bị cắt hoặc được tạo sai.",
        ) from exc
    except RecursionError as exc:
        raise SyncError(
            "bad_json", f"Phần {what} của tệp lồng nhau quá sâu: không phải tệp KhaoSat."
        ) from exc
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise SyncError(
            "bad_json", f"Phần {what} của tệp chứa một giá trị không đọc được (số quá dài?)."
        ) from exc
    if _SURROGATE_ESCAPE.search(data) is not None:
        found = _find_surrogate(value)
        if found is not None:
            raise BadText(what, found[0], found[1], value)
    return value


def dumps(value: Any) -> bytes:
    """Canonical-enough JSON: sorted keys, no spaces, UTF-8, no NaN."""
    return json.dumps(
        value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
    ).encode("utf-8")


def check_value(value: Any, depth: int = 0, what: str = "nội dung") -> None:
    """Walk a parsed value: refuse deep nesting and huge strings (sizes are checked, not trusted)."""
    if depth > MAX_DEPTH:
        raise SyncError("bad_payload", f"Phần {what} lồng nhau quá sâu.")
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise SyncError(
                "oversized_value",
                f"Phần {what} chứa một chuỗi quá dài ({len(value):,} ký tự; tối đa {MAX_STRING:,}).".replace(
                    ",", "."
                ),
            )
    elif isinstance(value, dict):
        for k, v in value.items():
            check_value(k, depth + 1, what)
            check_value(v, depth + 1, what)
    elif isinstance(value, list):
        for v in value:
            check_value(v, depth + 1, what)


# --- signed envelopes ------------------------------------------------------------------------


def pae(type_: str, payload: bytes) -> bytes:
    t = type_.encode("ascii")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


@dataclass(frozen=True)
class Envelope:
    type: str
    keyid: str
    payload: bytes
    signature: bytes
    raw: bytes  # the exact bytes of the envelope

    @functools.cached_property
    def hash(self) -> str:
        return sha256_hex(self.raw)

    def verify(self, public_key: bytes) -> bool:
        try:
            ed25519.Ed25519PublicKey.from_public_bytes(public_key).verify(
                self.signature, pae(self.type, self.payload)
            )
        except (InvalidSignature, ValueError):
            return False
        return True

    def json(self, what: str = "nội dung") -> Any:
        value = strict_loads(self.payload, what)
        check_value(value, what=what)
        return value


def sign_envelope(type_: str, payload: bytes, keyid: str, key: ed25519.Ed25519PrivateKey) -> Envelope:
    signature = key.sign(pae(type_, payload))
    t, k = type_.encode("ascii"), keyid.encode("ascii")
    raw = b"".join(
        [bytes([len(t)]), t, bytes([len(k)]), k, struct.pack(">I", len(payload)), payload, signature]
    )
    return Envelope(type_, keyid, payload, signature, raw)


def _take(data: memoryview, pos: int, n: int, what: str) -> tuple[bytes, int]:
    if n < 0 or pos + n > len(data):
        raise SyncError("truncated", f"Tệp bị cắt cụt hoặc hỏng (thiếu dữ liệu ở phần {what}).")
    return bytes(data[pos : pos + n]), pos + n


def read_envelope(data: memoryview, pos: int) -> tuple[Envelope, int]:
    start = pos
    b, pos = _take(data, pos, 1, "chữ ký")
    type_b, pos = _take(data, pos, b[0], "chữ ký")
    b, pos = _take(data, pos, 1, "chữ ký")
    keyid_b, pos = _take(data, pos, b[0], "chữ ký")
    b, pos = _take(data, pos, 4, "chữ ký")
    (n,) = struct.unpack(">I", b)
    payload, pos = _take(data, pos, n, "nội dung")
    signature, pos = _take(data, pos, 64, "chữ ký")
    try:
        type_, keyid = type_b.decode("ascii"), keyid_b.decode("ascii")
    except UnicodeDecodeError as exc:
        raise SyncError("damaged", "Tệp bị hỏng (phần chữ ký không đọc được).") from exc
    return Envelope(type_, keyid, payload, signature, bytes(data[start:pos])), pos


def pack_envelopes(envelopes: list[Envelope]) -> bytes:
    return b"".join([struct.pack(">I", len(envelopes)), *(e.raw for e in envelopes)])


def unpack_envelopes(plain: bytes, offsets: dict[str, tuple[int, int]] | None = None) -> list[Envelope]:
    view = memoryview(plain)
    b, pos = _take(view, 0, 4, "danh sách chữ ký")
    (count,) = struct.unpack(">I", b)
    if not 1 <= count <= MAX_ENVELOPES:
        raise SyncError("too_many", f"Tệp khai báo {count} phần có chữ ký (cho phép 1 đến {MAX_ENVELOPES}).")
    out = []
    for _ in range(count):
        start = pos
        env, pos = read_envelope(view, pos)
        out.append(env)
        if offsets is not None:
            offsets[env.hash] = (start, pos - start)
    if pos != len(plain):
        raise SyncError("damaged", "Tệp có dữ liệu thừa sau phần cuối cùng: tệp đã bị sửa hoặc hỏng.")
    return out


# --- files -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    kind: bytes
    header: dict[str, Any]
    prefix: bytes  # magic .. header (the HPKE info binds it)
    body: bytes


def frame(kind: bytes, header: dict[str, Any], body: bytes) -> bytes:
    prefix = _prefix(kind, header)
    return prefix + struct.pack(">Q", len(body)) + body


def _prefix(kind: bytes, header: dict[str, Any]) -> bytes:
    h = dumps(header)
    return _PREFIX.pack(MAGIC, kind, FORMAT_VERSION, len(h)) + h


def parse_frame(data: bytes, expect: bytes | None = None) -> Frame:
    if len(data) == 0:
        raise SyncError("empty", "Tệp rỗng (0 byte): có thể việc ghi ra USB chưa xong. Hãy xuất lại.")
    if len(data) > MAX_FILE:
        raise SyncError("too_large", "Tệp quá lớn để là gói dữ liệu của KhaoSat.")
    if len(data) < _PREFIX.size:
        if MAGIC.startswith(data[: len(MAGIC)]):
            raise SyncError("truncated", "Tệp bị cắt cụt (chỉ có phần đầu): hãy chép lại hoặc xuất lại.")
        raise SyncError("not_khaosat", "Tệp không phải gói dữ liệu của KhaoSat.")
    magic, kind, version, header_len = _PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise SyncError(
            "not_khaosat", "Tệp không phải gói dữ liệu của KhaoSat (sai chữ ký nhận dạng đầu tệp)."
        )
    if kind not in KIND_NAMES:
        raise SyncError("damaged", "Tệp bị hỏng: loại tệp không xác định.")
    if version > FORMAT_VERSION:
        raise SyncError(
            "newer_format",
            f"Tệp được tạo bởi phiên bản KhaoSat mới hơn (định dạng {version}, "
            f"phiên bản này đọc được đến {FORMAT_VERSION}). Hãy cập nhật KhaoSat.",
        )
    if version < 1:
        raise SyncError("damaged", "Tệp bị hỏng: số phiên bản định dạng không hợp lệ.")
    if expect is not None and kind != expect:
        raise SyncError("wrong_kind", f"Tệp này là {KIND_NAMES[kind]}, không phải {KIND_NAMES[expect]}.")
    if header_len > MAX_HEADER:
        raise SyncError("damaged", "Tệp bị hỏng: phần đầu khai báo độ dài quá lớn.")
    pos = _PREFIX.size
    if pos + header_len + 8 > len(data):
        raise SyncError("truncated", "Tệp bị cắt cụt (thiếu phần đầu): hãy chép lại hoặc xuất lại.")
    header_bytes = data[pos : pos + header_len]
    pos += header_len
    header = strict_loads(header_bytes, "đầu tệp")
    if not isinstance(header, dict):
        raise SyncError("damaged", "Tệp bị hỏng: phần đầu không đúng cấu trúc.")
    check_value(header, what="đầu tệp")
    (body_len,) = struct.unpack_from(">Q", data, pos)
    pos += 8
    if pos + body_len > len(data):
        raise SyncError(
            "truncated",
            f"Tệp bị cắt cụt: thiếu {_n(pos + body_len - len(data))} byte. "
            "Có thể USB bị rút ra khi đang ghi; hãy chép lại hoặc xuất lại.",
        )
    if pos + body_len < len(data):
        raise SyncError("damaged", "Tệp có dữ liệu thừa ở cuối: tệp đã bị sửa hoặc hỏng.")
    return Frame(kind, header, data[: _PREFIX.size + header_len], data[pos:])


def seal(
    kind: bytes,
    recipient_keyid: str,
    recipient_enc_pub: bytes,
    envelopes: list[Envelope],
    compress: bool = True,
) -> bytes:
    """Encrypt envelopes to a recipient; returns the whole file."""
    header = {"compression": "zlib" if compress else "none", "recipient": recipient_keyid, "suite": SUITE}
    plain = pack_envelopes(envelopes)
    if compress:
        plain = zlib.compress(plain, 1)
    prefix = _prefix(kind, header)
    body = _suite().encrypt(
        plain, x25519.X25519PublicKey.from_public_bytes(recipient_enc_pub), info=INFO_PREFIX + prefix
    )
    return prefix + struct.pack(">Q", len(body)) + body


@dataclass(frozen=True)
class Packed:
    """A file's compressed plaintext as it arrived, and where each envelope lies once inflated: kept
    instead of the envelopes themselves (a fifth of the size, and no compressing again)."""

    data: bytes
    offsets: dict[str, tuple[int, int]]  # envelope hash -> (offset, length)


def open_sealed(fr: Frame, private_keys: dict[str, x25519.X25519PrivateKey]) -> list[Envelope]:
    """Decrypt a parsed bundle or receipt with one of our keys (by the header's recipient key id)."""
    return open_sealed_packed(fr, private_keys)[0]


def open_sealed_packed(
    fr: Frame, private_keys: dict[str, x25519.X25519PrivateKey], *, office: bool = True
) -> tuple[list[Envelope], Packed | None]:
    """``open_sealed``, and the compressed plaintext with the envelopes' places (None if not compressed).
    ``office``: whether this machine is an office (a file not for it says "cơ quan này", else "máy này")."""
    h = fr.header
    if set(h) != {"compression", "recipient", "suite"} or not all(isinstance(v, str) for v in h.values()):
        raise SyncError("damaged", "Tệp bị hỏng: phần đầu thiếu hoặc thừa thông tin.")
    if h["suite"] != SUITE:
        raise SyncError(
            "newer_format",
            f"Tệp dùng cách mã hóa chưa hỗ trợ ({shown(h['suite'], 60)}). Hãy cập nhật KhaoSat.",
        )
    if h["compression"] not in ("zlib", "none"):
        raise SyncError("newer_format", "Tệp dùng cách nén chưa hỗ trợ. Hãy cập nhật KhaoSat.")
    key = private_keys.get(h["recipient"])
    if key is None:
        raise SyncError(
            "not_addressed",
            f"Tệp này không gửi cho {'cơ quan' if office else 'máy'} này (được mã hóa cho một khóa khác, "
            f"mã khóa {shown(h['recipient'], 16)}). "
            + (
                "Hãy kiểm tra cơ quan nhận đã chọn khi xuất."
                if office
                else "Có thể đây là gói của máy khác: hãy nhờ cơ quan kiểm tra máy nhận đã chọn khi gửi xuống."
            ),
        )
    if len(fr.body) < 32 + 16:
        raise SyncError("truncated", "Tệp bị cắt cụt: phần mã hóa quá ngắn.")
    try:
        plain = _suite().decrypt(fr.body, key, info=INFO_PREFIX + fr.prefix)
    except Exception as exc:  # cryptography raises InvalidTag (or ValueError for a bad key share)
        raise SyncError(
            "tampered",
            "Tệp đã bị sửa đổi hoặc hỏng: không giải mã được (phần mã hóa không khớp "
            "mã xác thực). Không nhập gì cả.",
        ) from exc
    if h["compression"] == "zlib":
        d = zlib.decompressobj()
        try:
            out = d.decompress(plain, MAX_PLAINTEXT)
        except zlib.error as exc:
            raise SyncError("damaged", "Tệp bị hỏng: phần nén không giải nén được.") from exc
        if d.unconsumed_tail or not d.eof or d.unused_data:
            raise SyncError("too_large", "Tệp giải nén ra quá lớn hoặc không trọn vẹn.")
        offsets: dict[str, tuple[int, int]] = {}
        return unpack_envelopes(out, offsets), Packed(plain, offsets)
    return unpack_envelopes(plain), None


# --- recovery through the office above (app/sync/recovery.py; docs/sync-bundle.md, section 9) ---------
#
# Three more kinds of file. An unlock file and a recovery log are sealed lists of signed envelopes like a
# receipt (``seal`` / ``open_sealed``); a request cannot be signed (the laptop that writes it has lost the
# passphrase that unlocks its signing key), so its body is HPKE of one strict-JSON payload.

KIND_RECOVERY_REQUEST = b"Q"
KIND_RECOVERY_UNLOCK = b"U"
KIND_RECOVERY_LOG = b"L"
KIND_NAMES.update(
    {
        KIND_RECOVERY_REQUEST: "yêu cầu khôi phục",
        KIND_RECOVERY_UNLOCK: "tệp mở khóa",
        KIND_RECOVERY_LOG: "nhật ký khôi phục",
    }
)
TYPE_RECOVERY_UNLOCK = "application/vnd.khaosat.recovery-unlock+json; version=1"
TYPE_RECOVERY_EVENT = "application/vnd.khaosat.recovery-event+json; version=1"
MAX_REQUEST = 64 * 1024


def seal_payload(kind: bytes, recipient_keyid: str, recipient_enc_pub: bytes, payload: bytes) -> bytes:
    """A file whose body is HPKE of one unsigned payload (a recovery request), bound to its prefix."""
    header = {"compression": "none", "recipient": recipient_keyid, "suite": SUITE}
    prefix = _prefix(kind, header)
    body = _suite().encrypt(
        payload, x25519.X25519PublicKey.from_public_bytes(recipient_enc_pub), info=INFO_PREFIX + prefix
    )
    return prefix + struct.pack(">Q", len(body)) + body


def open_payload(fr: Frame, private_keys: dict[str, x25519.X25519PrivateKey]) -> bytes:
    """The payload of a ``seal_payload`` file, decrypted with one of our keys; size-capped."""
    h = fr.header
    if h != {"compression": "none", "recipient": h.get("recipient"), "suite": SUITE} or not isinstance(
        h.get("recipient"), str
    ):
        raise SyncError("damaged", "Tệp bị hỏng: phần đầu thiếu hoặc thừa thông tin.")
    if len(fr.body) > MAX_REQUEST:
        raise SyncError("too_large", "Tệp quá lớn để là yêu cầu khôi phục.")
    key = private_keys.get(h["recipient"])
    if key is None:
        raise SyncError(
            "not_addressed",
            "Tệp này không gửi cho cơ quan này (được mã hóa cho một khóa khác). Hãy mang đến cơ quan nhận "
            "gói dữ liệu của máy đó.",
        )
    try:
        return _suite().decrypt(fr.body, key, info=INFO_PREFIX + fr.prefix)
    except Exception as exc:  # InvalidTag, or a bad key share
        raise SyncError("tampered", "Tệp đã bị sửa đổi hoặc hỏng: không giải mã được.") from exc


# --- writing files safely ----------------------------------------------------------------------


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> Path:
    """Write to a temporary name beside ``path``, fsync, rename; a pulled stick leaves no complete-looking file."""
    return fileio.write_atomic(path, data, mode or 0o644)


def read_capped(path: Path) -> bytes:
    """Read a file after checking its size (size caps come first)."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_FILE:
        raise SyncError(
            "too_large",
            f"Tệp {shown(path.name)} quá lớn ({_n(size)} byte) để là gói dữ liệu của KhaoSat.",
        )
    with open(path, "rb") as fh:
        data = fh.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise SyncError("too_large", f"Tệp {shown(path.name)} quá lớn để là gói dữ liệu của KhaoSat.")
    return data
