from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huzhu.domain.errors import InvalidInput
from huzhu.domain.identity import (
    PROVINCES,
    DocumentType,
    IdentityDocument,
    Sex,
    age_in_days,
    age_on,
    make_resident_id,
    mask_id_number,
    mask_name,
    mask_phone,
    parse_document,
    parse_resident_id,
    province_name,
    resident_id_check_char,
)

TODAY = date(2025, 6, 1)
# The two examples printed in GB 11643-1999 itself.
STANDARD_FEMALE = "11010519491231002X"
STANDARD_MALE = "440524188001010014"


def with_check_char(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


def invalid(exc: pytest.ExceptionInfo[InvalidInput]) -> tuple[str, str | None]:
    return exc.value.code, exc.value.field


# --- resident ID numbers -------------------------------------------------------------------------


def test_check_char_matches_the_standard_examples() -> None:
    assert resident_id_check_char(STANDARD_FEMALE[:17]) == "X"
    assert resident_id_check_char(STANDARD_MALE[:17]) == "4"


# Weights and check characters as tabulated in GB 11643-1999, written out independently of the
# module's formula so that a wrong table there cannot also be wrong here.
GB_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
GB_CHECK = {0: "1", 1: "0", 2: "X", 3: "9", 4: "8", 5: "7", 6: "6", 7: "5", 8: "4", 9: "3", 10: "2"}


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_char_matches_the_tabulated_algorithm(first17: str) -> None:
    remainder = sum(int(c) * w for c, w in zip(first17, GB_WEIGHTS, strict=True)) % 11
    assert resident_id_check_char(first17) == GB_CHECK[remainder]


def test_every_check_char_is_reachable() -> None:
    chars = {resident_id_check_char(f"1101051990010100{d}") for d in range(10)}
    chars |= {resident_id_check_char(f"110105199001010{d}0") for d in range(10)}
    assert chars == set("0123456789X")


def test_check_char_rejects_anything_but_17_digits() -> None:
    for bad in ("1101051949123100", "11010519491231002X", "1101051949123100a"):
        with pytest.raises(ValueError):
            resident_id_check_char(bad)


def test_parse_the_standard_example() -> None:
    doc = parse_resident_id(STANDARD_FEMALE, today=TODAY)
    assert doc == IdentityDocument(
        DocumentType.RESIDENT_ID, STANDARD_FEMALE, date(1949, 12, 31), Sex.FEMALE, "11"
    )


def test_parse_male_born_before_1900_is_refused_but_1880_is_a_real_date() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_resident_id(STANDARD_MALE, today=TODAY)
    assert invalid(exc) == ("id-number-birth-date", "id_number")
    assert "1880-01-01" in exc.value.message


def test_parse_normalises_whitespace_and_lower_case_x() -> None:
    doc = parse_resident_id("  11010519491231002x\n", today=TODAY)
    assert doc.number == STANDARD_FEMALE


def test_sex_comes_from_the_parity_of_the_17th_digit() -> None:
    male = make_resident_id("440524", date(1980, 1, 1), 1)
    female = make_resident_id("440524", date(1980, 1, 1), 0)
    assert parse_resident_id(male, today=TODAY).sex is Sex.MALE
    assert parse_resident_id(female, today=TODAY).sex is Sex.FEMALE


@pytest.mark.parametrize(
    "number",
    [
        "1101051949123100",  # too short
        "11010519491231002XX",  # too long
        "110105194912310",  # 15-digit first-generation number
        "1101051949123100Y",
        "11010519491231002Y",
        "11010519491A31002X",
        "１１010519491231002X",  # full-width digits
        "",
    ],
)
def test_malformed(number: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_resident_id(number, today=TODAY)
    assert invalid(exc) == ("id-number-malformed", "id_number")


def test_fifteen_digit_numbers_get_a_hint() -> None:
    with pytest.raises(InvalidInput, match="15-digit"):
        parse_resident_id("110105491231002", today=TODAY)


@pytest.mark.parametrize("province", ["00", "10", "16", "20", "39", "55", "70", "72", "83", "99"])
def test_unknown_province(province: str) -> None:
    number = with_check_char(province + "0105194912310" + "02")
    with pytest.raises(InvalidInput) as exc:
        parse_resident_id(number, today=TODAY)
    assert invalid(exc) == ("id-number-region", "id_number")


@pytest.mark.parametrize("province", ["71", "81", "82"])
def test_taiwan_hong_kong_macau_codes_are_known(province: str) -> None:
    number = with_check_char(province + "0000" + "19900101" + "123")
    assert parse_resident_id(number, today=TODAY).province_code == province


@pytest.mark.parametrize(
    ("birth", "fragment"),
    [
        ("19490230", "not a real calendar date"),
        ("19491301", "not a real calendar date"),
        ("20230229", "not a real calendar date"),
        ("00000000", "not a real calendar date"),
        ("20250602", "in the future"),
        ("18991231", "before 1900-01-01"),
    ],
)
def test_bad_birth_date(birth: str, fragment: str) -> None:
    number = with_check_char("110105" + birth + "002")
    with pytest.raises(InvalidInput, match=fragment) as exc:
        parse_resident_id(number, today=TODAY)
    assert invalid(exc) == ("id-number-birth-date", "id_number")


def test_born_today_and_on_1900_01_01_are_accepted() -> None:
    for birth in (TODAY, date(1900, 1, 1), date(2024, 2, 29)):
        number = make_resident_id("110105", birth, 7)
        assert parse_resident_id(number, today=TODAY).birth_date == birth


def test_wrong_check_digit_says_what_it_should_be() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_resident_id("110105194912310025", today=TODAY)
    assert invalid(exc) == ("id-number-check-digit", "id_number")
    assert exc.value.message == "check digit should be X, got 5"


@given(position=st.integers(0, 16), delta=st.integers(1, 9))
def test_any_single_digit_typo_is_caught(position: int, delta: int) -> None:
    digits = list(STANDARD_FEMALE)
    digits[position] = str((int(digits[position]) + delta) % 10)
    typo = "".join(digits)
    assert resident_id_check_char(typo[:17]) != typo[17]
    with pytest.raises(InvalidInput):
        parse_resident_id(typo, today=TODAY)


regions = st.builds(
    lambda province, rest: province + f"{rest:04d}",
    st.sampled_from(sorted(PROVINCES)),
    st.integers(0, 9999),
)


@given(
    region=regions,
    birth=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    sequence=st.integers(0, 999),
)
def test_make_then_parse_round_trips(region: str, birth: date, sequence: int) -> None:
    number = make_resident_id(region, birth, sequence)
    assert len(number) == 18
    assert number[:6] == region
    doc = parse_resident_id(number, today=TODAY)
    assert doc.province_code == region[:2]
    assert doc.birth_date == birth
    assert doc.sex is (Sex.MALE if sequence % 2 else Sex.FEMALE)


def test_make_resident_id_builds_the_standard_example() -> None:
    assert make_resident_id("110105", date(1949, 12, 31), 2) == STANDARD_FEMALE


@pytest.mark.parametrize(
    ("region", "birth", "sequence"),
    [
        ("11010", date(1990, 1, 1), 1),
        ("1101051", date(1990, 1, 1), 1),
        ("990105", date(1990, 1, 1), 1),
        ("11a105", date(1990, 1, 1), 1),
        ("110105", date(1990, 1, 1), -1),
        ("110105", date(1990, 1, 1), 1000),
        ("110105", date(1899, 12, 31), 1),
    ],
)
def test_make_resident_id_refuses_bad_parts(region: str, birth: date, sequence: int) -> None:
    with pytest.raises(ValueError):
        make_resident_id(region, birth, sequence)


# --- other documents -----------------------------------------------------------------------------


def test_resident_id_through_parse_document_accepts_matching_details() -> None:
    doc = parse_document(
        "resident-id", STANDARD_FEMALE, birth_date=date(1949, 12, 31), sex="f", today=TODAY
    )
    assert doc.sex is Sex.FEMALE
    assert doc.province_code == "11"


def test_resident_id_birth_date_mismatch() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_document(
            DocumentType.RESIDENT_ID, STANDARD_FEMALE, birth_date=date(1949, 12, 30), today=TODAY
        )
    assert invalid(exc) == ("id-number-mismatch", "birth_date")
    assert "1949-12-31" in exc.value.message


def test_resident_id_sex_mismatch() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_document(DocumentType.RESIDENT_ID, STANDARD_FEMALE, sex=Sex.MALE, today=TODAY)
    assert invalid(exc) == ("id-number-mismatch", "sex")


def test_resident_id_errors_pass_through_parse_document() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_document("resident-id", "110105194912310025", today=TODAY)
    assert exc.value.code == "id-number-check-digit"


def test_passport() -> None:
    doc = parse_document(
        "passport", " e12345678 ", birth_date=date(1985, 3, 2), sex="M", today=TODAY
    )
    assert doc == IdentityDocument(
        DocumentType.PASSPORT, "E12345678", date(1985, 3, 2), Sex.MALE, None
    )


@pytest.mark.parametrize("doc_type", [t for t in DocumentType if t is not DocumentType.RESIDENT_ID])
def test_other_documents_need_birth_date_and_sex(doc_type: DocumentType) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_document(doc_type, "C1234567", sex=Sex.FEMALE, today=TODAY)
    assert invalid(exc) == ("missing-field", "birth_date")
    with pytest.raises(InvalidInput) as exc:
        parse_document(doc_type, "C1234567", birth_date=date(1990, 1, 1), today=TODAY)
    assert invalid(exc) == ("missing-field", "sex")


@pytest.mark.parametrize("number", ["C123", "C" * 21, "C1234-567", "C1234 567", "护照12345"])
def test_other_document_number_malformed(number: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_document("hk-macao-permit", number, birth_date=date(1990, 1, 1), sex="F", today=TODAY)
    assert invalid(exc) == ("document-number-malformed", "id_number")


@pytest.mark.parametrize("number", ["C1234", "C" * 20])
def test_other_document_number_length_limits_are_inclusive(number: str) -> None:
    doc = parse_document("taiwan-permit", number, birth_date=date(1990, 1, 1), sex="F", today=TODAY)
    assert doc.number == number


def test_other_document_birth_date_in_the_future() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_document(
            "passport", "E12345678", birth_date=TODAY + timedelta(days=1), sex="F", today=TODAY
        )
    assert invalid(exc) == ("birth-date-out-of-range", "birth_date")


@pytest.mark.parametrize("doc_type", ["driving-licence", "", "resident"])
def test_unknown_document_type(doc_type: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_document(doc_type, STANDARD_FEMALE, today=TODAY)
    assert invalid(exc) == ("unknown-document-type", "id_type")


def test_invalid_sex_string() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_document("passport", "E12345678", birth_date=date(1990, 1, 1), sex="X")
    assert invalid(exc) == ("sex-invalid", "sex")


# --- masking -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("吴小漫", "吴*漫"),
        ("张三", "张*"),
        ("欧阳小明", "欧**明"),
        ("李", "*"),
        ("John Smith", "J*** S****"),
        ("Mary Ann  Lee", "M*** A** L**"),
        ("A", "A"),
        ("", ""),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_mask_id_number() -> None:
    assert mask_id_number(STANDARD_FEMALE) == "1101**********002X"


@pytest.mark.parametrize("number", ["E12345678", "C1234", "1234", "A1", ""])
def test_mask_short_document_numbers_hides_at_least_half(number: str) -> None:
    masked = mask_id_number(number)
    assert len(masked) == len(number)
    assert masked.count("*") * 2 >= len(number)


def test_mask_phone() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+8613812345678") == "+86138****5678"
    assert mask_phone("85212345") == "******45"


# --- ages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(1990, 6, 15), date(2020, 6, 14), 29),
        (date(1990, 6, 15), date(2020, 6, 15), 30),
        (date(1990, 6, 15), date(1990, 6, 15), 0),
        (date(1990, 12, 31), date(1991, 1, 1), 0),
        (date(2000, 2, 29), date(2001, 2, 28), 0),
        (date(2000, 2, 29), date(2001, 3, 1), 1),
        (date(2000, 2, 29), date(2004, 2, 28), 3),
        (date(2000, 2, 29), date(2004, 2, 29), 4),
        (date(2000, 2, 28), date(2001, 2, 28), 1),
        (date(2000, 3, 1), date(2001, 2, 28), 0),
    ],
)
def test_age_on(birth: date, day: date, age: int) -> None:
    assert age_on(birth, day) == age


def test_age_in_days() -> None:
    assert age_in_days(date(2024, 2, 1), date(2024, 3, 2)) == 30
    assert age_in_days(date(2024, 2, 1), date(2024, 2, 1)) == 0


def test_ages_before_birth_are_refused() -> None:
    with pytest.raises(ValueError):
        age_on(date(2000, 1, 2), date(2000, 1, 1))
    with pytest.raises(ValueError):
        age_in_days(date(2000, 1, 2), date(2000, 1, 1))


# --- provinces -----------------------------------------------------------------------------------


def test_province_codes_are_the_real_list() -> None:
    expected = {
        *map(str, range(11, 16)),
        *map(str, range(21, 24)),
        *map(str, range(31, 38)),
        *map(str, range(41, 47)),
        *map(str, range(50, 55)),
        *map(str, range(61, 66)),
        "71",
        "81",
        "82",
    }
    assert set(PROVINCES) == expected
    assert len(PROVINCES) == 34
    assert len({zh for zh, _ in PROVINCES.values()}) == 34
    assert len({en for _, en in PROVINCES.values()}) == 34


def test_province_name() -> None:
    assert province_name("11") == "北京"
    assert province_name("44") == "广东"
    assert province_name("61", english=True) == "Shaanxi"
    assert province_name("14", english=True) == "Shanxi"
    with pytest.raises(KeyError):
        province_name("99")
