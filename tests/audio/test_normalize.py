"""Tests for audio.text.normalize: written bulletin text -> what the loudspeakers should say."""

import re
import unicodedata
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

import audio.text.normalize as normalize_module
from audio.text.normalize import ABBREVIATIONS, Rule, normalize, rules
from audio.text.numbers import read_decimal, read_number

# Each rule with sentences that exercise it, written as a ward bulletin would write them, and
# the exact text the speech engine should receive.
RULE_CASES: dict[str, list[tuple[str, str]]] = {
    "address": [
        (
            "Gửi email về ubndphuong1@hanoi.gov.vn trước thứ sáu.",
            "Gửi i meo về u bê en dê phuong một a còng hanoi chấm gốp chấm vê en trước thứ sáu.",
        ),
        (
            "Gửi về vanthu_ubnd@gmail.com",
            "Gửi về vanthu gạch dưới u bê en dê a còng gờ meo chấm com",
        ),
        # The host alone when the path is long; the sentence's own dot stays.
        (
            "Nộp hồ sơ tại https://dichvucong.gov.vn/p/home/dvc-trang-chu.html.",
            "Nộp hồ sơ tại dichvucong chấm gốp chấm vê en.",
        ),
        (
            "Theo dõi www.facebook.com/ubndphuonga, Zalo.",
            "Theo dõi vê kép vê kép vê kép chấm phây búc chấm com gạch chéo u bê en dê "
            "phuonga, da lô.",
        ),
        # Not addresses: a city's short name, "and so on", a version, an amount.
        ("TP.HCM, v.v. bản 4.0", "thành phố hồ chí minh, v.v. bản bốn chấm không"),
    ],
    "phone_keyword": [
        ("Mọi thắc mắc xin gọi tổng đài 1022.", "Mọi thắc mắc xin gọi tổng đài một không hai hai."),
        (
            "Đường dây nóng của phường: 0225.3751.999",
            "Đường dây nóng của phường: không hai hai năm, ba bảy năm một, chín chín chín",
        ),
        (
            "Khi có cháy gọi 114, công an gọi 113.",
            "Khi có cháy gọi một một bốn, công an gọi một một ba.",
        ),
        ("Hotline 113, 114 hoặc 115", "hót lai một một ba, một một bốn hoặc một một năm"),
        ("Gọi 3 lần không ai nghe máy", "Gọi ba lần không ai nghe máy"),
    ],
    "phone_number": [
        (
            "Liên hệ anh Nam, 0987 654 321, để đăng ký.",
            "Liên hệ anh Nam, không chín tám bảy, sáu năm bốn, ba hai một, để đăng ký.",
        ),
        ("Máy bàn 02253 751 999", "Máy bàn không hai hai năm ba, bảy năm một, chín chín chín"),
        ("Nhắn 0912.345.678", "Nhắn không chín một hai, ba bốn năm, sáu bảy tám"),
        (
            "Cán bộ trực: +84 988 123 456",
            "Cán bộ trực: cộng tám bốn, chín tám tám, một hai ba, bốn năm sáu",
        ),
    ],
    "phone_tollfree": [
        (
            "Tư vấn miễn phí 18001091 cho người dân.",
            "Tư vấn miễn phí một tám không không một không chín một cho người dân.",
        ),
        ("Số 1900 9095 hỗ trợ", "Số một chín không không, chín không chín năm hỗ trợ"),
    ],
    "standard": [
        (
            "Đạt chuẩn ISO 9001:2015",
            "Đạt chuẩn i xô chín nghìn không trăm lẻ một, hai nghìn không trăm mười lăm",
        ),
        (
            "Áp dụng QCVN 02:2009/BXD",
            "Áp dụng quy chuẩn việt nam không hai, hai nghìn không trăm lẻ chín",
        ),
        ("Theo TCVN 3890", "Theo tiêu chuẩn việt nam ba nghìn tám trăm chín mươi"),
        # The sentence says "tiêu chuẩn" already: the code is spelled, not said again.
        (
            "theo Tiêu chuẩn quốc gia TCVN ISO 9001:2015",
            "theo Tiêu chuẩn quốc gia tê xê vê en i xô chín nghìn không trăm lẻ một, hai "
            "nghìn không trăm mười lăm",
        ),
        (
            "Quy chuẩn kỹ thuật quốc gia QCVN 06:2022/BXD",
            "Quy chuẩn kỹ thuật quốc gia qui xê vê en không sáu, hai nghìn không trăm hai mươi hai",
        ),
    ],
    "document_number": [
        (
            "Quyết định số 1234/QĐ-UBND về việc",
            "Quyết định số một nghìn hai trăm ba mươi tư về việc",
        ),
        (
            "Luật số 59/2020/QH14 có hiệu lực",
            "Luật số năm mươi chín năm hai nghìn không trăm hai mươi có hiệu lực",
        ),
        ("Công văn 215/UBND-VP gửi các tổ", "Công văn hai trăm mười lăm gửi các tổ"),
        ("Quyết định 18/QĐ-TTg", "Quyết định mười tám"),
    ],
    "party_document": [
        ("Chỉ thị 05-CT/TW của Ban Bí thư", "Chỉ thị năm của Ban Bí thư"),
        ("Nghị quyết số 57-NQ/TW", "Nghị quyết số năm mươi bảy"),
    ],
    "abbreviations": [
        ("Ban chỉ đạo CĐS phường họp", "Ban chỉ đạo chuyển đổi số phường họp"),
        ("Kỳ họp HĐND và UBND", "Kỳ họp hội đồng nhân dân và ủy ban nhân dân"),
        ("Đội ngũ CBCCVC", "Đội ngũ cán bộ công chức viên chức"),
        ("Diễn tập PCCC tại KP 3", "Diễn tập phòng cháy chữa cháy tại khu phố ba"),
        ("CA phường nhắc nhở người dân", "công an phường nhắc nhở người dân"),
        # In capitals "CA" is the word for singing, not the police.
        ("CHƯƠNG TRÌNH CA NHẠC MỪNG XUÂN", "CHƯƠNG TRÌNH CA NHẠC MỪNG XUÂN"),
        ("Về TP. Hải Phòng", "Về thành phố Hải Phòng"),
        ("Biến thể mới của COVID-19", "Biến thể mới của cô vít mười chín"),
        # Loanwords and brands, in any case; the plan's own words.
        (
            "Tuyên truyền trên Zalo OA, Fanpage, FACEBOOK và website của phường",
            "Tuyên truyền trên da lô ô a, phan pết, phây búc và oép sai của phường",
        ),
        (
            "Nộp hồ sơ online, quét mã QR, cài VNeID; chỉ số PAR INDEX và SIPAS",
            "Nộp hồ sơ on lai, quét mã qui a, cài vê en e ai đi; chỉ số pa in đéc và xi pát",
        ),
        ("Gửi E-mail, dùng wifi", "Gửi i meo, dùng oai phai"),
    ],
    "quarter": [
        ("Kết quả quý III/2025", "Kết quả quý ba năm hai nghìn không trăm hai mươi lăm"),
        ("Nhiệm vụ quý 2", "Nhiệm vụ quý hai"),
    ],
    "roman_heading": [
        ("Chương IV: Tổ chức thực hiện", "Chương bốn: Tổ chức thực hiện"),
        ("Quốc hội khóa XVI", "Quốc hội khóa mười sáu"),
        ("Kỷ niệm thế kỷ XX", "Kỷ niệm thế kỷ hai mươi"),
        ("Phần I. Tình hình chung", "Phần một. Tình hình chung"),
        # Single letters that are list labels, not numerals.
        ("Phụ lục C kèm theo", "Phụ lục C kèm theo"),
        ("Bằng lái hạng D", "Bằng lái hạng D"),
    ],
    "roman_line": [
        ("III. TỔ CHỨC THỰC HIỆN", "ba. TỔ CHỨC THỰC HIỆN"),
        ("IV) Kiến nghị", "bốn) Kiến nghị"),
    ],
    "ordinal": [
        ("Kỳ họp thứ 10 của HĐND", "Kỳ họp thứ mười của hội đồng nhân dân"),
        ("Họp vào thứ 4 hằng tuần", "Họp vào thứ tư hằng tuần"),
        ("Đoạt giải thứ 1 hội thi", "Đoạt giải thứ nhất hội thi"),
        ("Làm việc thứ 2 - thứ 7", "Làm việc thứ hai đến thứ bảy"),
        ("Tiếp dân thứ 3-5", "Tiếp dân thứ ba đến thứ năm"),
        ("Đại hội lần thứ XXIV", "Đại hội lần thứ hai mươi tư"),
    ],
    "range": [
        ("Độ tuổi 18-60", "Độ tuổi mười tám đến sáu mươi"),
        (
            "Kế hoạch 2026 – 2030",
            "Kế hoạch hai nghìn không trăm hai mươi sáu đến hai nghìn không trăm ba mươi",
        ),
        ("Phát thanh 6h00-6h30", "Phát thanh sáu giờ đến sáu giờ ba mươi phút"),
        (
            "Tạm ngừng cấp điện 1/6-3/6",
            "Tạm ngừng cấp điện ngày một tháng sáu đến ngày ba tháng sáu",
        ),
        ("Giảm 10-20%", "Giảm mười đến hai mươi phần trăm"),
        # A falling pair is a score, not a range.
        ("Tỷ số trận đấu là 2-1", "Tỷ số trận đấu là hai - một"),
    ],
    "date_dmy": [
        (
            "Khai mạc ngày 02.9.2025",
            "Khai mạc ngày hai tháng chín năm hai nghìn không trăm hai mươi lăm",
        ),
        (
            "Hạn chót 31-12-2025",
            "Hạn chót ngày ba mươi mốt tháng mười hai năm hai nghìn không trăm hai mươi lăm",
        ),
        (
            "Từ ngày 04/4/2026",
            "Từ ngày bốn tháng tư năm hai nghìn không trăm hai mươi sáu",
        ),
    ],
    "date_my": [
        ("Áp dụng từ 7/2026", "Áp dụng từ tháng bảy năm hai nghìn không trăm hai mươi sáu"),
        ("Trong tháng 4/2025", "Trong tháng tư năm hai nghìn không trăm hai mươi lăm"),
        ("Văn bản số 12/2024", "Văn bản số mười hai năm hai nghìn không trăm hai mươi tư"),
    ],
    "date_dm": [
        (
            "Nhận hồ sơ từ 5/1 đến 15/1",
            "Nhận hồ sơ từ ngày năm tháng một đến ngày mười lăm tháng một",
        ),
        ("Mùng 2/9 nghỉ lễ", "Mùng hai tháng chín nghỉ lễ"),
        ("Khoảng 1/4 số hộ chưa nộp", "Khoảng một phần bốn số hộ chưa nộp"),
        ("Số nhà 25/7 phố Lạch Tray", "Số nhà hai mươi lăm / bảy phố Lạch Tray"),
    ],
    "month": [
        ("Họp vào tháng 04 và tháng 12", "Họp vào tháng tư và tháng mười hai"),
        ("Tháng 1 năm 2026", "Tháng một năm hai nghìn không trăm hai mươi sáu"),
    ],
    "time_h": [
        ("Làm việc từ 8h30", "Làm việc từ tám giờ ba mươi phút"),
        ("Kết thúc 22h45", "Kết thúc hai mươi hai giờ bốn mươi lăm phút"),
        ("Phát thanh lúc 6h", "Phát thanh lúc sáu giờ"),
        ("Trong vòng 72h", "Trong vòng bảy mươi hai giờ"),
        ("Tập trung 7g15", "Tập trung bảy giờ mười lăm phút"),
    ],
    "time_colon": [
        ("Hết hạn lúc 23:59", "Hết hạn lúc hai mươi ba giờ năm mươi chín phút"),
        ("Khai mạc 08:00", "Khai mạc tám giờ"),
    ],
    "zero_minutes": [
        ("Đúng 9 giờ 00 khai mạc", "Đúng chín giờ khai mạc"),
        ("Lúc 15 giờ 00 phút", "Lúc mười lăm giờ"),
    ],
    "units": [
        ("Quãng đường 12 km", "Quãng đường mười hai ki lô mét"),
        ("Trồng 3,5 ha lúa", "Trồng ba phẩy năm héc ta lúa"),
        ("Căn hộ 45m2", "Căn hộ bốn mươi lăm mét vuông"),
        ("Đóng 300.000 VNĐ", "Đóng ba trăm nghìn đồng"),
        ("Nhiệt độ 38°C", "Nhiệt độ ba mươi tám độ xê"),
        ("Tăng 12%", "Tăng mười hai phần trăm"),
        ("Tốc độ 40km/h", "Tốc độ bốn mươi ki lô mét trên giờ"),
    ],
    "per_unit": [
        ("Thu 40.000 đồng/người", "Thu bốn mươi nghìn đồng một người"),
        ("Giá 15.000đ/kg", "Giá mười lăm nghìn đồng một ki lô gam"),
        ("Mật độ 250 người/km2", "Mật độ hai trăm năm mươi người trên ki lô mét vuông"),
        ("Thông báo và/hoặc niêm yết", "Thông báo và/hoặc niêm yết"),
    ],
    "name_dash": [
        ("Máy bay Su-30", "Máy bay Su ba mươi"),
    ],
    "negative": [
        ("Nhiệt độ xuống -3 độ", "Nhiệt độ xuống âm ba độ"),
        ("Tăng trưởng (-1,5%)", "Tăng trưởng (âm một phẩy năm phần trăm)"),
    ],
    "thousands": [
        ("Ngân sách 12.500.000.000 đồng", "Ngân sách mười hai tỷ năm trăm triệu đồng"),
        ("Tổng 1.250,5 tấn", "Tổng một nghìn hai trăm năm mươi phẩy năm tấn"),
        ("Có 2.007 hộ.", "Có hai nghìn không trăm lẻ bảy hộ."),
    ],
    "thousands_comma": [
        (
            "Doanh thu 1,234,567 USD",
            "Doanh thu một triệu hai trăm ba mươi tư nghìn năm trăm sáu mươi bảy đô la mỹ",
        ),
    ],
    "decimal": [
        ("Tăng trưởng 6,75%", "Tăng trưởng sáu phẩy bảy mươi lăm phần trăm"),
        ("Giảm 0,05 điểm", "Giảm không phẩy không năm điểm"),
    ],
    "dotted": [
        ("Cách mạng công nghiệp 4.0", "Cách mạng công nghiệp bốn chấm không"),
        ("Tại mục 2.1.3", "Tại mục hai chấm một chấm ba"),
    ],
    "integer": [
        ("Có 7 tổ dân phố", "Có bảy tổ dân phố"),
        ("Năm 2025", "Năm hai nghìn không trăm hai mươi lăm"),
        ("Mã hồ sơ 000123", "Mã hồ sơ không không không một hai ba"),
        ("Khu phố 05", "Khu phố năm"),
        ("Bằng lái B2", "Bằng lái B hai"),
        ("Có 0 ca mắc", "Có không ca mắc"),
    ],
    "symbols": [
        ("PCCC & CNCH", "phòng cháy chữa cháy và cứu nạn cứu hộ"),
    ],
}

