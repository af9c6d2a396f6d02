"""TCVN3 and VNI-Windows to Unicode: every Vietnamese letter, both cases, round trips, detection."""

from __future__ import annotations

import unicodedata

import pytest

from app.importing import legacy as lg

LOWER = [lg.with_tone(v, t) for v in lg.VOWELS for t in range(6)] + ["đ"]
UPPER = [c.upper() for c in LOWER]


def test_the_alphabet_under_test_is_complete():
    assert len(LOWER) == 73 and len(set(LOWER)) == 73
    assert len(UPPER) == 73 and len(set(UPPER)) == 73
    assert all(unicodedata.is_normalized("NFC", c) and len(c) == 1 for c in LOWER + UPPER)
    assert set(lg.all_letters()) == set(LOWER + UPPER)


# Published TCVN 5712:1993 (VN3) codes, written out independently of the module's table.
TCVN3_SPOT = {
    "à": 0xB5,
    "á": 0xB8,
    "ả": 0xB6,
    "ã": 0xB7,
    "ạ": 0xB9,
    "ă": 0xA8,
    "ắ": 0xBE,
    "ặ": 0xC6,
    "â": 0xA9,
    "ấ": 0xCA,
    "ậ": 0xCB,
    "đ": 0xAE,
    "é": 0xD0,
    "ê": 0xAA,
    "ệ": 0xD6,
    "í": 0xDD,
    "ị": 0xDE,
    "ó": 0xE3,
    "ô": 0xAB,
    "ộ": 0xE9,
    "ơ": 0xAC,
    "ờ": 0xEA,
    "ợ": 0xEE,
    "ú": 0xF3,
    "ư": 0xAD,
    "ứ": 0xF8,
    "ự": 0xF9,
    "ỳ": 0xFA,
    "ý": 0xFD,
    "ỵ": 0xFE,
    "Ă": 0xA1,
    "Â": 0xA2,
    "Ê": 0xA3,
    "Ô": 0xA4,
    "Ơ": 0xA5,
    "Ư": 0xA6,
    "Đ": 0xA7,
}


@pytest.mark.parametrize("letter", LOWER)
def test_tcvn3_every_lower_case_letter_round_trips(letter):
    encoded = lg.encode_tcvn3(letter)
    if letter in "aeiouy":
        assert encoded == letter
    else:
        assert len(encoded) == 1 and 0xA1 <= ord(encoded) <= 0xFE
    assert lg.decode_tcvn3(encoded) == letter


def test_tcvn3_codes_match_the_standard_and_are_distinct():
    for letter, code in TCVN3_SPOT.items():
        assert lg.encode_tcvn3(letter) == chr(code), letter
        assert lg.decode_tcvn3(chr(code)) == letter
    codes = [lg.encode_tcvn3(c) for c in LOWER if c not in "aeiouy"]
    assert len(set(codes)) == len(codes) == 67


@pytest.mark.parametrize("letter", UPPER)
def test_tcvn3_every_capital_through_an_h_font(letter):
    # capitals with tones have no TCVN3 code: they are typed as lower-case codes in .VnTimeH
    assert lg.decode_tcvn3(lg.encode_tcvn3(letter.lower()), caps=True) == letter
    text, found = lg.to_unicode(lg.encode_tcvn3(letter.lower()), ".VnTimeH")
    assert text == letter and found == lg.Legacy.TCVN3_CAPS


def test_tcvn3_seven_capitals_have_their_own_codes():
    for letter in "ĂÂÊÔƠƯĐ":
        assert lg.decode_tcvn3(lg.encode_tcvn3(letter)) == letter
    with pytest.raises(ValueError):
        lg.encode_tcvn3("Ấ")


@pytest.mark.parametrize("letter", LOWER + UPPER)
def test_vni_every_letter_both_cases_round_trips(letter):
    encoded = lg.encode_vni(letter)
    assert all(ord(c) < 0x100 for c in encoded)
    assert lg.decode_vni(encoded) == letter
    # inside a word too: the modifier binds to the vowel before it
    word = "Ng" + letter + "n"
    assert lg.decode_vni(lg.encode_vni(word)) == word


def test_vni_known_words():
    assert lg.decode_vni("Vieät Nam") == "Việt Nam"
    assert lg.decode_vni("Nguyeãn Thò Haèng") == "Nguyễn Thị Hằng"
    assert lg.decode_vni("ÑÖÔØNG") == "ĐƯỜNG"
    assert lg.decode_vni("Coâng ty TNHH Thöông maïi") == "Công ty TNHH Thương mại"


def test_tcvn3_known_words():
    assert lg.decode_tcvn3("Hµ Néi") == "Hà Nội"
    assert lg.decode_tcvn3("C«ng ty TNHH Th­¬ng m¹i §ång Xu©n") == "Công ty TNHH Thương mại Đồng Xuân"
    assert lg.decode_tcvn3("c«ng ty", caps=True) == "CÔNG TY"


@pytest.mark.parametrize(
    "font,expected",
    [
        (".VnTime", lg.Legacy.TCVN3),
        (".VnArial Narrow", lg.Legacy.TCVN3),
        (".VnTimeH", lg.Legacy.TCVN3_CAPS),
        (".VnArial NarrowH", lg.Legacy.TCVN3_CAPS),
        ("VNI-Times", lg.Legacy.VNI),
        ("VNI-Helve", lg.Legacy.VNI),
        ("Times New Roman", None),
        ("Arial", None),
        (None, None),
        ("", None),
    ],
)
def test_fonts(font, expected):
    assert lg.legacy_of_font(font) == expected


