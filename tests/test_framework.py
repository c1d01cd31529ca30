"""The framework file holds the seed's themes and measures, and a broken file is refused by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.core.errors import FrameworkError, UserError
from pipeline.core.framework import load_framework, load_proxies, parse_framework

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORK = ROOT / "data" / "reference" / "framework.yaml"

# Every measure of the seed, copied by hand from ../shared/seeds/000_3b4e410626605897.txt, with the
# id it must have: theme code and position in the seed's list for that theme. CS2-09 is the
# measure the page cut split ("...in the" + "local supply chain (i.e. within Thurrock)"), and
# CS2-10 is the Economic measure that ran on into the Environmental cell.
SEED_MEASURES = {
    "CS1-01": "Increase in the number of voluntary organisations supported year on year by x",
    "CS1-02": "Increasing volunteering by x% year on year (corporate and community)",
    "CS1-03": "Contribution of x hours of support to community and voluntary organisations "
    "through employer supported volunteering schemes",
    "CS1-04": "Deliver x number of services on a localised basis reducing the average miles "
    "travelled by/to x",
    "CS1-05": "Work with x number of service users to design /deliver the service",
    "CS1-06": "X% of social care users supported to live independently",
    "CS1-07": "Reduce the number of 16-19 year olds not in education, employment or training",
    "CS2-01": "Pay our staff the living wage",
    "CS2-02": "Increasing the % of Council spend with Thurrock businesses",
    "CS2-03": "Supporting local VCFS through the supply chain by spending x% of total "
    "expenditure with voluntary and community sector providers in Thurrock",
    "CS2-04": "Support x business start ups per annum",
    "CS2-05": "Bring x new business investment into Thurrock",
    "CS2-06": "Create x number of apprenticeships (corporate and community)",
    "CS2-07": "Support x number of people back to work through targeted activities/initiatives",
    "CS2-08": "Secure x amount of investment to, or in kind contributions to x number of "
    "community programmes",
    "CS2-09": "Support the local economy by spending x% of total expenditure in the local "
    "supply chain (i.e. within Thurrock)",
    "CS2-10": "Number of businesses ceasing to trade to be lower than national average",
    "CS3-01": "Employ x number of xxx or groups who traditionally face additional challenges "
    "in competing in the labour market",
    "CS3-02": "Deliver x number of events to build community cohesion",
    "CS3-03": "Deliver X initiatives/campaigns to foster good relations in Thurrock",
    "CS4-01": "Support x number of service users into work experience/paid work/training",
    "CS4-02": "Support x number of service users to engage in volunteering?",
    "CS4-03": "Support x number of residential social care users to live independently",
    "CS4-04": "Co-ordinate and deliver x number of community befriending schemes e.g. building "
    "on the work of community connectors/local area co-ordinators/community builders",
    "CS5-01": "Reduce carbon emissions by xxx",
    "CS5-02": "Support x number of households to better manage their energy demands through "
    "improvements in the fabric of their homes, bringing them out of fuel poverty and "
    "contributing to climate change goals",
    "CS5-03": "Increase visitors to riverside and green space in Thurrock by x%",
}

SEED_THEMES = {
    "CS1": ("Social", "Create a great place for learning and opportunity", 3),
    "CS2": ("Economic", "Encourage and promote job creation and economic prosperity", 4),
    "CS3": ("Equality", "Build pride, responsibility and respect to create safer communities", 3),
    "CS4": ("Compassion", "Improve health and well-being", 1),
    "CS5": ("Environmental", "Protect and promote our clean and green environment", 2),
}


@pytest.fixture(scope="module")
def framework():
    return load_framework(FRAMEWORK)


def test_every_seed_measure_is_present_with_its_id_and_exact_text(framework) -> None:
    found = {m.id: m.text for m in framework.measures}
    assert {mid: found.get(mid) for mid in SEED_MEASURES} == SEED_MEASURES


def test_measures_are_listed_in_the_seeds_order_within_each_theme(framework) -> None:
    # A council adds a measure by appending it to its theme (docs/framework.md), so the seed's
    # measures always come first, in the seed's order, in every theme.
    for theme in framework.themes:
        seed_ids = [mid for mid in SEED_MEASURES if mid.startswith(theme.code + "-")]
        assert [m.id for m in theme.measures[: len(seed_ids)]] == seed_ids
    assert framework.measure("CS2-06").short == "Apprenticeships created"
    assert framework.measure("CS2-06").position == 6


def test_the_shipped_framework_is_exactly_the_seed(framework) -> None:
    assert len(framework.measures) == 27
    assert [m.id for m in framework.measures] == list(SEED_MEASURES)


def test_themes_have_the_seeds_names_ambitions_and_outcomes(framework) -> None:
    assert [t.code for t in framework.themes] == ["CS1", "CS2", "CS3", "CS4", "CS5"]
    for theme in framework.themes:
        name, ambition, n_outcomes = SEED_THEMES[theme.code]
        assert (theme.name, theme.ambition, len(theme.outcomes)) == (name, ambition, n_outcomes)
    assert framework.theme("CS4").outcomes == (
        "Enabling and supporting individuals and communities to help themselves and one another",
    )
    assert framework.theme("CS2").label == "CS2 Economic"


def test_units_directions_and_rollups_follow_the_measures_meaning(framework) -> None:
    percent = {m.id for m in framework.measures if m.unit == "percent"}
    assert percent == {"CS1-06", "CS2-01", "CS2-02", "CS2-03", "CS2-09"}
    # A percentage across partners is weighted by what it is a percentage of, never summed.
    assert {framework.measure(i).rollup for i in percent} == {"weighted_mean"}
    lower = {m.id for m in framework.measures if m.lower_is_better}
    assert lower == {"CS1-04", "CS1-07", "CS2-10"}
    # Only the council's own spend share is computed from spend data rather than returned.
    assert [m.id for m in framework.measures if m.level == "council"] == ["CS2-02"]


def test_proxy_values_are_attached_with_their_source(framework) -> None:
    with_proxy = {m.id: m.proxy.key for m in framework.measures if m.proxy}
    assert with_proxy == {
        "CS1-02": "volunteering_hour",
        "CS1-03": "volunteering_hour",
        "CS2-05": "pound",
        "CS2-08": "pound",
        "CS5-01": "carbon_tonne",
    }
    assert framework.measure("CS5-01").proxy.gbp_per_unit == 256
    assert "Green Book" in framework.proxies["carbon_tonne"].source


def test_a_proxy_file_overrides_the_default_values(framework, tmp_path: Path) -> None:
    own = tmp_path / "licensed.yaml"
    own.write_text("proxies:\n  volunteering_hour:\n    gbp_per_unit: 20\n    source: our own\n")
    fw = framework.with_proxies(load_proxies(own))
    # 12.5 hours at 20 GBP is 250 GBP; the other proxies are unchanged.
    assert fw.measure("CS1-03").proxy.gbp_per_unit * 12.5 == 250
    assert fw.measure("CS5-01").proxy.gbp_per_unit == 256


# --- broken files ------------------------------------------------------------------------------


def _raw() -> dict[str, Any]:
    return yaml.safe_load(FRAMEWORK.read_text(encoding="utf-8"))


def _load_broken(tmp_path: Path, data: Any) -> str:
    path = tmp_path / "framework.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(FrameworkError) as info:
        load_framework(path)
    message = str(info.value)
    assert "\n" not in message  # one line, for the CLI
    assert isinstance(info.value, UserError)
    return message


def _measure(data: dict[str, Any], theme: str, mid: str) -> dict[str, Any]:
    t = next(t for t in data["themes"] if t["code"] == theme)
    return next(m for m in t["measures"] if m["id"] == mid)


def test_unknown_theme_code_is_refused(tmp_path: Path) -> None:
    data = _raw()
    data["themes"][2]["code"] = "CS10"
    assert "unknown theme code 'CS10'" in _load_broken(tmp_path, data)


def test_measure_listed_under_the_wrong_theme_is_refused(tmp_path: Path) -> None:
    data = _raw()
    _measure(data, "CS3", "CS3-02")["id"] = "CS4-02"
    message = _load_broken(tmp_path, data)
    assert "theme CS3" in message and "unknown theme" in message and "CS4" in message


def test_duplicate_measure_id_is_refused_by_name(tmp_path: Path) -> None:
    data = _raw()
    _measure(data, "CS2", "CS2-07")["id"] = "CS2-06"
    message = _load_broken(tmp_path, data)
    assert "CS2-06" in message and "duplicate id" in message


def test_duplicate_theme_is_refused(tmp_path: Path) -> None:
    data = _raw()
    data["themes"].append(data["themes"][0])
    assert "duplicate theme code CS1" in _load_broken(tmp_path, data)


def test_missing_unit_is_refused_naming_the_measure(tmp_path: Path) -> None:
    data = _raw()
    del _measure(data, "CS5", "CS5-02")["unit"]
    message = _load_broken(tmp_path, data)
    assert "CS5-02" in message and "missing unit" in message


def test_unknown_unit_direction_and_rollup_are_refused(tmp_path: Path) -> None:
    for key, bad, expected in (
        ("unit", "kg", "unknown unit 'kg'"),
        ("direction", "up", "direction must be 'higher' or 'lower'"),
        ("rollup", "median", "rollup must be one of"),
    ):
        data = _raw()
        _measure(data, "CS1", "CS1-01")[key] = bad
        message = _load_broken(tmp_path, data)
        assert "CS1-01" in message and expected in message


def test_out_of_order_id_is_refused(tmp_path: Path) -> None:
    data = _raw()
    measures = next(t for t in data["themes"] if t["code"] == "CS4")["measures"]
    measures[1], measures[2] = measures[2], measures[1]  # CS4-03 now in second place
    message = _load_broken(tmp_path, data)
    assert "CS4-03" in message and "out of order" in message and "CS4-02" in message


def test_malformed_id_is_refused(tmp_path: Path) -> None:
    data = _raw()
    _measure(data, "CS1", "CS1-01")["id"] = "CS1-1"
    assert "id must look like CS<n>-<nn>" in _load_broken(tmp_path, data)


def test_unknown_proxy_is_refused(tmp_path: Path) -> None:
    data = _raw()
    _measure(data, "CS2", "CS2-06")["proxy"] = "apprentice_year"
    message = _load_broken(tmp_path, data)
    assert "CS2-06" in message and "unknown proxy 'apprentice_year'" in message


def test_bad_proxy_value_is_refused(tmp_path: Path) -> None:
    data = _raw()
    data["proxies"]["pound"]["gbp_per_unit"] = "one"
    assert "proxy 'pound'" in _load_broken(tmp_path, data)


def test_measure_without_text_is_refused(tmp_path: Path) -> None:
    data = _raw()
    _measure(data, "CS3", "CS3-01")["text"] = "  "
    assert "CS3-01: missing text" in _load_broken(tmp_path, data)


def test_theme_without_outcomes_or_measures_is_refused(tmp_path: Path) -> None:
    data = _raw()
    data["themes"][0]["outcomes"] = []
    assert "theme CS1: missing outcomes" in _load_broken(tmp_path, data)
    data = _raw()
    data["themes"][4]["measures"] = []
    assert "theme CS5: missing measures" in _load_broken(tmp_path, data)


def test_bad_yaml_is_refused_with_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "framework.yaml"
    path.write_text("themes:\n  - code: CS1\n    name: [Social\n", encoding="utf-8")
    with pytest.raises(FrameworkError) as info:
        load_framework(path)
    # One line, naming the file and where in it the syntax breaks.
    assert str(info.value).startswith(f"{path}: not valid YAML (line 4, column 1: ")
    assert "\n" not in str(info.value)


def test_missing_file_and_wrong_top_level_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FrameworkError, match="framework file not found"):
        load_framework(tmp_path / "nope.yaml")
    with pytest.raises(FrameworkError, match="expected a mapping with 'themes'"):
        parse_framework(["CS1"])
    with pytest.raises(FrameworkError, match="missing themes"):
        parse_framework({"name": "x"})


def test_a_council_can_append_a_measure_without_code(tmp_path: Path) -> None:
    data = _raw()
    next(t for t in data["themes"] if t["code"] == "CS5")["measures"].append(
        {
            "id": "CS5-04",
            "text": "Plant x trees in Thurrock",
            "unit": "count",
            "direction": "higher",
            "rollup": "sum",
        }
    )
    path = tmp_path / "framework.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    fw = load_framework(path)
    assert len(fw.measures) == 28
    added = fw.measure("CS5-04")
    assert (added.theme, added.short, added.level, added.proxy) == (
        "CS5",
        "Plant x trees in Thurrock",
        "partner",
        None,
    )