ALL_CASES = [(name, src, want) for name, cases in RULE_CASES.items() for src, want in cases]


def test_every_rule_has_cases() -> None:
    assert set(RULE_CASES) == {rule.name for rule in rules()}


def test_docstring_documents_the_rules_in_order() -> None:
    documented = re.findall(r"^\s*\d+\. ``(\w+)``", normalize_module.__doc__ or "", re.M)
    assert documented == [rule.name for rule in rules()]


def test_rules_are_named_regex_rules() -> None:
    for rule in rules():
        assert isinstance(rule, Rule)
        assert isinstance(rule.pattern, re.Pattern)
    assert len({rule.name for rule in rules()}) == len(rules())


@pytest.mark.parametrize(("rule", "src", "want"), ALL_CASES, ids=[c[0] for c in ALL_CASES])
def test_rule_cases(rule: str, src: str, want: str) -> None:
    assert normalize(src) == want


def test_rule_apply_rewrites_only_its_matches() -> None:
    (ordinal,) = [rule for rule in rules() if rule.name == "ordinal"]
    assert " ".join(ordinal.apply("thứ 4 và 4").split()) == "thứ tư và 4"


# --- why the order matters -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "want"),
    [
        # Phone numbers before thousands grouping: not "chín trăm mười hai triệu...".
        ("ĐT 0912.345.678", "ĐT không chín một hai, ba bốn năm, sáu bảy tám"),
        # Standards before document numbers: "2021/BYT" is the edition year, not a number.
        ("QCVN 01:2021/BYT", "quy chuẩn việt nam không một, hai nghìn không trăm hai mươi mốt"),
        # Document numbers before dates: "35/2023" is not March... of anything.
        (
            "Nghị quyết 35/2023/UBTVQH15",
            "Nghị quyết ba mươi lăm năm hai nghìn không trăm hai mươi ba",
        ),
        # Document numbers before abbreviations: the issuer code "QĐ-UBND" goes as a whole.
        ("Quyết định 9/QĐ-UBND", "Quyết định chín"),
        # Quarters before dates: "I/2026" is not January.
        ("Quý I/2026", "Quý một năm hai nghìn không trăm hai mươi sáu"),
        # Ranges before dates: both ends become dates and the dash becomes "đến".
        (
            "Nghỉ 30/4-1/5",
            "Nghỉ ngày ba mươi tháng tư đến ngày một tháng năm",
        ),
        # Dates with dashes before ranges would misread them; the range rule leaves them alone.
        (
            "Ngày 5-7-2021",
            "Ngày năm tháng bảy năm hai nghìn không trăm hai mươi mốt",
        ),
        # Units before numbers: "5 m" needs the digit to be a length.
        ("Rộng 5 m", "Rộng năm mét"),
    ],
)
def test_order_resolves_ambiguity(src: str, want: str) -> None:
    assert normalize(src) == want


