"""Load the Social Values Framework (`data/reference/framework.yaml`) into typed objects.

Everything else in the pipeline reads the framework through this module, so a council edits the
YAML file, not code, to add or change a measure. A broken file is rejected with a message that
names the problem and where it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from pipeline.core.errors import FrameworkError

Direction = Literal["higher", "lower"]
Rollup = Literal["sum", "mean", "weighted_mean"]
Level = Literal["partner", "council"]

UNITS: frozenset[str] = frozenset({"count", "percent", "hours", "GBP", "tCO2e", "miles", "visits"})
DIRECTIONS: frozenset[str] = frozenset({"higher", "lower"})
ROLLUPS: frozenset[str] = frozenset({"sum", "mean", "weighted_mean"})
LEVELS: frozenset[str] = frozenset({"partner", "council"})
THEME_CODE = re.compile(r"^CS[1-9]$")
MEASURE_ID = re.compile(r"^(CS[1-9])-(\d{2})$")

DEFAULT_FRAMEWORK = Path("data/reference/framework.yaml")


@dataclass(frozen=True)
class Proxy:
    """A money value per unit of a measure, with where it comes from."""

    key: str
    gbp_per_unit: float
    source: str
    price_year: int | None = None


@dataclass(frozen=True)
class Measure:
    """One measure of impact, in the seed's words."""

    id: str
    theme: str
    text: str
    short: str
    unit: str
    direction: Direction
    rollup: Rollup
    level: Level = "partner"
    proxy: Proxy | None = None

    @property
    def position(self) -> int:
        """The measure's position (from 1) in the seed's list for its theme."""
        return int(self.id.split("-")[1])

    @property
    def is_percent(self) -> bool:
        return self.unit == "percent"

    @property
    def lower_is_better(self) -> bool:
        return self.direction == "lower"


@dataclass(frozen=True)
class Theme:
    """A community-strategy theme with its ambition, outcomes and measures."""

    code: str
    name: str
    ambition: str
    outcomes: tuple[str, ...]
    measures: tuple[Measure, ...]

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"


@dataclass(frozen=True)
class Framework:
    """The whole framework: themes in code order, measures by id, proxy values."""

    name: str
    council: str
    themes: tuple[Theme, ...]
    proxies: Mapping[str, Proxy] = field(default_factory=dict)
    source_path: str | None = None

    def __iter__(self) -> Iterator[Theme]:
        return iter(self.themes)

    @property
    def measures(self) -> tuple[Measure, ...]:
        return tuple(m for t in self.themes for m in t.measures)

    @property
    def measure_ids(self) -> frozenset[str]:
        return frozenset(m.id for m in self.measures)

    def measure(self, measure_id: str) -> Measure:
        for m in self.measures:
            if m.id == measure_id:
                return m
        raise KeyError(measure_id)

    def theme(self, code: str) -> Theme:
        for t in self.themes:
            if t.code == code:
                return t
        raise KeyError(code)

    def with_proxies(self, proxies: Mapping[str, Proxy]) -> Framework:
        """A copy whose proxy values are overridden by `proxies` (for example a licensed file)."""
        merged = {**self.proxies, **proxies}
        themes = tuple(
            Theme(
                t.code,
                t.name,
                t.ambition,
                t.outcomes,
                tuple(
                    Measure(
                        m.id,
                        m.theme,
                        m.text,
                        m.short,
                        m.unit,
                        m.direction,
                        m.rollup,
                        m.level,
                        merged.get(m.proxy.key, m.proxy) if m.proxy else m.proxy,
                    )
                    for m in t.measures
                ),
            )
            for t in self.themes
        )
        return Framework(self.name, self.council, themes, merged, self.source_path)


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML syntax error in one line, with where it is: `line 3, column 11: expected ','`."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return where + " ".join(str(problem).split())


def _fail(where: str, problem: str) -> FrameworkError:
    return FrameworkError(f"{where}: {problem}")


