"""Legacy Vietnamese 8-bit text (TCVN3/ABC and VNI-Windows) converted to Unicode NFC.

Old Excel files were typed with a keyboard driver that put 8-bit codes into cells shown in
special fonts. Excel stores those codes as the Windows-1252 characters of the same byte, so a
cell in ``.VnTime`` reading "Hà Nội" holds the text ``"Hµ Néi"``. Python has no codec for them.

- **TCVN3 (ABC)**, TCVN 5712:1993 level VN3: one byte per letter. Lower case letters with tones
  and seven capitals (Ă Â Ê Ô Ơ Ư Đ). The fonts are named ``.VnTime``, ``.VnArial``...; capitals
  with tones are written in the "H" fonts (``.VnTimeH``, ``.VnArialH``) which draw the lower-case
  codes (and plain ASCII letters) as capitals: text in those fonts is decoded and upper-cased.
- **VNI-Windows** (fonts ``VNI-Times``, ``VNI-Helve``...): a base letter followed by a second
  byte for the hat/breve and tone (``"Vieät"`` = "Việt"), a few single bytes (ơ ư đ, í ì ỉ ĩ ị, ỵ).

Conversion is decided by the cell's font when it is known, otherwise by content: a candidate
decoding is taken only when it turns text that is not plausible Vietnamese into text that is
(see ``implausibility``). Unicode text is never touched by content detection.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from enum import Enum


class Legacy(str, Enum):
    UNICODE = "unicode"
    TCVN3 = "tcvn3"
    TCVN3_CAPS = "tcvn3_caps"  # an "H" font: every letter drawn as a capital
    VNI = "vni"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Legacy.UNICODE: "Unicode",
    Legacy.TCVN3: "TCVN3 (ABC)",
    Legacy.TCVN3_CAPS: "TCVN3 (ABC), phông chữ hoa",
    Legacy.VNI: "VNI-Windows",
}

# --- the letters ---------------------------------------------------------------------------------

# Vowels (NFC, without tone), in the order used by the tables below.
VOWELS = ("a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y")
# Tones in the order: none, huyền (grave), sắc (acute), hỏi (hook), ngã (tilde), nặng (dot).
TONE_MARKS = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")


def with_tone(vowel: str, tone: int) -> str:
    return unicodedata.normalize("NFC", vowel + TONE_MARKS[tone])


def all_letters() -> list[str]:
    """Every Vietnamese letter with a diacritic or tone, lower then upper case (for tests)."""
    lower = [with_tone(v, t) for v in VOWELS for t in range(6)] + ["đ"]
    return lower + [c.upper() for c in lower]


# --- TCVN3 (TCVN 5712:1993, VN3) -----------------------------------------------------------------

# Byte value of each vowel with tones none, grave, acute, hook, tilde, dot.
_TCVN3_VOWELS = {
    "a": (None, 0xB5, 0xB8, 0xB6, 0xB7, 0xB9),
    "ă": (0xA8, 0xBB, 0xBE, 0xBC, 0xBD, 0xC6),
    "â": (0xA9, 0xC7, 0xCA, 0xC8, 0xC9, 0xCB),
    "e": (None, 0xCC, 0xD0, 0xCE, 0xCF, 0xD1),
    "ê": (0xAA, 0xD2, 0xD5, 0xD3, 0xD4, 0xD6),
    "i": (None, 0xD7, 0xDD, 0xD8, 0xDC, 0xDE),
    "o": (None, 0xDF, 0xE3, 0xE1, 0xE2, 0xE4),
    "ô": (0xAB, 0xE5, 0xE8, 0xE6, 0xE7, 0xE9),
    "ơ": (0xAC, 0xEA, 0xED, 0xEB, 0xEC, 0xEE),
    "u": (None, 0xEF, 0xF3, 0xF1, 0xF2, 0xF4),
    "ư": (0xAD, 0xF5, 0xF8, 0xF6, 0xF7, 0xF9),
    "y": (None, 0xFA, 0xFD, 0xFB, 0xFC, 0xFE),
}
_TCVN3_OTHER = {"đ": 0xAE, "Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6, "Đ": 0xA7}


@functools.cache
def _tcvn3_tables() -> tuple[dict[int, str], dict[str, str]]:
    """(decode table for str.translate, encode table Unicode letter -> legacy character)."""
    encode: dict[str, str] = {}
    for vowel, codes in _TCVN3_VOWELS.items():
        for tone, code in enumerate(codes):
            if code is not None:
                encode[with_tone(vowel, tone)] = chr(code)
    for letter, code in _TCVN3_OTHER.items():
        encode[letter] = chr(code)
    decode = {ord(legacy): letter for letter, legacy in encode.items()}
    return decode, encode


def decode_tcvn3(text: str, caps: bool = False) -> str:
    """TCVN3 text (as Excel stores it: one Windows-1252 character per byte) to Unicode NFC."""
    out = text.translate(_tcvn3_tables()[0])
    if caps:
        out = out.upper()
    return unicodedata.normalize("NFC", out)


def _encode(text: str, enc: dict[str, str], name: str) -> str:
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in enc:
            out.append(enc[ch])
        elif ord(ch) < 0x80:
            out.append(ch)
        else:
            raise ValueError(f"{ch!r} has no {name} code")
    return "".join(out)


def encode_tcvn3(text: str) -> str:
    """Unicode to TCVN3. Capitals with tones have no code: raises ValueError (use an H font)."""
    return _encode(text, _tcvn3_tables()[1], "TCVN3")


# --- VNI-Windows ---------------------------------------------------------------------------------

# Second characters (lower case; the capital forms are their upper case) after a vowel.
_VNI_TONE = ("", "ø", "ù", "û", "õ", "ï")  # none, huyền, sắc, hỏi, ngã, nặng
_VNI_HAT = ("â", "à", "á", "å", "ã", "ä")  # â ê ô with tone
_VNI_BREVE = ("ê", "è", "é", "ú", "ü", "ë")  # ă with tone
_VNI_SINGLE_I = ("i", "ì", "í", "æ", "ó", "ò")  # i with tone: one character each


@functools.cache
def _vni_tables() -> tuple[dict[str, str], dict[str, str]]:
    """(decode: legacy sequence -> letter, encode: letter -> legacy sequence)."""
    encode: dict[str, str] = {}
    for tone in range(6):
        encode[with_tone("a", tone)] = "a" + _VNI_TONE[tone]
        encode[with_tone("e", tone)] = "e" + _VNI_TONE[tone]
        encode[with_tone("o", tone)] = "o" + _VNI_TONE[tone]
        encode[with_tone("u", tone)] = "u" + _VNI_TONE[tone]
        encode[with_tone("y", tone)] = "y" + _VNI_TONE[tone] if tone != 5 else "î"
        encode[with_tone("â", tone)] = "a" + _VNI_HAT[tone]
        encode[with_tone("ê", tone)] = "e" + _VNI_HAT[tone]
        encode[with_tone("ô", tone)] = "o" + _VNI_HAT[tone]
        encode[with_tone("ă", tone)] = "a" + _VNI_BREVE[tone]
        encode[with_tone("ơ", tone)] = "ô" + _VNI_TONE[tone]
        encode[with_tone("ư", tone)] = "ö" + _VNI_TONE[tone]
        encode[with_tone("i", tone)] = _VNI_SINGLE_I[tone]
    encode["đ"] = "ñ"
    for letter, seq in list(encode.items()):
        encode[letter.upper()] = seq.upper()
    # plain vowels map to themselves: keep them out of the decode table
    decode = {seq: letter for letter, seq in encode.items() if seq != letter}
    return decode, encode


@functools.cache
def _vni_regex() -> re.Pattern[str]:
    seqs = sorted(_vni_tables()[0], key=len, reverse=True)
    return re.compile("|".join(re.escape(s) for s in seqs))


def decode_vni(text: str) -> str:
    """VNI-Windows text (one Windows-1252 character per byte) to Unicode NFC."""
    table = _vni_tables()[0]
    out = _vni_regex().sub(lambda m: table[m.group(0)], text)
    return unicodedata.normalize("NFC", out)


def encode_vni(text: str) -> str:
    """Unicode to VNI-Windows (one Windows-1252 character per byte)."""
    return _encode(text, _vni_tables()[1], "VNI")


# --- fonts ---------------------------------------------------------------------------------------


def legacy_of_font(font_name: str | None) -> Legacy | None:
    """The legacy encoding a font implies, or None for a Unicode (or unknown) font.

    ``.VnTime``, ``.VnArial Narrow``... are TCVN3; names ending in a capital H (``.VnTimeH``,
    ``.VnArial NarrowH``) are their all-capitals twins; ``VNI-Times``, ``VNI-Helve``... are VNI.
    """
    if not font_name:
        return None
    name = font_name.strip()
    if name.lower().startswith(".vn"):
        return Legacy.TCVN3_CAPS if name.endswith("H") else Legacy.TCVN3
    if name.upper().startswith("VNI-") or name.upper().startswith("VNI "):
        return Legacy.VNI
    return None


def decode(text: str, legacy: Legacy | None) -> str:
    if legacy is None or legacy == Legacy.UNICODE:
        return unicodedata.normalize("NFC", text)
    if legacy == Legacy.VNI:
        return decode_vni(text)
    return decode_tcvn3(text, caps=legacy == Legacy.TCVN3_CAPS)


# --- content detection ---------------------------------------------------------------------------

_VIET_LETTERS = frozenset(all_letters())
# Vowel clusters (tone removed, lower case) that occur in Vietnamese syllables.
_NUCLEI = frozenset(
    [
        "a",
        "ă",
        "â",
        "e",
        "ê",
        "i",
        "o",
        "ô",
        "ơ",
        "u",
        "ư",
        "y",
        "ai",
        "ao",
        "au",
        "ay",
        "âu",
        "ây",
        "eo",
        "êu",
        "ia",
        "iê",
        "iu",
        "oa",
        "oă",
        "oe",
        "oi",
        "ôi",
        "ơi",
        "oo",
        "ôô",
        "ua",
        "uâ",
        "uê",
        "ui",
        "uô",
        "uơ",
        "ưa",
        "ưi",
        "ưu",
        "ươ",
        "uy",
        "yê",
        "iêu",
        "oai",
        "oao",
        "oay",
        "oeo",
        "uây",
        "uôi",
        "ươi",
        "ươu",
        "uyê",
        "uya",
        "uyu",
        "yêu",
    ]
)
# Final consonants, and vowel clusters that end a syllable (no final consonant after them).
_FINALS = frozenset(["", "c", "ch", "m", "n", "ng", "nh", "p", "t"])
_OPEN_NUCLEI = frozenset(
    [
        "ai",
        "ao",
        "au",
        "ay",
        "âu",
        "ây",
        "eo",
        "êu",
        "ia",
        "iu",
        "oi",
        "ôi",
        "ơi",
        "ui",
        "ưi",
        "ưu",
        "ua",
        "ưa",
        "uôi",
        "ươi",
        "ươu",
        "iêu",
        "yêu",
        "oai",
        "oao",
        "oay",
        "oeo",
        "uây",
        "uyu",
        "uya",
    ]
)
_WORD_RE = re.compile(r"[^\W\d_]+", re.UNICODE)
_VOWEL_BASES = frozenset("aăâeêioôơuưy")
_TONES = frozenset(TONE_MARKS[1:])
_SYLLABLE_RE = re.compile(r"^(qu|gi(?=[aăâeêoôơuưy])|[^aăâeêioôơuưy]*)([aăâeêioôơuưy]*)(.*)$")
# Punctuation of ordinary Unicode text (none of it a TCVN3 or VNI code).
_HARMLESS = frozenset("–—‘’“”…•°№€")
# Latin-1 characters that also turn up in Unicode text: weak evidence of a legacy encoding.
_WEAK = frozenset("©®«»°º±§·×")


# A vowel followed by a VNI modifier (hat, breve and/or tone): "aâ", "eä", "oø", "uù"...
_VNI_PAIR_RE = re.compile(
    "[aeiouyAEIOUYôÔöÖ][" + "".join(sorted(set("øùûõïâàáåãäêèéúüë" + "ØÙÛÕÏÂÀÁÅÃÄÊÈÉÚÜË"))) + "]"
)


# Vowel + VNI-modifier pairs that are also ordinary Unicode Vietnamese (hoà, khoé, quá, xuân, thuê, yêu).
_UNICODE_PAIRS = frozenset(["oà", "oá", "oã", "oè", "oé", "uà", "uá", "uã", "uâ", "uê", "yê"])


def _vni_pairs(text: str) -> bool:
    """A vowel followed by a VNI modifier, in a way Unicode Vietnamese never writes."""
    return any(m.group(0).lower() not in _UNICODE_PAIRS for m in _VNI_PAIR_RE.finditer(text))


def _syllable_ok(word: str) -> bool:
    nfd = unicodedata.normalize("NFD", word.lower())
    tones = sum(1 for ch in nfd if ch in _TONES)
    if tones > 1:
        return False
    if tones == 0 and word.isupper() and len(word) <= 8 and "đ" in word.lower():
        return True  # an acronym: HĐND, ATLĐ, CĐCS
    base = unicodedata.normalize("NFC", "".join(ch for ch in nfd if ch not in _TONES))
    if any(ch not in _VOWEL_BASES and not ("a" <= ch <= "z" or ch == "đ") for ch in base):
        return False
    m = _SYLLABLE_RE.match(base)  # after "qu"/"gi" the u/i belongs to the consonant
    if not m:
        return False
    nucleus, rest = m.group(2), m.group(3)
    if not nucleus:
        return m.group(1) in ("gi", "qu") or tones == 0
    if nucleus not in _NUCLEI or rest not in _FINALS:
        return False
    return not (rest and nucleus in _OPEN_NUCLEI)


def _bad_words(text: str) -> int:
    return sum(
        1
        for w in _WORD_RE.findall(unicodedata.normalize("NFC", text))
        if not w.isascii() and not _syllable_ok(w)
    )


def implausibility(text: str) -> int:
    """How far ``text`` is from Unicode Vietnamese: characters no Vietnamese text has, plus words
    (with a non-ASCII letter) that cannot be a Vietnamese syllable. 0 for good text."""
    bad = 0
    for ch in text:
        if ord(ch) >= 0x80 and ch not in _VIET_LETTERS and ch not in _HARMLESS:
            if not unicodedata.category(ch).startswith("Z"):
                bad += 1
    for word in _WORD_RE.findall(unicodedata.normalize("NFC", text)):
        if not word.isascii() and not _syllable_ok(word):
            bad += 1
    return bad


_LATIN1_RE = re.compile("[\u00a0-\u00ff]")
# Latin-1 characters no Vietnamese Unicode text uses (µ ¸ ¶ ä å ø ï ...)
_STRONG_RE = re.compile(
    "["
    + "".join(
        re.escape(chr(c)) for c in range(0xA1, 0x100) if chr(c) not in _VIET_LETTERS and chr(c) not in _WEAK
    )
    + "]"
)


def might_be_legacy(text: str) -> bool:
    """Whether the text has any character a legacy decoding would change (fast pre-check)."""
    return _LATIN1_RE.search(text) is not None


_might_be_legacy = might_be_legacy


def _strong_evidence(text: str) -> bool:
    return _STRONG_RE.search(text) is not None


def detect(text: str, thorough: bool = True) -> Legacy:
    """The encoding of one piece of text judged by its content alone (Unicode when in doubt).

    A legacy decoding is taken only when it leaves nothing implausible in text that was not.
    """
    if not _might_be_legacy(text):
        return Legacy.UNICODE
    strong = _strong_evidence(text)
    if not thorough and not strong and not _vni_pairs(text):
        return Legacy.UNICODE  # fast path for bulk reading: no sign of either encoding
    here = implausibility(text)
    if here == 0:
        return Legacy.UNICODE
    best, best_score = Legacy.UNICODE, here
    # TCVN3 reuses single Latin-1 letters, so it needs a character no Unicode text has; VNI only
    # rewrites a vowel followed by a modifier, which is never a Vietnamese syllable in Unicode.
    # TCVN3 without such a character only when a word (not just a symbol) is wrong as it stands.
    candidates = (Legacy.TCVN3, Legacy.VNI) if strong or _bad_words(text) else (Legacy.VNI,)
    best_len = len(text)
    for candidate in candidates:
        decoded = decode(text, candidate)
        score = implausibility(decoded)
        # on a tie the decoding that consumed more (VNI's two-byte letters) is the better reading
        if score < best_score or (score == best_score and best != Legacy.UNICODE and len(decoded) < best_len):
            best, best_score, best_len = candidate, score, len(decoded)
    # all plausible, or nearly so (an acronym or a typo left) after removing most problems
    if best_score == 0 or (here - best_score >= 3 and best_score * 4 <= here):
        return best
    return Legacy.UNICODE


def detect_many(texts: list[str]) -> Legacy:
    """One verdict for many texts (a column, a CSV file): a legacy decoding must at least halve
    the problems, and remove at least two."""
    sample = [t for t in texts if t and _might_be_legacy(t)]
    if not sample or not any(_strong_evidence(t) for t in sample):
        return Legacy.UNICODE
    here = sum(implausibility(t) for t in sample)
    best, best_score = Legacy.UNICODE, here
    best_len = sum(len(t) for t in sample)
    for candidate in (Legacy.TCVN3, Legacy.VNI):
        decoded = [decode(t, candidate) for t in sample]
        score = sum(implausibility(t) for t in decoded)
        length = sum(len(t) for t in decoded)
        if score < best_score or (score == best_score and best != Legacy.UNICODE and length < best_len):
            best, best_score, best_len = candidate, score, length
    if best != Legacy.UNICODE and (here - best_score < 2 or best_score * 2 > here):
        return Legacy.UNICODE
    return best


def to_unicode(text: str, font_name: str | None = None, thorough: bool = True) -> tuple[str, Legacy]:
    """A cell's text in Unicode NFC, and the encoding it was found in.

    The font decides when it names a legacy encoding; otherwise the content does.
    """
    by_font = legacy_of_font(font_name)
    if by_font is not None:
        if by_font == Legacy.TCVN3_CAPS or _might_be_legacy(text):
            return decode(text, by_font), by_font
        return unicodedata.normalize("NFC", text), Legacy.UNICODE
    found = detect(text, thorough)
    return decode(text, found), found
