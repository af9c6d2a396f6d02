import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from app.domain.text import clean, fold, search_key, tone_key

VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"


def test_clean_nfc_trim_collapse():
    nfd = unicodedata.normalize("NFD", "  Nguyễn   Thị\tHằng \u00a0")
    assert clean(nfd) == "Nguyễn Thị Hằng"
    assert unicodedata.is_normalized("NFC", clean(nfd))
    assert clean(None) == ""
    assert clean("a\u200bb\ufeff") == "ab"


def test_fold_removes_every_diacritic_including_d_bar():
    assert fold("Nguyễn Thị Hằng") == "nguyen thi hang"
    assert fold("ĐOÀN Đức") == "doan duc"
    assert fold(unicodedata.normalize("NFD", "Hòa Bình")) == "hoa binh"


@given(st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + " ", max_size=40))
def test_fold_is_ascii_and_idempotent(text):
    key = fold(text)
    assert key.isascii()
    assert fold(key) == key
    assert fold(unicodedata.normalize("NFD", text)) == key


def test_tone_placement_old_and_new_give_the_same_key():
    assert tone_key("hoà") == tone_key("hòa")
    assert tone_key("Thuỷ") == tone_key("thủy")
    assert tone_key("khoẻ") == tone_key("khỏe")
    assert tone_key("hoá") != tone_key("hòa")  # different tones stay different
    assert tone_key("quý") == "quý"  # qu + y: the tone is on y either way
    assert tone_key("Hoà Bình, thuỷ sản") == tone_key("hòa bình, thủy sản")
    assert search_key("Hoà") == search_key("hòa") == "hoa"
