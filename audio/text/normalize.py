"""Turn written Vietnamese bulletin text into the words a text-to-speech engine should say.

`normalize` is pure and deterministic, and each input line becomes exactly one output line.
Every line goes through the same ordered rewrite rules, each a compiled regex and a function for
its matches (`rules()` lists them). Most rules turn the digits they match into words, so later
rules never see them again; that is why the order resolves ambiguity, because the same
characters mean different things in different places:

 1. ``address``          e-mail and web addresses (ubnd@hanoi.gov.vn, dichvucong.gov.vn), read
                         part by part: "a còng", "chấm", known names ("gốp", "vê en"), letters
                         spelled where no word is written. First, before any rule reads their
                         digits, dots or words.
 2. ``phone_keyword``    after "tổng đài", "đường dây nóng", "hotline", "điện thoại", "gọi"...,
                         numbers of three or more digits are phone numbers, read digit by digit.
                         Before the other numbers, or "1022" and "0225.3842.123" would be read
                         as amounts.
 3. ``phone_number``     0xxx / +84 numbers of 10-11 digits, however grouped. Before thousands
                         grouping, which would read "0912.345.678" as nine hundred million.
 4. ``phone_tollfree``   1800 / 1900 service numbers, for the same reason.
 5. ``standard``         ISO 9001:2015, QCVN 01:2021/BYT: before document numbers (which would
                         take "2021/BYT") and before times (":2015" is not a clock). After
                         "tiêu chuẩn (quốc gia)" the code is spelled ("tê xê vê en"), so that
                         "tiêu chuẩn" is not said twice.
 6. ``document_number``  76/NQ-CP, 35/2023/UBTVQH15: the number (and year); the issuer's code is
                         dropped because the sentence names the issuer. Before dates ("35/2023")
                         and before abbreviations (which would break up "QĐ-UBND").
 7. ``party_document``   18-NQ/TW, the Party's "number-type/issuer" form. Before ranges.
 8. ``abbreviations``    the lexicon (ABBREVIATIONS unless another is given): UBND -> "ủy ban
                         nhân dân", and loanwords and brands: Zalo -> "da lô", online -> "on
                         lai". A key written in capitals matches only in capitals; one with a
                         small letter in any case ("Zalo", "ZALO", "zalo"). After the rules that
                         read codes made of capitals (5-7).
 9. ``quarter``          "quý I/2026", "quý 4": before dates, which would take "1/2026" as January.
10. ``roman_heading``    Roman numerals after heading words (Phần II, Mục III, khóa XV).
11. ``roman_line``       a Roman numeral opening a line ("I. MỤC ĐÍCH").
12. ``ordinal``          "thứ 4" -> "thứ tư", "thứ 1" -> "thứ nhất", "lần thứ XXV". Before ranges,
                         so that "thứ 2-6" becomes "thứ hai đến thứ sáu".
13. ``range``            2021-2030, 5-7, 7h30 - 11h30, 30/4-1/5: the dash becomes "đến" and the
                         ends are left for the rules below. After phone and document numbers,
                         whose dashes are not ranges; before dates and times, which would
                         otherwise consume the ends and leave a bare dash.
14. ``date_dmy``         15/7/2021, 15-7-2021, 15.7.2021 -> "ngày ... tháng ... năm ...", adding
                         "ngày" only when the text does not already say it.
15. ``date_my``          4/2026 -> "tháng tư năm ..." ("tháng" is not doubled); "số 12/2023" is a
                         document number with its year.
16. ``date_dm``          30/4 -> "ngày ba mươi tháng tư"; "2/3 số hộ" is a fraction and
                         "số nhà 25/7", "ngõ 12/3" are addresses instead.
                         After the longer date forms, which contain this one.
17. ``month``            "tháng 01" -> "tháng một", "tháng 4" -> "tháng tư".
18. ``time_h``           7h30, 17h00, 7g30 -> "bảy giờ ba mươi phút", "mười bảy giờ".
19. ``time_colon``       14:00 -> "mười bốn giờ".
20. ``zero_minutes``     "14 giờ 00" -> "14 giờ": nobody says "không phút".
21. ``units``            km, m2, ha, kg, %, °C, đ, VNĐ... after a number. Before the number
                         rules, which would remove the digit that marks a unit as a unit.
22. ``per_unit``         "đồng/hồ sơ" -> "đồng một hồ sơ", "người/km2" -> "người trên ki lô
                         mét vuông". After `units`, which reads the amount's own unit first.
23. ``name_dash``        COVID-19: a dash between a word and a number joins a name.
24. ``negative``         "-5" -> "âm 5"; after ranges and names took the other dashes.
25. ``thousands``        1.250, 3.000.000, 1.250,5: "." groups thousands in Vietnamese.
26. ``thousands_comma``  1,250,000 written the English way (two or more comma groups).
27. ``decimal``          98,7 -> "chín mươi tám phẩy bảy". After thousands ("1.250,5").
28. ``dotted``           4.0, 1.2.3 -> "chấm" (versions, section numbers): what is left of ".".
29. ``integer``          every remaining run of digits; codes with a leading zero are read digit
                         by digit. Last, as the catch-all: no digit survives it.
30. ``symbols``          "&" -> "và".

Inserted words are padded with spaces so they never glue onto a neighbour ("B2" -> "B hai"); a
final pass collapses white space and removes the space before punctuation. Sentence punctuation
is kept, because the speech engine pauses on it.
"""