def test_ngay_is_not_doubled() -> None:
    assert normalize("Ngày 1/5") == "Ngày một tháng năm"
    assert normalize("Hạn 1/5") == "Hạn ngày một tháng năm"


def test_thang_is_not_doubled() -> None:
    assert normalize("tháng 6/2026") == "tháng sáu năm hai nghìn không trăm hai mươi sáu"


# --- the lexicon ---------------------------------------------------------------------------


def test_default_lexicon_covers_common_abbreviations() -> None:
    for key, spoken in {
        "UBND": "ủy ban nhân dân",
        "HĐND": "hội đồng nhân dân",
        "TTHC": "thủ tục hành chính",
        "BHXH": "bảo hiểm xã hội",
        "TDP": "tổ dân phố",
        "THCS": "trung học cơ sở",
        "CNTT": "công nghệ thông tin",
    }.items():
        assert ABBREVIATIONS[key] == spoken
        assert normalize(f"Tin {key} hôm nay") == f"Tin {spoken} hôm nay"


def test_lexicon_values_are_lowercase_words() -> None:
    for spoken in ABBREVIATIONS.values():
        assert spoken == spoken.lower()
        assert not any(c.isdigit() for c in spoken)


def test_custom_lexicon_replaces_the_default() -> None:
    staff = MappingProxyType({"TDP": "tổ dân phố", "VNeID": "vê en i ai đi"})
    assert normalize("UBND nhắc TDP cài VNeID", staff) == ("UBND nhắc tổ dân phố cài vê en i ai đi")


