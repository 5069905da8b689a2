"""Identity documents, ages and the masking used when cases are published.

Members are mostly identified by the mainland resident ID number (GB 11643-1999), which already
carries the birth date and sex that decide eligibility and the payout band, so those are derived
from the number rather than trusted from a form. Other documents carry no such data, so for them
the birth date and sex must be supplied.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from operator import mul
from types import MappingProxyType

from huzhu.domain.errors import InvalidInput


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"


class DocumentType(StrEnum):
    RESIDENT_ID = "resident-id"
    PASSPORT = "passport"
    HK_MACAO_PERMIT = "hk-macao-permit"
    TAIWAN_PERMIT = "taiwan-permit"
    FOREIGN_PERMANENT_RESIDENT = "foreign-permanent-resident"


@dataclass(frozen=True)
class IdentityDocument:
    type: DocumentType
    number: str
    birth_date: date
    sex: Sex
    province_code: str | None = None


PROVINCES: Mapping[str, tuple[str, str]] = MappingProxyType({
    "11": ("北京", "Beijing"), "12": ("天津", "Tianjin"), "13": ("河北", "Hebei"),
    "14": ("山西", "Shanxi"), "15": ("内蒙古", "Inner Mongolia"), "21": ("辽宁", "Liaoning"),
    "22": ("吉林", "Jilin"), "23": ("黑龙江", "Heilongjiang"), "31": ("上海", "Shanghai"),
    "32": ("江苏", "Jiangsu"), "33": ("浙江", "Zhejiang"), "34": ("安徽", "Anhui"),
    "35": ("福建", "Fujian"), "36": ("江西", "Jiangxi"), "37": ("山东", "Shandong"),
    "41": ("河南", "Henan"), "42": ("湖北", "Hubei"), "43": ("湖南", "Hunan"),
    "44": ("广东", "Guangdong"), "45": ("广西", "Guangxi"), "46": ("海南", "Hainan"),
    "50": ("重庆", "Chongqing"), "51": ("四川", "Sichuan"), "52": ("贵州", "Guizhou"),
    "53": ("云南", "Yunnan"), "54": ("西藏", "Tibet"), "61": ("陕西", "Shaanxi"),
    "62": ("甘肃", "Gansu"), "63": ("青海", "Qinghai"), "64": ("宁夏", "Ningxia"),
    "65": ("新疆", "Xinjiang"), "71": ("台湾", "Taiwan"), "81": ("香港", "Hong Kong"),
    "82": ("澳门", "Macau"),
})  # fmt: skip

EARLIEST_BIRTH_DATE = date(1900, 1, 1)

_FIELD = "id_number"
# ISO 7064 MOD 11-2: weight of position i is 2**(17 - i) mod 11; the remainder indexes _CHECK_CHARS.
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
# Summing over the ASCII codes and subtracting the weighted '0's once is several times faster than
# int() per character, which matters when millions of synthetic members are generated.
_ZERO_OFFSET = ord("0") * sum(_WEIGHTS)
_CHECK_CHARS = "10X98765432"
# ASCII only: str.isdigit() would also accept full-width and other Unicode digits.
_RESIDENT_ID_RE = re.compile(r"[0-9]{17}[0-9X]")
_DOCUMENT_NUMBER_RE = re.compile(r"[A-Z0-9]{5,20}")
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


def province_name(code: str, *, english: bool = False) -> str:
    """Name of a province-level region by its 2-digit code; KeyError if the code is unknown."""
    try:
        zh, en = PROVINCES[code]
    except KeyError:
        raise KeyError(f"unknown province code {code!r}") from None
    return en if english else zh


def resident_id_check_char(first17: str) -> str:
    """The check character for the first 17 digits of a resident ID number."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"expected 17 ASCII digits, got {first17!r}")
    total = sum(map(mul, first17.encode("ascii"), _WEIGHTS)) - _ZERO_OFFSET
    return _CHECK_CHARS[total % 11]