import functools
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from audio.text.numbers import read_decimal, read_digits, read_number, read_ordinal, read_roman

__all__ = ["ABBREVIATIONS", "Rule", "normalize", "rules"]

ABBREVIATIONS: dict[str, str] = {
    # Government bodies.
    "UBND": "ủy ban nhân dân",
    "HĐND": "hội đồng nhân dân",
    "UBMTTQ": "ủy ban mặt trận tổ quốc",
    "MTTQ": "mặt trận tổ quốc",
    "UBTVQH": "ủy ban thường vụ quốc hội",
    "UBKT": "ủy ban kiểm tra",
    "BCH": "ban chấp hành",
    "CAND": "công an nhân dân",
    "QĐND": "quân đội nhân dân",
    "CSGT": "cảnh sát giao thông",
    "CA": "công an",
    "TNCS": "thanh niên cộng sản",
    "LHPN": "liên hiệp phụ nữ",
    "HLHPN": "hội liên hiệp phụ nữ",
    "CCB": "cựu chiến binh",
    "HTX": "hợp tác xã",
    "CHXHCN": "cộng hòa xã hội chủ nghĩa",
    # Places.
    "TP.HCM": "thành phố hồ chí minh",
    # With its dot, so "TP. Hải Phòng" gets no pause after "thành phố".
    "TP.": "thành phố",
    "Tp.": "thành phố",
    "TPHCM": "thành phố hồ chí minh",
    "TP": "thành phố",
    "KP": "khu phố",
    "TDP": "tổ dân phố",
    "KCN": "khu công nghiệp",
    # Administration.
    "CCHC": "cải cách hành chính",
    "TTHC": "thủ tục hành chính",
    "CBCCVC": "cán bộ công chức viên chức",
    "CBCC": "cán bộ công chức",
    "CCVC": "công chức viên chức",
    "DVCTT": "dịch vụ công trực tuyến",
    "DVC": "dịch vụ công",
    "CNTT": "công nghệ thông tin",
    "CĐS": "chuyển đổi số",
    "CSDL": "cơ sở dữ liệu",
    "KT-XH": "kinh tế xã hội",
    "KTXH": "kinh tế xã hội",
    "GPMB": "giải phóng mặt bằng",
    "NTM": "nông thôn mới",
    # Papers and insurance.
    "BHYT": "bảo hiểm y tế",
    "BHXH": "bảo hiểm xã hội",
    "BHTN": "bảo hiểm thất nghiệp",
    "CCCD": "căn cước công dân",
    "CMND": "chứng minh nhân dân",
    "GCN": "giấy chứng nhận",
    "QSDĐ": "quyền sử dụng đất",
    "SĐT": "số điện thoại",
    "STK": "số tài khoản",
    # Schools.
    "THCS": "trung học cơ sở",
    "THPT": "trung học phổ thông",
    "CLB": "câu lạc bộ",
    # Safety.
    "PCCC": "phòng cháy chữa cháy",
    "CNCH": "cứu nạn cứu hộ",
    "ATGT": "an toàn giao thông",
    "TNGT": "tai nạn giao thông",
    "ATTP": "an toàn thực phẩm",
    "VSATTP": "vệ sinh an toàn thực phẩm",
    "ANTT": "an ninh trật tự",
    # Standards (the numbers after them are read by the `standard` rule).
    "TCVN": "tiêu chuẩn việt nam",
    "QCVN": "quy chuẩn việt nam",
    "ISO": "i xô",
    "COVID": "cô vít",
    # Loanwords and brands bulletins name, read as a Vietnamese listener says them. With a
    # small letter in the key, any case matches ("Zalo", "ZALO"); capitals match exactly.
    "Zalo": "da lô",
    "OA": "ô a",
    "Facebook": "phây búc",
    "Fanpage": "phan pết",
    "YouTube": "diu túp",
    "TikTok": "tích tóc",
    "Google": "gu gồ",
    "Internet": "in tơ nét",
    "website": "oép sai",
    "web": "oép",
    "email": "i meo",
    "e-mail": "i meo",
    "online": "on lai",
    "offline": "ọp lai",
    "app": "áp",
    "Wi-Fi": "oai phai",
    "wifi": "oai phai",
    "link": "linh",
    "hotline": "hót lai",
    "smartphone": "xma phôn",
    "video": "vi đê ô",
    "camera": "ca mê ra",
    "livestream": "lai xtrim",
    "QR": "qui a",
    "VNeID": "vê en e ai đi",
    "iHanoi": "ai hà nội",
    "PAR INDEX": "pa in đéc",
    "SIPAS": "xi pát",
}