SENTENCES = [
    "Công ty TNHH Thương mại và Dịch vụ Hoàn Kiếm",
    "Nguyễn Thị Hằng, Trần Văn Đức, Lê Thị Thủy",
    "Số 12 phố Tràng Tiền, phường Hoàn Kiếm, thành phố Hà Nội",
    "Hợp tác xã nông nghiệp Quỳnh Lưu",
    "Doanh nghiệp tư nhân Hoà Bình",
    # press text of the kind the program's users write (see the seeds)
    "Phát triển tổ chức cơ sở Đảng trong các doanh nghiệp ngoài khu vực nhà nước",
    "Nâng cao nhận thức về vai trò, trách nhiệm của cấp ủy, tổ chức Đảng, Chính quyền đối với Mặt trận Tổ quốc",
    "Thành lập được 16/15 tổ chức công đoàn cơ sở, vượt 6,6% chỉ tiêu; kết nạp 103/80 đảng viên mới",
    "Khảo sát, gặp gỡ, vận động, thuyết phục chủ doanh nghiệp; HĐND và UBND phường",
]


@pytest.mark.parametrize("sentence", SENTENCES)
def test_content_detection_without_a_font(sentence):
    assert lg.to_unicode(sentence) == (sentence, lg.Legacy.UNICODE)
    assert lg.to_unicode(lg.encode_tcvn3(sentence)) == (sentence, lg.Legacy.TCVN3)
    assert lg.to_unicode(lg.encode_vni(sentence)) == (sentence, lg.Legacy.VNI)
    nfd = unicodedata.normalize("NFD", sentence)
    assert lg.to_unicode(nfd) == (sentence, lg.Legacy.UNICODE)


def test_weak_tcvn3_cells_are_still_found():
    # only letters that Unicode Vietnamese also uses (á é Ý), but "néi" is no Vietnamese word
    encoded = lg.encode_tcvn3("bỏ qua nội dung chính")
    assert encoded == "bá qua néi dung chÝnh"
    assert lg.to_unicode(encoded) == ("bỏ qua nội dung chính", lg.Legacy.TCVN3)
    # VNI that reads as valid Unicode stays as it is ("Hoà" is also the old spelling of Hòa)
    assert lg.to_unicode(lg.encode_vni("Hồ")) == ("Hoà", lg.Legacy.UNICODE)


def test_column_detection_needs_real_evidence():
    assert lg.detect_many([lg.encode_tcvn3(s) for s in SENTENCES]) == lg.Legacy.TCVN3
    assert lg.detect_many([lg.encode_vni(s) for s in SENTENCES]) == lg.Legacy.VNI
    assert lg.detect_many(SENTENCES) == lg.Legacy.UNICODE
    # Unicode text with a few Latin-1 symbols is left alone
    assert lg.detect_many(["Công ty ABC®", "«Tên» © 2020", "Giá 5.000 ₫ × 2"]) == lg.Legacy.UNICODE
    assert lg.to_unicode("Công ty ABC®") == ("Công ty ABC®", lg.Legacy.UNICODE)


def test_plain_ascii_in_a_legacy_font_is_unchanged():
    assert lg.to_unicode("TNHH ABC 123", ".VnTime") == ("TNHH ABC 123", lg.Legacy.UNICODE)
    assert lg.to_unicode("tnhh abc", ".VnTimeH")[0] == "TNHH ABC"


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_ASCII = "bcdghklmnpqrstvxBCDGHKLMNPQRSTVX0123456789 ,.-/()"
_words = st.text(alphabet=st.sampled_from(list(_ASCII) + LOWER + UPPER), min_size=1, max_size=40)
_lower_words = st.text(alphabet=st.sampled_from(list(_ASCII.lower()) + LOWER), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_words)
def test_vni_round_trips_any_text(text):
    assert lg.decode_vni(lg.encode_vni(text)) == text
    assert lg.to_unicode(lg.encode_vni(text), "VNI-Times")[0] == text


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_lower_words)
def test_tcvn3_round_trips_any_lower_case_text(text):
    assert lg.decode_tcvn3(lg.encode_tcvn3(text)) == text
    assert lg.to_unicode(lg.encode_tcvn3(text), ".VnTime")[0] == text
    assert lg.to_unicode(lg.encode_tcvn3(text), ".VnTimeH")[0] == text.upper()


def _real_words() -> list[str]:
    from app.demo import names as N

    words = set()
    for value in (
        N.MIDDLE_MALE
        + N.MIDDLE_FEMALE
        + N.GIVEN_MALE
        + N.GIVEN_FEMALE
        + N.BRAND_WORDS
        + N.STREETS
        + [s for s, _w in N.SURNAMES]
        + SENTENCES
    ):
        words.update(value.replace(",", " ").split())
    # every letter in a real syllable, old and new tone placement
    words.update(
        ["hoà", "hòa", "thuỷ", "thủy", "khuya", "người", "quốc", "giữ", "gì", "ươm", "oẳn", "nguyễn"]
    )
    return sorted(words)


_real_text = st.lists(st.sampled_from(_real_words()), min_size=1, max_size=12).map(" ".join)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_real_text)
def test_vietnamese_text_is_never_changed_by_content_detection(text):
    assert lg.to_unicode(text)[0] == text
    assert lg.to_unicode(text.upper())[0] == text.upper()
    assert lg.detect_many([text, text.upper()]) == lg.Legacy.UNICODE