def _bad_number(code: str, message: str) -> InvalidInput:
    return InvalidInput(message, code=code, field=_FIELD)


def parse_resident_id(number: str, *, today: date | None = None) -> IdentityDocument:
    """Validate a resident ID number and derive its birth date, sex and province."""
    normalised = number.strip().upper()
    if len(normalised) != 18:
        hint = (
            " (15-digit first-generation numbers are not accepted)" if len(normalised) == 15 else ""
        )
        raise _bad_number(
            "id-number-malformed",
            f"a resident ID number has 18 characters, got {len(normalised)}{hint}",
        )
    if not _RESIDENT_ID_RE.fullmatch(normalised):
        raise _bad_number(
            "id-number-malformed", "a resident ID number is 17 digits followed by a digit or X"
        )

    province = normalised[:2]
    if province not in PROVINCES:
        raise _bad_number(
            "id-number-region",
            f"region code {normalised[:6]} does not start with a known province code",
        )

    raw_birth = normalised[6:14]
    try:
        birth = date(int(raw_birth[:4]), int(raw_birth[4:6]), int(raw_birth[6:]))
    except ValueError:
        raise _bad_number(
            "id-number-birth-date", f"birth date {raw_birth} is not a real calendar date"
        ) from None
    today = today or date.today()
    if birth > today:
        raise _bad_number(
            "id-number-birth-date", f"birth date {birth.isoformat()} is in the future"
        )
    if birth < EARLIEST_BIRTH_DATE:
        raise _bad_number(
            "id-number-birth-date",
            f"birth date {birth.isoformat()} is before {EARLIEST_BIRTH_DATE.isoformat()}",
        )

    expected = resident_id_check_char(normalised[:17])
    if normalised[17] != expected:
        raise _bad_number(
            "id-number-check-digit", f"check digit should be {expected}, got {normalised[17]}"
        )

    sex = Sex.MALE if int(normalised[16]) % 2 else Sex.FEMALE
    return IdentityDocument(DocumentType.RESIDENT_ID, normalised, birth, sex, province)


def _coerce_doc_type(doc_type: DocumentType | str) -> DocumentType:
    if isinstance(doc_type, DocumentType):
        return doc_type
    try:
        return DocumentType(doc_type.strip().lower().replace("_", "-"))
    except ValueError:
        known = ", ".join(t.value for t in DocumentType)
        raise InvalidInput(
            f"unknown document type {doc_type!r}; expected one of {known}",
            code="unknown-document-type",
            field="id_type",
        ) from None


def _coerce_sex(sex: Sex | str) -> Sex:
    if isinstance(sex, Sex):
        return sex
    value = sex.strip().upper()
    aliases = {"M": Sex.MALE, "MALE": Sex.MALE, "男": Sex.MALE}
    aliases |= {"F": Sex.FEMALE, "FEMALE": Sex.FEMALE, "女": Sex.FEMALE}
    if value not in aliases:
        raise InvalidInput(f"sex should be M or F, got {sex!r}", code="sex-invalid", field="sex")
    return aliases[value]