def test_empty_lexicon_expands_nothing() -> None:
    assert normalize("UBND phường", {}) == "UBND phường"


def test_lexicon_matches_whole_words_only() -> None:
    assert normalize("Mã KPX và KP", {"KP": "khu phố"}) == "Mã KPX và khu phố"


def test_lexicon_prefers_the_longest_key() -> None:
    lexicon = {"CBCC": "cán bộ công chức", "CBCCVC": "cán bộ công chức viên chức"}
    assert normalize("CBCCVC và CBCC", lexicon) == (
        "cán bộ công chức viên chức và cán bộ công chức"
    )


def test_lexicon_and_text_are_unicode_normalized() -> None:
    # Staff may type keys, and bulletins may arrive, with decomposed diacritics.
    decomposed = unicodedata.normalize("NFD", "KHỐI")
    assert decomposed != "KHỐI"
    assert normalize("Loa KHỐI 3", {decomposed: "khối"}) == "Loa khối ba"
    assert normalize(f"Loa {decomposed} 3", {"KHỐI": "khối"}) == "Loa khối ba"


def test_lexicon_entries_typed_with_stray_spaces_still_work() -> None:
    staff = {" KP ": "khu\nphố", "   ": "nothing"}
    assert normalize("Loa KP 2", staff) == "Loa khu phố hai"


