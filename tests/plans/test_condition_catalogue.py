"""Issue 9: the condition catalogue is built from public sources and cites them; templates cover
what their platforms covered; childhood illnesses need the plan's age limit."""

from __future__ import annotations

import pytest

from huzhu.domain.errors import InvalidInput
from huzhu.domain.plan_rules import Category, Condition, Cover, Severity, Source
from huzhu.plans.loader import TEMPLATE_IDS, checked_catalogue, load_catalogue, load_template

# The Insurance Association of China's 2020 standard: 28 severe conditions and 3 mild ones.
IAC_SEVERE = [
    "恶性肿瘤——重度", "较重急性心肌梗死", "严重脑中风后遗症", "重大器官移植术或造血干细胞移植术",
    "冠状动脉搭桥术", "严重慢性肾衰竭", "多个肢体缺失", "急性重症肝炎或亚急性重症肝炎",
    "严重非恶性颅内肿瘤", "严重慢性肝衰竭", "严重脑炎后遗症或严重脑膜炎后遗症", "深度昏迷",
    "双耳失聪", "双目失明", "瘫痪", "心脏瓣膜手术", "严重阿尔茨海默病", "严重脑损伤",
    "严重原发性帕金森病", "严重Ⅲ度烧伤", "严重特发性肺动脉高压", "严重运动神经元病",
    "语言能力丧失", "重型再生障碍性贫血", "主动脉手术", "严重慢性呼吸衰竭", "严重克罗恩病",
    "严重溃疡性结肠炎",
]  # fmt: skip
IAC_MILD = ["恶性肿瘤——轻度", "较轻急性心肌梗死", "轻度脑中风后遗症"]
CRITICAL_PLANS = [
    t for t in TEMPLATE_IDS if Category.CRITICAL_ILLNESS in load_template(t).cover.categories
]


def test_the_2020_standard_is_in_the_catalogue_and_cited() -> None:
    catalogue = load_catalogue()
    by_name = {c.zh: c for c in catalogue.conditions.values()}
    assert len(IAC_SEVERE) == 28 and len(set(IAC_SEVERE)) == 28
    for name in IAC_SEVERE + IAC_MILD:
        assert name in by_name, name
        assert by_name[name].source == "iac-2020"
    for name in IAC_MILD:
        assert by_name[name].severity is Severity.MILD
    source = catalogue.sources["iac-2020"]
    assert "2020年修订版" in source.title and source.url


def test_every_condition_has_a_code_names_a_category_and_a_listed_source() -> None:
    catalogue = load_catalogue()
    for code, c in catalogue.conditions.items():
        assert code == c.code and c.zh.strip() and c.en.strip()
        assert c.source in catalogue.sources, code
    # Every listed source is cited by some entry (a source nobody cites is a stale citation).
    assert {c.source for c in catalogue.conditions.values()} == set(catalogue.sources)


def test_an_entry_without_a_listed_source_is_refused() -> None:
    iac = Source(id="iac-2020", title="the 2020 standard")
    ok = Condition(code="CI-90", zh="测试", en="test", category=Category.CRITICAL_ILLNESS)
    with pytest.raises(InvalidInput) as err:
        checked_catalogue([ok], [iac])
    assert err.value.field == "condition.source"
    cited = ok.model_copy(update={"source": "iac-2020"})
    assert checked_catalogue([cited], [iac]).conditions == {"CI-90": cited}
    with pytest.raises(InvalidInput, match="listed twice"):
        checked_catalogue([cited, cited], [iac])


@pytest.mark.parametrize("plan_id", CRITICAL_PLANS)
def test_critical_illness_templates_cover_the_28_severe_conditions(plan_id: str) -> None:
    plan = load_template(plan_id)
    by_name = {c.zh: c for c in load_catalogue().conditions.values()}
    for name in [*IAC_SEVERE, "恶性肿瘤——轻度"]:
        assert plan.cover.covers(by_name[name]), (plan_id, name)
    # The two mild non-cancer conditions are not paid where no source says the plan paid them.
    assert not plan.cover.covers(by_name["较轻急性心肌梗死"])
    assert any("CI-28" in a for a in plan.assumptions)


def test_a_plan_covering_childhood_illness_must_set_its_age() -> None:
    with pytest.raises(ValueError, match="childhood_max_age_years"):
        Cover(categories=(Category.CHILDHOOD_ILLNESS,))
    cover = Cover(categories=(Category.CHILDHOOD_ILLNESS,), childhood_max_age_years=14)
    polio = load_catalogue().get("CH-04")
    assert (cover.too_old_for(polio, 13), cover.too_old_for(polio, 14)) == (False, True)