def parse_document(
    doc_type: DocumentType | str,
    number: str,
    *,
    birth_date: date | None = None,
    sex: Sex | str | None = None,
    today: date | None = None,
) -> IdentityDocument:
    """Validate any accepted identity document.

    For a resident ID the number is the authority: a birth date or sex typed on a form that
    disagrees with it is refused rather than silently overridden, since it usually means the
    number belongs to someone else.
    """
    kind = _coerce_doc_type(doc_type)
    given_sex = None if sex is None else _coerce_sex(sex)

    if kind is DocumentType.RESIDENT_ID:
        doc = parse_resident_id(number, today=today)
        if birth_date is not None and birth_date != doc.birth_date:
            raise InvalidInput(
                f"birth date {birth_date.isoformat()} does not match the ID number, "
                f"which gives {doc.birth_date.isoformat()}",
                code="id-number-mismatch",
                field="birth_date",
            )
        if given_sex is not None and given_sex is not doc.sex:
            raise InvalidInput(
                f"sex {given_sex.value} does not match the ID number, which gives {doc.sex.value}",
                code="id-number-mismatch",
                field="sex",
            )
        return doc

    if birth_date is None:
        raise InvalidInput(
            f"a birth date is required for a {kind.value} document",
            code="missing-field",
            field="birth_date",
        )
    if given_sex is None:
        raise InvalidInput(
            f"sex is required for a {kind.value} document", code="missing-field", field="sex"
        )
    normalised = number.strip().upper()
    if not _DOCUMENT_NUMBER_RE.fullmatch(normalised):
        raise InvalidInput(
            f"a {kind.value} number is 5 to 20 letters A-Z or digits, got {number!r}",
            code="document-number-malformed",
            field="id_number",
        )
    today = today or date.today()
    if not EARLIEST_BIRTH_DATE <= birth_date <= today:
        raise InvalidInput(
            f"birth date {birth_date.isoformat()} must be between "
            f"{EARLIEST_BIRTH_DATE.isoformat()} and today",
            code="birth-date-out-of-range",
            field="birth_date",
        )
    return IdentityDocument(kind, normalised, birth_date, given_sex, None)


def make_resident_id(region_code: str, birth_date: date, sequence: int) -> str:
    """Build a valid resident ID number; an odd sequence gives a man, an even one a woman."""
    if len(region_code) != 6 or not region_code.isascii() or not region_code.isdigit():
        raise ValueError(f"region code must be 6 digits, got {region_code!r}")
    if region_code[:2] not in PROVINCES:
        raise ValueError(f"region code {region_code} has no known province code")
    if not 0 <= sequence <= 999:
        raise ValueError(f"sequence must be 0-999, got {sequence}")
    if birth_date < EARLIEST_BIRTH_DATE:
        raise ValueError(f"birth date {birth_date.isoformat()} is before 1900")
    # Explicit fields rather than strftime, which is several times slower.
    b = birth_date
    first17 = f"{region_code}{b.year:04d}{b.month:02d}{b.day:02d}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


def mask_name(name: str) -> str:
    """Mask a name for public announcements, as the real plans published cases (吴*漫)."""
    name = name.strip()
    if _CJK_RE.search(name):
        if len(name) <= 1:
            return "*" * len(name)
        if len(name) == 2:
            return name[0] + "*"
        return name[0] + "*" * (len(name) - 2) + name[-1]
    return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())


def mask_id_number(number: str) -> str:
    """Keep the first 4 and last 4 characters of an ID number, mask the rest.

    Short document numbers keep fewer characters, so that at least half is always hidden.
    """
    number = number.strip()
    keep = min(4, len(number) // 4)
    if keep == 0:
        return "*" * len(number)
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[-keep:]


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678; a country prefix such as +86 stays visible."""
    phone = phone.strip()
    if len(phone) >= 11:
        return phone[:-8] + "****" + phone[-4:]
    # Not a mainland mobile number: keeping 3 + 4 of it would reveal most of it, so keep only 2.
    if len(phone) <= 4:
        return "*" * len(phone)
    return "*" * (len(phone) - 2) + phone[-2:]


def age_on(birth_date: date, day: date) -> int:
    """Completed years at `day`.

    Someone born on 29 February turns a year older on 1 March in non-leap years, so an age limit
    is never reached before the person has really lived that many years.
    """
    if day < birth_date:
        raise ValueError(f"{day.isoformat()} is before the birth date {birth_date.isoformat()}")
    birthday = (birth_date.month, birth_date.day)
    if birthday == (2, 29) and not _is_leap(day.year):
        birthday = (3, 1)
    years = day.year - birth_date.year
    if (day.month, day.day) < birthday:
        years -= 1
    return years


def age_in_days(birth_date: date, day: date) -> int:
    """Days since birth; the unit for minimum ages such as "30 days"."""
    if day < birth_date:
        raise ValueError(f"{day.isoformat()} is before the birth date {birth_date.isoformat()}")
    return (day - birth_date).days


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