def test_default_lexicon_is_not_modified() -> None:
    before = dict(ABBREVIATIONS)
    normalize("UBND", {"UBND": "u bê"})
    assert before == ABBREVIATIONS


# --- lines, punctuation and odd input ------------------------------------------------------


def test_sentence_punctuation_is_kept_for_pauses() -> None:
    assert normalize("Có 3 hộ, 2 người! Ai vắng? Hết.") == ("Có ba hộ, hai người! Ai vắng? Hết.")


def test_each_line_stays_one_line() -> None:
    text = "UBND thông báo:\nHọp lúc 7h30\n\nTổng đài 1022\r\n"
    assert normalize(text).split("\n") == [
        "ủy ban nhân dân thông báo:",
        "Họp lúc bảy giờ ba mươi phút",
        "",
        "Tổng đài một không hai hai",
        "",
    ]


def test_other_line_separators_become_spaces() -> None:
    assert normalize("Một\u2028hai\x1cba\x85bốn") == "Một hai ba bốn"


def test_other_digit_scripts_are_read() -> None:
    assert normalize("Có １２ hộ") == "Có mười hai hộ"


def test_very_long_numbers_are_read_digit_by_digit() -> None:
    assert normalize("Tài khoản 12345678901234567") == (
        "Tài khoản một hai ba bốn năm sáu bảy tám chín không một hai ba bốn năm sáu bảy"
    )


