"""Vietnamese text normalisation and search keys.

Stored text is NFC, trimmed, with inner runs of whitespace collapsed to one space.
Search keys fold every diacritic (including đ -> d), so old and new tone placement
(hoà / hòa, thuỷ / thủy) and text typed without diacritics all give the same key.
"""

from __future__ import annotations

import re
import unicodedata

_SPACE_RE = re.compile(r"\s+", re.UNICODE)
_UNCLEAN_SPACE_RE = re.compile(r"\s{2,}|[^\S ]", re.UNICODE)  # two or more, or one that is not " "
_NON_WORD_RE = re.compile(r"[^0-9a-z]+")

# Combining marks used by Vietnamese: the five tones and the letter modifiers.
_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền, sắc, ngã, hỏi, nặng


# --- characters that are not text ----------------------------------------------------------------
#
# One rule for every door (forms, list import, bundles, key files, the command line):
# - dropped by ``clean``: invisible characters that carry nothing a person meant to store and
#   sneak in from copy-paste and old files: C0 and C1 control characters other than whitespace
#   (whitespace, tab and line breaks included, collapses to one space), DEL, zero-width spaces and
#   joiners, the word joiner, the BOM, the soft hyphen, and the implicit direction marks (LRM,
#   RLM, ALM);
# - refused by ``text_problem``, with a message: a lone surrogate (half of a UTF-16 pair: the
#   text was damaged on its way, and SQLite cannot store it), NUL (a binary or wrongly decoded
#   file), the bidirectional embeddings, overrides and isolates U+202A-U+202E and
#   U+2066-U+2069, which make text display in another order than it is stored (a name that
#   reads differently from what search and duplicate checks see; Vietnamese never needs them),
#   and the C0/C1 control characters other than tab and line breaks (``clean`` drops them from
#   what a person types or a list brings, so only a value that arrives as stored, in a bundle or a
#   key file, still holds one);
# - and a maximum length per field (its declaration, ``app.domain.fields``).
#
# ``text_problem`` is the rule of every door: the forms and the list import (through
# ``app.domain.checks``), the bundle door (``app.sync.rules``), key files (``app.sync.keys``),
# office and machine names. ``NOT_TEXT_RE`` finds exactly the characters it refuses.