def _text(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _fail(where, f"missing {key}")
    if not isinstance(value, str):
        raise _fail(where, f"{key} must be text, got {value!r}")
    return " ".join(value.split())


def _parse_proxies(raw: Any, where: str) -> dict[str, Proxy]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _fail(where, "proxies must be a mapping of key to {gbp_per_unit, source}")
    proxies: dict[str, Proxy] = {}
    for key, spec in raw.items():
        pw = f"{where}: proxy {key!r}"
        if not isinstance(spec, Mapping):
            raise _fail(pw, "must be a mapping with gbp_per_unit and source")
        value = spec.get("gbp_per_unit")
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise _fail(pw, f"gbp_per_unit must be a non-negative number, got {value!r}")
        year = spec.get("price_year")
        if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
            raise _fail(pw, f"price_year must be a year, got {year!r}")
        proxies[str(key)] = Proxy(str(key), float(value), _text(spec, "source", pw), year)
    return proxies


def parse_framework(data: Any, where: str = "framework") -> Framework:
    """Build a `Framework` from already-parsed YAML, checking every rule."""
    if not isinstance(data, Mapping):
        raise _fail(where, "expected a mapping with 'themes' at the top level")
    proxies = _parse_proxies(data.get("proxies"), where)
    raw_themes = data.get("themes")
    if not isinstance(raw_themes, list) or not raw_themes:
        raise _fail(where, "missing themes (a list of themes with code, name, outcomes, measures)")
    themes: list[Theme] = []
    seen_codes: set[str] = set()
    seen_ids: set[str] = set()
    for i, rt in enumerate(raw_themes, start=1):
        tw = f"{where}: theme #{i}"
        if not isinstance(rt, Mapping):
            raise _fail(tw, "must be a mapping")
        code = _text(rt, "code", tw)
        if not THEME_CODE.match(code):
            raise _fail(tw, f"unknown theme code {code!r} (expected CS1 to CS9)")
        if code in seen_codes:
            raise _fail(tw, f"duplicate theme code {code}")
        seen_codes.add(code)
        tw = f"{where}: theme {code}"
        outcomes = rt.get("outcomes")
        if not isinstance(outcomes, list) or not outcomes:
            raise _fail(tw, "missing outcomes (what are we trying to achieve)")
        measures: list[Measure] = []
        raw_measures = rt.get("measures")
        if not isinstance(raw_measures, list) or not raw_measures:
            raise _fail(tw, "missing measures")
        for j, rm in enumerate(raw_measures, start=1):
            mw = f"{tw}: measure #{j}"
            if not isinstance(rm, Mapping):
                raise _fail(mw, "must be a mapping")
            mid = _text(rm, "id", mw)
            mw = f"{tw}: measure {mid}"
            match = MEASURE_ID.match(mid)
            if not match:
                raise _fail(mw, "id must look like CS<n>-<nn>, for example CS2-06")
            if match.group(1) != code:
                raise _fail(
                    mw, f"unknown theme: id belongs to {match.group(1)}, listed under {code}"
                )
            # Duplicates first: a repeated id is also out of order, but "duplicate" is the
            # problem the council has to fix.
            if mid in seen_ids:
                raise _fail(mw, f"duplicate id (measure #{j} repeats an earlier {mid})")
            seen_ids.add(mid)
            if int(match.group(2)) != j:
                raise _fail(
                    mw, f"out of order: position {j} in the list must have id {code}-{j:02d}"
                )
            unit = rm.get("unit")
            if unit is None:
                raise _fail(mw, "missing unit")
            if unit not in UNITS:
                raise _fail(mw, f"unknown unit {unit!r} (one of {', '.join(sorted(UNITS))})")
            direction = rm.get("direction")
            if direction not in DIRECTIONS:
                raise _fail(mw, f"direction must be 'higher' or 'lower', got {direction!r}")
            rollup = rm.get("rollup")
            if rollup not in ROLLUPS:
                raise _fail(mw, f"rollup must be one of sum, mean, weighted_mean, got {rollup!r}")
            level = rm.get("level", "partner")
            if level not in LEVELS:
                raise _fail(mw, f"level must be 'partner' or 'council', got {level!r}")
            proxy_key = rm.get("proxy")
            proxy = None
            if proxy_key is not None:
                if proxy_key not in proxies:
                    raise _fail(mw, f"unknown proxy {proxy_key!r} (not in proxies)")
                proxy = proxies[proxy_key]
            text = _text(rm, "text", mw)
            short = " ".join(str(rm.get("short") or text).split())
            measures.append(Measure(mid, code, text, short, unit, direction, rollup, level, proxy))
        themes.append(
            Theme(
                code,
                _text(rt, "name", tw),
                _text(rt, "ambition", tw),
                tuple(" ".join(str(o).split()) for o in outcomes),
                tuple(measures),
            )
        )
    themes.sort(key=lambda t: t.code)
    return Framework(
        name=str(data.get("name") or "Social Values Framework"),
        council=str(data.get("council") or ""),
        themes=tuple(themes),
        proxies=proxies,
    )


def load_framework(path: str | Path = DEFAULT_FRAMEWORK) -> Framework:
    """Read and check the framework file; raise `FrameworkError` naming the problem."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FrameworkError(f"{p}: framework file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FrameworkError(f"{p}: cannot read framework file ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FrameworkError(f"{p}: not valid YAML ({yaml_problem(exc)})") from None
    fw = parse_framework(data, where=str(p))
    return Framework(fw.name, fw.council, fw.themes, fw.proxies, str(p))


def load_proxies(path: str | Path) -> dict[str, Proxy]:
    """Read a proxy-values file (same shape as the `proxies:` block) to override the defaults.

    A council that holds a licence for other values (for example the National TOMs) keeps them in
    its own file and passes it here; such values are never bundled with the project.
    """
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FrameworkError(f"{p}: proxy values file not found") from None
    except yaml.YAMLError as exc:
        raise FrameworkError(f"{p}: not valid YAML ({yaml_problem(exc)})") from None
    if isinstance(data, Mapping) and "proxies" in data:
        data = data["proxies"]
    return _parse_proxies(data, str(p))