def test_invalid_dates_and_times_are_not_invented() -> None:
    assert "tháng" not in normalize("Mã 32/13/2025")
    assert "giờ" not in normalize("Tỷ số 25:70")


def test_normalized_text_is_stable() -> None:
    for _, src, _ in ALL_CASES:
        once = normalize(src)
        assert normalize(once) == once


# --- properties ----------------------------------------------------------------------------

ASCII_DIGITS = set("0123456789")


@given(st.text())
def test_never_crashes_and_keeps_line_count(text: str) -> None:
    out = normalize(text)
    assert out.count("\n") == text.count("\n")
    for line in out.split("\n"):
        assert len(line.splitlines()) <= 1


@given(st.text(alphabet=st.sampled_from(list("0123456789 .,:-/h%+°CIVXđngàythứquýKP"))))
def test_no_digit_survives(text: str) -> None:
    assert not ASCII_DIGITS & set(normalize(text))


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=80))
def test_deterministic(text: str) -> None:
    assert normalize(text) == normalize(text)


@given(st.integers(min_value=0, max_value=10**12))
def test_grouped_amounts_read_as_numbers(n: int) -> None:
    written = f"{n:,}".replace(",", ".")
    assert normalize(f"Chi {written} đồng") == f"Chi {read_number(n)} đồng"


@given(st.integers(min_value=0, max_value=9_999_999))
def test_plain_integers_read_as_numbers(n: int) -> None:
    assert normalize(f"Có {n} người") == f"Có {read_number(n)} người"


@given(st.integers(min_value=0, max_value=999), st.from_regex(r"[0-9]{1,3}", fullmatch=True))
def test_decimal_comma_reads_phay(whole: int, fraction: str) -> None:
    assert normalize(f"Đạt {whole},{fraction}%") == (
        f"Đạt {read_decimal(str(whole), fraction)} phần trăm"
    )


@given(
    st.integers(min_value=1, max_value=31),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1900, max_value=2100),
)
def test_full_dates(day: int, month: int, year: int) -> None:
    month_word = "tư" if month == 4 else read_number(month)
    assert normalize(f"Ngày {day:02d}/{month}/{year}") == (
        f"Ngày {read_number(day)} tháng {month_word} năm {read_number(year)}"
    )


@given(st.integers(min_value=0, max_value=23), st.integers(min_value=0, max_value=59))
def test_clock_times(hour: int, minute: int) -> None:
    spoken = f"{read_number(hour)} giờ" + (f" {read_number(minute)} phút" if minute else "")
    assert normalize(f"lúc {hour}h{minute:02d}") == f"lúc {spoken}"
    assert normalize(f"lúc {hour:02d}:{minute:02d}") == f"lúc {spoken}"


DIGIT_VALUES = {
    word: str(i)
    for i, word in enumerate(
        ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
    )
}


@given(st.from_regex(r"0[0-9]{9}", fullmatch=True))
def test_mobile_numbers_read_digit_by_digit(number: str) -> None:
    spoken = normalize(f"Gọi số {number[:4]} {number[4:7]} {number[7:]}")
    assert spoken.startswith("Gọi số ")
    words = spoken.removeprefix("Gọi số ").replace(",", "").split()
    assert "".join(DIGIT_VALUES[w] for w in words) == number