_INVISIBLE_RE = re.compile("[\x01-\x08\x0e-\x1b\x7f\x80-\x84\x86-\x9f\u00ad\u061c\u200b-\u200f\u2060\ufeff]")
_LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_BIDI_CONTROL_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK_RE = re.compile("[\t\n\r]")
_CONTROL_RE = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # not tab, line feed, carriage return
# what text_problem refuses (its length check aside)
NOT_TEXT_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_NOT_SHOWN_RE = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def clean(value: str | None) -> str:
    """NFC, trimmed, inner whitespace collapsed, invisible characters dropped. ``None`` gives ``""``.

    Characters that cannot be stored (lone surrogates, NUL, direction overrides) are kept, so that
    ``text_problem`` can refuse them with a message instead of storing something else."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    text = _INVISIBLE_RE.sub("", text.replace("\u00a0", " "))
    # only runs that change: text that is already clean comes back as the same object (a list
    # import cleans millions of cells; a copy of each would double what it holds in memory)
    return _UNCLEAN_SPACE_RE.sub(" ", text).strip()


def text_problem(
    value: str | None, label: str, max_length: int | None = None, *, one_line: bool = False
) -> str | None:
    """Why ``value`` (already cleaned) cannot be stored as the field ``label``, in Vietnamese, or None.
    ``one_line``: a name shown on one line (a machine's name) may not hold a tab or a line break either."""
    if not value:
        return None
    if one_line:
        m = _LINE_BREAK_RE.search(value)
        if m:
            return (
                f"{label} có dấu xuống dòng hoặc dấu tab (U+{ord(m.group()):04X}) ở vị trí {m.start() + 1}: "
                "tên phải nằm trên một dòng."
            )
    m = _LONE_SURROGATE_RE.search(value)
    if m:
        return (
            f"{label} có ký tự hỏng ở vị trí {m.start() + 1} (mã hóa không hợp lệ, thường do tệp bị hỏng "
            "hoặc sao chép lỗi); hãy gõ lại."
        )
    if "\x00" in value:
        return (
            f"{label} có ký tự rỗng (NUL) ở vị trí {value.index(chr(0)) + 1}; tệp có thể bị hỏng hoặc sai "
            "mã hóa. Hãy gõ lại nội dung này."
        )
    m = _BIDI_CONTROL_RE.search(value)
    if m:
        return (
            f"{label} có ký tự ẩn đảo chiều hiển thị chữ (U+{ord(m.group()):04X}) ở vị trí {m.start() + 1}: "
            "chữ hiện ra khác với chữ được lưu. Hãy xóa rồi gõ lại."
        )
    m = _CONTROL_RE.search(value)
    if m:
        return (
            f"{label} có ký tự điều khiển vô hình (U+{ord(m.group()):04X}) ở vị trí {m.start() + 1}: chữ hiện "
            "ra có thể khác chữ được lưu. Hãy xóa rồi gõ lại."
        )
    if max_length is not None and len(value) > max_length:
        return f"{label} quá dài (tối đa {max_length} ký tự)."
    return None


def shown(value: object, limit: int = 60) -> str:
    """A value quoted in a message: invisible and damaged characters made visible, long text cut."""
    text = "" if value is None else str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = _SPACE_RE.sub(" ", _LONE_SURROGATE_RE.sub("\ufffd", text))
    return _NOT_SHOWN_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def clean_or_none(value: str | None) -> str | None:
    text = clean(value)
    return text or None


def fold(value: str | None) -> str:
    """Lower-case ASCII key with every Vietnamese diacritic removed.

    >>> fold("Nguyễn Thị Hằng")
    'nguyen thi hang'
    >>> fold("Đoàn  HOÀ") == fold("doan hòa")
    True
    """
    if not value:
        return ""
    text = str(value)
    if not text.isascii():
        # fast path (list import, search index): when everything but ASCII is a combining mark
        # after decomposition, dropping the marks is an ASCII encode (about 2.4 times faster)
        nfd = unicodedata.normalize("NFD", text.replace("\u0111", "d").replace("\u0110", "D"))
        if _NOT_ASCII_OR_MARK_RE.search(nfd):
            text = _fold_marks(text)
        else:
            text = nfd.encode("ascii", "ignore").decode()
    return _SPACE_RE.sub(" ", text.lower()).strip()


def _fold_marks(text: str) -> str:
    """The reference folding: decompose, lower-case, đ -> d, drop every combining mark."""
    text = unicodedata.normalize("NFD", text).lower().replace("\u0111", "d")
    return "".join(ch for ch in text if not unicodedata.combining(ch))


_NOT_ASCII_OR_MARK_RE = re.compile("[^\x00-\x7f\u0300-\u036f]")


def search_key(value: str | None) -> str:
    """Folded key with punctuation turned into spaces, for the full-text index."""
    return _SPACE_RE.sub(" ", _NON_WORD_RE.sub(" ", fold(value))).strip()


# bytes other than digits, lower-case letters and the separator NUL become spaces
_KEEP_WORD_BYTES = bytes(c if (48 <= c <= 57 or 97 <= c <= 122 or c == 0) else 32 for c in range(256))
_SPACES_RE = re.compile(rb"  +")


def search_keys(values: list[str]) -> list[str]:
    """``[search_key(v) for v in values]``, folded in one go (about ten times faster for a big import)."""
    big = "\x00".join(values)
    if big.count("\x00") != len(values) - 1:
        return [search_key(v) for v in values]  # a value holding a NUL: one by one
    if not big.isascii():
        nfd = unicodedata.normalize("NFD", big.replace("\u0111", "d").replace("\u0110", "D"))
        if _NOT_ASCII_OR_MARK_RE.search(nfd):
            return [search_key(v) for v in values]  # letters other than Vietnamese ones: the reference way
        raw = nfd.encode("ascii", "ignore")
    else:
        raw = big.encode("ascii")
    raw = _SPACES_RE.sub(b" ", raw.lower().translate(_KEEP_WORD_BYTES))
    return raw.replace(b" \x00", b"\x00").replace(b"\x00 ", b"\x00").strip().decode("ascii").split("\x00")


def _split_tone(syllable_nfd: str) -> tuple[str, str | None]:
    tone = None
    base = []
    for ch in syllable_nfd:
        if ch in _TONE_MARKS:
            tone = ch
        else:
            base.append(ch)
    return "".join(base), tone


_OLD_STYLE_RE = re.compile(r"^(.*?)(o|u)(a|e|y)$")


def tone_key(value: str | None) -> str:
    """Lower-case NFC text with tone marks placed the traditional way (hòa, thủy).

    Diacritic-sensitive but insensitive to old/new tone placement: ``tone_key("hoà") ==
    tone_key("hòa")`` while ``tone_key("hóa") != tone_key("hòa")``.
    """
    return _WORD_RE.sub(_canonical_syllable, clean(value).lower())


_WORD_RE = re.compile(r"\w+", re.UNICODE)


def _canonical_syllable(match: re.Match[str]) -> str:
    nfd = unicodedata.normalize("NFD", match.group(0))
    base, tone = _split_tone(nfd)
    plain = unicodedata.normalize("NFC", base)
    if tone is None:
        return plain
    m = _OLD_STYLE_RE.match(plain)
    # oa, oe, uy closing a syllable: the tone goes on the first vowel (hòa, hòe, thủy),
    # except after "q" where the u belongs to the consonant (quý, quà).
    if m and not m.group(1).endswith("q") and not (m.group(2) == "u" and m.group(3) != "y"):
        return unicodedata.normalize("NFC", m.group(1) + m.group(2) + tone + m.group(3))
    # Every other syllable has one accepted placement: keep it as typed.
    return unicodedata.normalize("NFC", nfd)