# Upper-case Vietnamese letters; Python's re has no \p{Lu}.
_UP = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
# Characters that str.splitlines() treats as line ends; inside a line they must become spaces
# so that one input line always gives one output line.
_LINE_BREAKS = re.compile(r"[\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_INVISIBLE = re.compile(r"[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_MAX_AMOUNT_DIGITS = 15  # longer digit runs are codes or account numbers, not quantities


@dataclass(frozen=True)
class Rule:
    """One rewrite step: every match of `pattern` is replaced by `replace(match)`."""

    name: str
    pattern: re.Pattern[str]
    replace: Callable[[re.Match[str]], str]

    def apply(self, text: str) -> str:
        """Return text with every match of this rule rewritten."""
        return self.pattern.sub(self.replace, text)


def _words(text: str) -> str:
    """Pad inserted words so they never glue onto neighbouring letters ("B2" -> "B hai")."""
    return f" {text} "


def _month(month: int) -> str:
    """Name a month by its number: April is "tháng tư", never "tháng bốn"."""
    return "tư" if month == 4 else read_number(month)


def _read_code(digits: str) -> str:
    """Read a run of digits: codes with a leading zero and very long runs digit by digit."""
    if (len(digits) > 2 and digits[0] == "0") or len(digits) > _MAX_AMOUNT_DIGITS:
        return read_digits(digits)
    return read_number(int(digits))


def _read_amount(int_digits: str, frac_digits: str | None) -> str:
    """Read an amount given its integer digits and optional decimal digits."""
    if len(int_digits) > _MAX_AMOUNT_DIGITS or len(frac_digits or "") > _MAX_AMOUNT_DIGITS:
        # Not a quantity anyone says as a number; also keeps int() far from its size limit.
        whole = read_digits(int_digits)
        return f"{whole} phẩy {read_digits(frac_digits)}" if frac_digits else whole
    if frac_digits is None:
        return read_number(int(int_digits))
    return read_decimal(int_digits, frac_digits)


def _read_phone(raw: str) -> str:
    """Read a phone number digit by digit, with a comma (a pause) between written groups."""
    groups = [g for g in re.split(r"[ .\-]+", raw) if g]
    spoken = []
    for group in groups:
        plus = group.startswith("+")
        digits = read_digits(group.lstrip("+"))
        spoken.append(f"cộng {digits}" if plus else digits)
    return ", ".join(spoken)


# --- 1-3: phone numbers --------------------------------------------------------------------

_PHONE_WORDS = (
    r"tổng\s+đài|đường\s+dây\s+nóng|đường\s+dây\s+hỗ\s+trợ|hotline|số\s+điện\s+thoại"
    r"|điện\s+thoại|sđt|đt|fax|zalo|gọi(?:\s+(?:đến|tới|vào))?"
)


# One number: at least three digits ("gọi 5 lần" is not a phone call to 5), then groups.
_PHONE_ITEM = r"\+?\d{3,}(?:[ .\-]\d{2,4})*"
# "gọi 113, 114 hoặc 115": the keyword covers the whole list.
_PHONE_LIST = rf"{_PHONE_ITEM}(?:(?:\s*[,;]\s*|\s+hoặc\s+){_PHONE_ITEM})*"
_PHONE_ITEM_RE = re.compile(_PHONE_ITEM)


def _phone_keyword(m: re.Match[str]) -> str:
    """Read the numbers after a phone keyword digit by digit."""
    numbers = _PHONE_ITEM_RE.sub(lambda item: _read_phone(item.group(0)), m.group(2))
    return m.group(1) + _words(numbers)


def _phone_number(m: re.Match[str]) -> str:
    """Read a 10-11 digit 0xxx or +84 number digit by digit."""
    digits = sum(c.isdigit() for c in m.group(0))
    expected = (11, 12) if m.group(0).startswith("+") else (10, 11)
    if digits not in expected:
        return m.group(0)
    return _words(_read_phone(m.group(0)))


def _phone_tollfree(m: re.Match[str]) -> str:
    """Read a 1800/1900 service number digit by digit."""
    if not 8 <= sum(c.isdigit() for c in m.group(0)) <= 10:
        return m.group(0)
    return _words(_read_phone(m.group(0)))


# --- 4-6: document numbers and standards ---------------------------------------------------

# --- 1: e-mail and web addresses ----------------------------------------------------------

# How a listener hears an address's marks, and the names addresses are made of.
_ADDRESS_MARKS = {"@": "a còng", ".": "chấm", "-": "gạch ngang", "_": "gạch dưới",
                  "/": "gạch chéo", ":": "hai chấm"}  # fmt: skip
_ADDRESS_NAMES = {
    "www": "vê kép vê kép vê kép", "gov": "gốp", "vn": "vê en", "com": "com", "net": "nét",
    "org": "o rờ gờ", "edu": "e đu", "info": "in phô", "gmail": "gờ meo", "yahoo": "da hu",
    "html": "hát tê em e lờ", "me": "mi",
}  # fmt: skip
# Letters spelled as Vietnamese name them ("vn" is "vê en").
_LETTER_NAMES = {
    "a": "a", "b": "bê", "c": "xê", "d": "dê", "đ": "đê", "e": "e", "f": "ép", "g": "giê",
    "h": "hát", "i": "i", "j": "gi", "k": "ca", "l": "e lờ", "m": "em", "n": "en", "o": "o",
    "p": "pê", "q": "qui", "r": "e rờ", "s": "ét", "t": "tê", "u": "u", "v": "vê", "w": "vê kép",
    "x": "ích", "y": "i dài", "z": "dét",
}  # fmt: skip
_TLDS = r"vn|com|net|org|gov|edu|info|io|asia|me"
_EMAIL = r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
_WEB = (
    r"(?:(?i:https?)://)?(?:[A-Za-z0-9\-]+\.)+(?i:" + _TLDS + r")(?![\w\-])"
    r"(?:/[\w\-.~%?=&#/]*)?"
)


def _spell(word: str) -> str:
    return " ".join(_LETTER_NAMES.get(c, c) for c in word.lower())


def _read_address_part(part: str, names: Mapping[str, str], spelled: tuple[str, ...]) -> str:
    """Read one name of an address: a known name, a lexicon word, a word, or its letters.

    `spelled` are the lexicon's abbreviations in small letters, longest first: "ubndphuong"
    is "u bê en đê" then "phuong".
    """
    lower = part.lower()
    if lower in _ADDRESS_NAMES:
        return _ADDRESS_NAMES[lower]
    if lower in names:
        return names[lower]
    words = []
    for run in re.findall(r"\d+|[^\W\d_]+", lower):
        if run.isdigit():
            words.append(read_digits(run))
            continue
        prefix = next((a for a in spelled if run.startswith(a)), "")
        if prefix:
            words.append(_spell(prefix))
            run = run[len(prefix) :]
        if len(run) > 2 and re.search(r"[aeiouy]", run):
            words.append(run)  # a word written without its marks: said as written
        elif run:
            words.append(_spell(run))  # "dvc": no word, its letters
    return " ".join(words)


@functools.lru_cache(maxsize=16)
def _address_rule(entries: tuple[tuple[str, str], ...]) -> Rule:
    """Build the address rule; the lexicon's loanwords read the names it knows ("zalo")."""
    names = {key.lower(): value for key, value in entries if any(c.islower() for c in key)}
    spelled = tuple(
        sorted(
            (k.lower() for k, _ in entries if k.isalpha() and k.isupper() and len(k) >= 3),
            key=lambda k: (-len(k), k),
        )
    )

    def read(m: re.Match[str]) -> str:
        address = m.group(0)
        if address.lower().startswith(("http://", "https://")):
            address = address.split("://", 1)[1]
        # A sentence's last dot or a comma is not part of the address.
        kept = re.search(r"[.,;:?!/]+$", address)
        tail = kept.group(0) if kept else ""
        address = address[: len(address) - len(tail)]
        host, _, path = address.partition("/")
        # One name after the host is a page people type ("facebook.com/ubndphuonga"); a
        # longer path nobody takes down by ear: the host it is on is what is said.
        address = address if path and "/" not in path else host
        spoken = []
        for piece in re.split(r"([@./:_\-])", address):
            if piece in _ADDRESS_MARKS:
                spoken.append(_ADDRESS_MARKS[piece])
            elif piece:
                spoken.append(_read_address_part(piece, names, spelled))
        return _words(" ".join(spoken)) + tail.replace("/", "")

    pattern = rf"(?<![\w@.\-/])(?:{_EMAIL}|{_WEB})"
    return Rule("address", re.compile(pattern), read)


# An issuer code: capitals first ("NQ", "QĐ", "UBTVQH15"), then "-"/"/" parts that may hold
# lower case ("CT-TTg") or "&" ("TN&MT").
_SYMBOL = rf"[{_UP}]{{2,}}[{_UP}\d]*(?:[-/][{_UP}][\w&]*)*"


def _document_number(m: re.Match[str]) -> str:
    """Read a document symbol as its number and year, dropping the issuer code."""
    text = read_number(int(m.group(1)))
    if m.group(2):
        text += " năm " + read_number(int(m.group(2)))
    return _words(text)


def _party_document(m: re.Match[str]) -> str:
    """Read a Party document symbol such as 18-NQ/TW as its number."""
    return _words(read_number(int(m.group(1))))


# "theo tiêu chuẩn quốc gia TCVN ...": the sentence already says what TCVN stands for.
_NAMED_BEFORE = re.compile(
    r"(?i:tiêu\s+chuẩn|quy\s+chuẩn)(?:\s+(?i:kỹ\s+thuật|kĩ\s+thuật))?"
    r"(?:\s+(?i:quốc\s+gia|việt\s+nam))?\s*$"
)


def _standard(m: re.Match[str]) -> str:
    """Read a standard's number and edition year."""
    # A standard's number is a code: "QCVN 01" is "không một", not "một".
    number = m.group(2)
    code = read_digits(number) if number.startswith("0") else _read_code(number)
    name = m.group(1)
    if _NAMED_BEFORE.search(m.string, max(0, m.start() - 60), m.start()):
        name = re.sub(r"TCVN|QCVN", lambda kind: _spell(kind.group(0)), name)
    text = f"{name} {code}"
    if m.group(3):
        # The edition year follows a short pause, as the colon does when read aloud.
        text += ", " + read_number(int(m.group(3)))
    return _words(text)


# --- 7: abbreviations ----------------------------------------------------------------------


def _pad(m: re.Match[str], words: str) -> str:
    """Surround words with a space only where the match touches a letter or digit."""
    text = m.string
    before = " " if m.start() > 0 and text[m.start() - 1].isalnum() else ""
    after = " " if m.end() < len(text) and text[m.end()].isalnum() else ""
    return f"{before}{words}{after}"


def _is_caps_word(word: str, table: Mapping[str, str]) -> bool:
    """Whether word is written in capitals and is not itself an abbreviation."""
    return len(word) > 1 and word.isupper() and word not in table


@functools.lru_cache(maxsize=16)
def _abbreviation_rule(entries: tuple[tuple[str, str], ...]) -> Rule:
    """Build the lexicon rule: exact-case, whole-word keys, longest first ("CBCCVC" > "CBCC")."""
    table = dict(entries)
    # A key with a small letter is a word ("Zalo", "online"): any case. One in capitals is an
    # abbreviation, and only capitals are it ("CA" is công an; "ca" is a shift).
    loose = {k.lower(): v for k, v in table.items() if any(c.islower() for c in k)}
    keys = sorted(table, key=lambda k: (-len(k), k))
    alternation = "|".join(
        f"(?i:{re.escape(k)})" if any(c.islower() for c in k) else re.escape(k) for k in keys
    )
    # An empty lexicon gets a pattern that never matches.
    pattern = rf"(?<!\w)(?:{alternation})(?!\w)" if keys else r"(?!)"

    def expand(m: re.Match[str]) -> str:
        """Expand one lexicon key unless it stands among words in capitals."""
        key = m.group(0)
        # In an all-capitals headline ("CHƯƠNG TRÌNH CA NHẠC") a two-letter key is more likely
        # a word than an abbreviation, so it is left alone next to other words in capitals.
        if len(key) <= 2:
            # A short window keeps this linear on long lines; longer "words" are not words.
            prev = re.search(r"(\w+)\W*$", m.string[max(0, m.start() - 40) : m.start()])
            nxt = re.match(r"\W*(\w+)", m.string[m.end() : m.end() + 40])
            if any(w and _is_caps_word(w.group(1), table) for w in (prev, nxt)):
                return key
        # Padding only against letters: "COVID-19" must keep its dash next to the word, or
        # the `negative` rule would read "-19" as "âm mười chín".
        return _pad(m, table[key] if key in table else loose[key.lower()])

    return Rule("abbreviations", re.compile(pattern), expand)


# --- 8-11: quarters, Roman numerals, ordinals ----------------------------------------------

_ROMAN_TOKEN = r"[IVXLCDM]+"
_HEADINGS = (
    r"phần|mục|chương|điều|khoản|khóa|khoá|đại\s+hội|thế\s+kỷ|thế\s+kỉ|tập|phụ\s+lục"
    r"|hạng|đợt|giai\s+đoạn|vòng|bài|kỳ|kì"
)


def _roman_value(token: str) -> int | None:
    """Value of a Roman numeral that is plausibly one (has I, V or X: not "hạng C", "mục D")."""
    if not any(c in "IVX" for c in token):
        return None
    return read_roman(token)


def _count_value(token: str) -> int | None:
    """Value of an Arabic or Roman count such as "4" or "IV"."""
    return int(token) if token.isdigit() else _roman_value(token)


def _quarter(m: re.Match[str]) -> str:
    """Read a quarter of the year, with its year if written as quý I/2026."""
    value = _count_value(m.group(2))
    if value is None or not 1 <= value <= 4:
        return m.group(0)
    text = f"{m.group(1)} {read_number(value)}"
    if m.group(3):
        text += " năm " + read_number(int(m.group(3)))
    return _words(text)


def _roman_heading(m: re.Match[str]) -> str:
    """Read a Roman numeral after a heading word as a cardinal."""
    value = _roman_value(m.group(2))
    if value is None:
        return m.group(0)
    return f"{m.group(1)} {read_number(value)}"


def _roman_line(m: re.Match[str]) -> str:
    """Read a Roman numeral that opens a line as a cardinal."""
    value = _roman_value(m.group(2))
    if value is None:
        return m.group(0)
    return m.group(1) + read_number(value)


def _ordinal(m: re.Match[str]) -> str:
    """Read "thứ N" (or a range "thứ N-M") with ordinal words."""
    first = _count_value(m.group(2))
    last = _count_value(m.group(3)) if m.group(3) else None
    if first is None or (m.group(3) and last is None):
        return m.group(0)
    text = f"{m.group(1)} {read_ordinal(first)}"
    if last is not None:
        text += f" đến {m.group(1).lower()} {read_ordinal(last)}"
    return _words(text)


# --- 12: ranges ----------------------------------------------------------------------------

_DATE_TOKEN = r"\d{1,2}/\d{1,2}(?:/\d{4})?"
_TIME_TOKEN = r"\d{1,2}(?:[hH]|g(?=\d))(?:\d{2})?|\d{1,2}:\d{2}"
_NUMBER_TOKEN = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"
# Dates and times first: the alternation takes the first that fits, and "7" would fit "7h30".
_RANGE_TOKEN = rf"{_DATE_TOKEN}|{_TIME_TOKEN}|{_NUMBER_TOKEN}"


def _amount_value(token: str) -> Decimal | None:
    """Numeric value of a plain number token, or None for dates and times."""
    if not re.fullmatch(_NUMBER_TOKEN, token):
        return None
    return Decimal(token.replace(".", "").replace(",", "."))


def _range(m: re.Match[str]) -> str:
    """Turn the dash of a rising range into "đến", leaving both ends for later rules."""
    low, high = _amount_value(m.group(1)), _amount_value(m.group(3))
    # "3-2" is a score or a fraction of sorts, not a range: only rising pairs are ranges.
    if low is not None and high is not None and low >= high:
        return m.group(0)
    return f"{m.group(1)}{m.group(2)} đến {m.group(3)}"


# --- 13-19: dates and times ----------------------------------------------------------------


def _valid_date(day: int, month: int) -> bool:
    """Whether day and month could be a calendar date."""
    return 1 <= day <= 31 and 1 <= month <= 12


def _date_dmy(m: re.Match[str]) -> str:
    """Read day/month/year."""
    day, month, year = int(m.group(2)), int(m.group(4)), int(m.group(5))
    if not _valid_date(day, month):
        return m.group(0)
    prefix = m.group(1) or "ngày"
    return _words(f"{prefix} {read_number(day)} tháng {_month(month)} năm {read_number(year)}")


def _date_my(m: re.Match[str]) -> str:
    """Read month/year, or a document number with its year after "số"."""
    prefix, number, year = m.group(1), m.group(2), int(m.group(3))
    if prefix and prefix.lower() == "số":
        # "số 12/2023" is a document number with its year, not December.
        return _words(f"{prefix} {read_number(int(number))} năm {read_number(year)}")
    month = int(number)
    if len(number) > 2 or not 1 <= month <= 12:
        return m.group(0)
    return _words(f"{prefix or 'tháng'} {_month(month)} năm {read_number(year)}")


# Words before "12/3" that make it an address or a document number rather than a date.
_ADDRESS_WORDS = r"số(?:\s+nhà)?|nhà|ngõ|ngách|hẻm|kiệt"


def _date_dm(m: re.Match[str]) -> str:
    """Read day/month, unless it is an address or a fraction."""
    prefix, first, second = m.group(1), int(m.group(2)), int(m.group(3))
    if prefix and re.fullmatch(_ADDRESS_WORDS, prefix.lower()):
        return m.group(0)
    if m.group(4) and not prefix:
        return _words(f"{read_number(first)} phần {read_number(second)}")  # "2/3 số hộ"
    if not _valid_date(first, second):
        return m.group(0)
    return _words(f"{prefix or 'ngày'} {read_number(first)} tháng {_month(second)}")


def _month_word(m: re.Match[str]) -> str:
    """Read the month after "tháng"."""
    month = int(m.group(2))
    if not 1 <= month <= 12:
        return m.group(0)
    return _words(f"{m.group(1)} {_month(month)}")


def _clock(hour: int, minute: int) -> str:
    """Say a clock time; zero minutes are not said."""
    text = f"{read_number(hour)} giờ"
    return f"{text} {read_number(minute)} phút" if minute else text


def _time_h(m: re.Match[str]) -> str:
    """Read 7h30-style times and hour counts."""
    hour = int(m.group(1))
    if m.group(2) is None:
        return _words(_clock(hour, 0))  # "24h", "48h": a duration in hours
    minute = int(m.group(2))
    if hour > 24 or minute > 59:
        return m.group(0)
    return _words(_clock(hour, minute))


def _time_colon(m: re.Match[str]) -> str:
    """Read 14:00-style times."""
    hour, minute = int(m.group(1)), int(m.group(2))
    if hour > 24 or minute > 59:
        return m.group(0)
    return _words(_clock(hour, minute))


# --- 20-29: units, signs and plain numbers --------------------------------------------------

_UNITS: dict[str, str] = {
    "%": "phần trăm",
    "°C": "độ xê",
    "℃": "độ xê",
    "°": "độ",
    "km/h": "ki lô mét trên giờ",
    "km2": "ki lô mét vuông",
    "km²": "ki lô mét vuông",
    "km": "ki lô mét",
    "m2": "mét vuông",
    "m²": "mét vuông",
    "m3": "mét khối",
    "m³": "mét khối",
    "cm": "xăng ti mét",
    "mm": "mi li mét",
    "m": "mét",
    "ha": "héc ta",
    "kg": "ki lô gam",
    "mg": "mi li gam",
    "g": "gam",
    "ml": "mi li lít",
    "kWh": "ki lô oát giờ",
    "kW": "ki lô oát",
    "MW": "mê ga oát",
    "VNĐ": "đồng",
    "VND": "đồng",
    "vnđ": "đồng",
    "đ": "đồng",
    "USD": "đô la mỹ",
}
_UNIT_ALTERNATION = "|".join(re.escape(u) for u in sorted(_UNITS, key=lambda u: (-len(u), u)))


def _unit(m: re.Match[str]) -> str:
    """Say the unit symbol after a number."""
    return _words(_UNITS[m.group(1)])


# Units that can follow "/" after a word ("người/km2"); "%" and degrees never do.
_PER_UNITS = {u: w for u, w in _UNITS.items() if u not in {"%", "°", "°C", "℃"}}
_PER_UNIT_ALTERNATION = "|".join(
    re.escape(u) for u in sorted(_PER_UNITS, key=lambda u: (-len(u), u))
)
# Last words of a price or a unit just read aloud: "đồng/người", "ki lô gam/ngày".
_AMOUNT_WORDS = frozenset({"đồng", "gam", "tấn", "lít", "mét", "vuông", "khối", "ta", "la", "mỹ"})


def _per_unit(m: re.Match[str]) -> str:
    """Read "/" after a price or unit as "một" (per) or "trên" (ratio)."""
    word, unit, noun = m.group(1), m.group(2), m.group(3)
    # Money is "một" per thing ("đồng một ki lô gam"); other ratios are "trên" (density).
    per = "một" if word == "đồng" else "trên"
    if unit:
        return f"{word} {per} {_PER_UNITS[unit]}"
    if word in _AMOUNT_WORDS:
        return f"{word} một {noun}"
    return m.group(0)  # "và/hoặc" and the like are not ratios


def _negative(m: re.Match[str]) -> str:
    """Read a minus sign."""
    return " âm "


def _thousands(m: re.Match[str]) -> str:
    """Read a number grouped with dots, possibly with a decimal comma."""
    return _words(_read_amount(m.group(1).replace(".", ""), m.group(2)))


def _thousands_comma(m: re.Match[str]) -> str:
    """Read a number grouped with commas the English way."""
    return _words(_read_amount(m.group(0).replace(",", ""), None))


def _decimal(m: re.Match[str]) -> str:
    """Read a decimal comma as "phẩy"."""
    return _words(_read_amount(m.group(1), m.group(2)))


def _dotted(m: re.Match[str]) -> str:
    """Read dots that do not group thousands as "chấm"."""
    return _words(" chấm ".join(_read_code(part) for part in m.group(0).split(".")))


def _integer(m: re.Match[str]) -> str:
    """Read a plain run of digits."""
    return _words(_read_code(m.group(0)))


def _symbol(m: re.Match[str]) -> str:
    """Say "&"."""
    return " và "


def _drop(m: re.Match[str]) -> str:
    """Remove the match."""
    return ""


def _space(m: re.Match[str]) -> str:
    """Replace the match by a space."""
    return " "


# A number must not be cut out of a longer one: no digit, "." or "," just before, and no digit
# (possibly after one "." or ",") just after.
_NOT_AFTER_NUMBER = r"(?<![\d.,])"
_NOT_BEFORE_NUMBER = r"(?![.,]?\d)"


def _rule(name: str, pattern: str, replace: Callable[[re.Match[str]], str]) -> Rule:
    """Compile a named rule."""
    return Rule(name, re.compile(pattern), replace)


_RULES_BEFORE_LEXICON: tuple[Rule, ...] = (
    _rule(
        "phone_keyword",
        rf"(?<!\w)((?i:{_PHONE_WORDS})(?:\s+(?i:số))?\s*:?\s*)({_PHONE_LIST})(?!\d)",
        _phone_keyword,
    ),
    _rule(
        "phone_number",
        r"(?<![\w.,+])(?:\+84[ .\-]?|0)\d{2,4}([ .\-]?)\d{3,4}\1\d{3,4}(?![.,\-]?\d)",
        _phone_number,
    ),
    _rule(
        "phone_tollfree",
        r"(?<![\w.,])1[89]00([ .]?)\d{3,4}(?:\1\d{2,4})?(?![.,]?\d)",
        _phone_tollfree,
    ),
    _rule(
        "standard",
        rf"(?<!\w)((?:ISO|TCVN|QCVN)(?:\s+ISO)?)\s+(\d+)(?:\s*:\s*(\d{{4}}))?(?:/{_SYMBOL})?(?!\w)",
        _standard,
    ),
    _rule(
        "document_number",
        rf"(?<![\w/.,\-])(\d{{1,5}})(?:/(\d{{4}}))?/({_SYMBOL})(?!\w)",
        _document_number,
    ),
    _rule(
        "party_document",
        rf"(?<![\w/.,\-])(\d{{1,5}})-([{_UP}]{{2,}})/({_SYMBOL})(?!\w)",
        _party_document,
    ),
)

_RULES_AFTER_LEXICON: tuple[Rule, ...] = (
    _rule(
        "quarter",
        r"(?<!\w)((?i:quý))\s+(IV|I{1,3}|[1-4])(?:\s*/\s*(\d{4}))?(?![\w/])",
        _quarter,
    ),
    _rule(
        "roman_heading",
        rf"(?<!\w)((?i:{_HEADINGS}))\s+({_ROMAN_TOKEN})(?!\w)",
        _roman_heading,
    ),
    _rule("roman_line", r"^(\s*)([IVXL]+)(?=[.)](?:\s|$))", _roman_line),
    _rule(
        "ordinal",
        rf"(?<!\w)((?i:thứ))\s+(\d{{1,3}}|{_ROMAN_TOKEN})"
        rf"(?:\s*[-–]\s*(?:(?i:thứ)\s+)?(\d{{1,3}}|{_ROMAN_TOKEN}))?(?![\w/]|[.,:]\d)",
        _ordinal,
    ),
    _rule(
        "range",
        rf"(?<![\w/.,:\-])({_RANGE_TOKEN})(%?)\s*[-–—]\s*({_RANGE_TOKEN})(?![/.,:\-]?\d)",
        _range,
    ),
    _rule(
        "date_dmy",
        r"(?<![\w/.,\-])(?:((?i:ngày|mùng|mồng))\s+)?(\d{1,2})([/.\-])(\d{1,2})\3(\d{4})"
        r"(?![\w/]|[.,\-]?\d)",
        _date_dmy,
    ),
    _rule(
        "date_my",
        r"(?<![\w/.,\-])(?:((?i:tháng|số))\s+)?(\d{1,5})/(\d{4})(?![\w/]|[.,\-]?\d)",
        _date_my,
    ),
    _rule(
        "date_dm",
        rf"(?<![\w/.,\-])(?:((?i:ngày|mùng|mồng|{_ADDRESS_WORDS}))\s+)?(\d{{1,2}})/(\d{{1,2}})"
        r"(?![\w/]|[.,\-]?\d)(?=(\s+(?i:số)(?!\w))?)",
        _date_dm,
    ),
    _rule("month", r"(?<!\w)((?i:tháng))\s+(\d{1,2})(?![\w/]|[.,]\d)", _month_word),
    _rule(
        "time_h",
        r"(?<![\w.,:])(\d{1,3})(?:[hH]|g(?=\d{2}))"
        r"(?:(\d{2})(?:\s*(?i:phút)(?!\w)|ph(?!\w)|p(?!\w)|')?)?(?!\w)",
        _time_h,
    ),
    _rule("time_colon", r"(?<![\w.,:])(\d{1,2}):(\d{2})(?!\w|[:.,]\d)", _time_colon),
    _rule(
        "zero_minutes",
        r"(?<=\d giờ)\s+00(?:\s+(?i:phút))?(?!\w|[.,]?\d)",
        _drop,
    ),
    _rule("units", rf"(?<=\d)\s*({_UNIT_ALTERNATION})(?!\w)", _unit),
    _rule(
        "per_unit",
        rf"(?<![\w/])([^\W\d_]+)\s*/\s*(?:({_PER_UNIT_ALTERNATION})(?!\w)|([^\W\d_]+))",
        _per_unit,
    ),
    # "COVID-19", "Su-30": a dash between a word and a number is part of a name, not a minus.
    _rule("name_dash", r"(?<=[^\W\d_])-(?=\d)", _space),
    _rule("negative", r"(?<![\w)\].,/%])[-−](?=\d)", _negative),
    _rule(
        "thousands",
        rf"{_NOT_AFTER_NUMBER}(\d{{1,3}}(?:\.\d{{3}})+)(?:,(\d+))?{_NOT_BEFORE_NUMBER}",
        _thousands,
    ),
    _rule(
        "thousands_comma",
        rf"{_NOT_AFTER_NUMBER}\d{{1,3}}(?:,\d{{3}}){{2,}}{_NOT_BEFORE_NUMBER}",
        _thousands_comma,
    ),
    _rule("decimal", rf"{_NOT_AFTER_NUMBER}(\d+),(\d+){_NOT_BEFORE_NUMBER}", _decimal),
    _rule("dotted", rf"{_NOT_AFTER_NUMBER}\d+(?:\.\d+)+{_NOT_BEFORE_NUMBER}", _dotted),
    _rule("integer", r"\d+", _integer),
    _rule("symbols", r"&", _symbol),
)


def rules(lexicon: Mapping[str, str] | None = None) -> tuple[Rule, ...]:
    """Return the rules `normalize` applies, in order, for the given abbreviation lexicon."""
    table = ABBREVIATIONS if lexicon is None else lexicon
    # Entries typed by staff may carry stray spaces or line breaks; neither belongs in a key,
    # and a line break in a value would split the output line.
    entries = tuple(
        sorted(
            (unicodedata.normalize("NFC", k.strip()), " ".join(v.split()))
            for k, v in table.items()
            if k.strip()
        )
    )
    return (
        _address_rule(entries), *_RULES_BEFORE_LEXICON, _abbreviation_rule(entries),
        *_RULES_AFTER_LEXICON,
    )  # fmt: skip


_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,!?;:…)\]])")
_SPACE_AFTER_OPEN = re.compile(r"([(\[])\s+")


def _ascii_digits(text: str) -> str:
    """Map other decimal digits (full-width, Arabic-Indic...) to ASCII so \\d means 0-9."""
    return "".join(
        str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in text
    )


def _normalize_line(line: str, pipeline: tuple[Rule, ...]) -> str:
    """Normalize one line of text (no "\\n" inside)."""
    line = _ascii_digits(_INVISIBLE.sub("", _LINE_BREAKS.sub(" ", line)))
    for rule in pipeline:
        line = rule.apply(line)
    # str.split() also splits on every character splitlines() breaks on, so a line stays one.
    line = " ".join(line.split())
    line = _SPACE_BEFORE_PUNCT.sub(r"\1", line)
    return _SPACE_AFTER_OPEN.sub(r"\1", line)


def normalize(text: str, lexicon: Mapping[str, str] | None = None) -> str:
    """Return the spoken form of text, line by line; lexicon defaults to ABBREVIATIONS."""
    pipeline = rules(lexicon)
    text = unicodedata.normalize("NFC", text)
    return "\n".join(_normalize_line(line, pipeline) for line in text.split("\n"))
