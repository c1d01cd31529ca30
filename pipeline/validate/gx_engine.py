"""Run the expectation suites with Great Expectations (GX Core 1.x) and collect failing rows.

One in-memory GX context per validate run: no `gx/` folder, no usage statistics sent anywhere,
and GX's own tqdm progress bars switched off (the stage shows one progress display of its own,
fed by `pipeline.core.progress`). Each suite is validated in one GX call per input kind, so GX's
per-expectation overhead is paid once per kind, not once per file or row. Results come back
with `result_format: COMPLETE`, whose `unexpected_index_list` tells which rows failed.
"""

from __future__ import annotations

import copy
import datetime as dt
import html
import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipeline.core.errors import UserError

# Set before GX is imported: GX reads it to decide whether to post usage statistics.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

#: Values of a failing rule shown in Data Docs (partner text, escaped): enough to see the pattern.
DOCS_SAMPLE = 20


@dataclass
class ExpectationStat:
    """How one expectation fared on one kind of input."""

    kind: str
    expectation: str
    column: str
    evaluated: int = 0
    failed: int = 0
    #: The column GX checked when it is a derived one (`contract_id__of_partner`), which tells
    #: two rules on the same input column apart; otherwise the same as `column`.
    checked: str | None = None

    @property
    def pass_rate(self) -> float:
        return 1.0 if self.evaluated == 0 else round(1 - self.failed / self.evaluated, 6)


@dataclass
class SuiteRun:
    """Failing rows (by position in the checked frame) per expectation index of the suite."""

    failures: dict[int, list[int]] = field(default_factory=dict)
    evaluated: dict[int, int] = field(default_factory=dict)
    result: Any = None  # the GX ExpectationSuiteValidationResult, for Data Docs


class GXRunner:
    """An ephemeral GX context that validates pandas frames against suite JSON."""

    def __init__(self) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
            data_docs_sites={},
        )
        self.gx = gx
        self.context = gx.get_context(mode="ephemeral", project_config=config)
        self.source = self.context.data_sources.add_pandas("svf")
        self.stored: list[tuple[str, Any]] = []

    def _suite(self, name: str, expectations: list[dict[str, Any]]):
        from great_expectations.expectations.expectation_configuration import (
            ExpectationConfiguration,
        )

        suite = self.gx.ExpectationSuite(name=name)
        for i, e in enumerate(expectations):
            try:
                config = ExpectationConfiguration(
                    type=e["type"],
                    kwargs=e.get("kwargs", {}),
                    meta=e.get("meta", {}),
                    notes=notes(e["type"], e.get("kwargs", {})),
                )
                suite.add_expectation(config.to_domain_obj())
            except Exception as exc:  # GX raises assorted errors on a bad configuration
                raise UserError(
                    f"expectations/{name.split('.')[0]}.json: expectation #{i + 1} "
                    f"({e.get('type')}) is not valid: {exc}"
                ) from None
        existing = [s.name for s in self.context.suites.all()]
        if name in existing:
            self.context.suites.delete(name)
        return self.context.suites.add(suite)

    def run(
        self,
        name: str,
        expectations: list[dict[str, Any]],
        frame: pd.DataFrame,
        parameters: dict[str, Any],
    ) -> SuiteRun:
        """Validate `frame` (any index) against `expectations` in one GX call."""
        out = SuiteRun()
        if not expectations:
            return out
        if frame.empty:
            for i in range(len(expectations)):
                out.evaluated[i] = 0
            return out
        # Only the columns the rules read: GX copies the whole frame it is given for every rule
        # (to set empty cells aside) and hashes it once, so every other column costs time.
        data = frame[rule_columns(expectations, frame)].reset_index(drop=True)
        suite = self._suite(name, expectations)
        asset_names = {a.name for a in self.source.assets}
        asset = (
            self.source.get_asset(name)
            if name in asset_names
            else self.source.add_dataframe_asset(name)
        )
        batch_names = {b.name for b in asset.batch_definitions}
        definition = (
            asset.get_batch_definition("all")
            if "all" in batch_names
            else asset.add_batch_definition_whole_dataframe("all")
        )
        batch = definition.get_batch(batch_parameters={"dataframe": data})
        # Only the parameters the suite names: GX copies what it is given for every metric.
        wanted = {n for e in expectations for n in _parameter_names(e.get("kwargs", {}))}
        result = batch.validate(
            suite,
            expectation_parameters={k: v for k, v in parameters.items() if k in wanted},
            # COMPLETE for the failing rows' positions; not the pandas query text GX would also
            # build for them (nothing reads it, and at a million rows it costs seconds).
            result_format={
                "result_format": "COMPLETE",
                "partial_unexpected_count": DOCS_SAMPLE,
                "return_unexpected_index_query": False,
            },
        )
        # GX does not promise results in suite order: match them by the expectation's id.
        position = {e.id: i for i, e in enumerate(suite.expectations)}
        for r in result.results:
            cfg = r.expectation_config
            i = position[cfg.id]
            problem = _exception_message(r.exception_info)
            if problem:
                raise UserError(
                    f"expectations/{name.split('.')[0]}.json: expectation #{i + 1} ({cfg.type} "
                    f"on {cfg.kwargs.get('column') or cfg.kwargs.get('column_list')}) could not "
                    f"run: {problem}"
                )
            res = r.result or {}
            out.evaluated[i] = int(res.get("element_count", len(data))) - int(
                res.get("missing_count") or 0
            )
            out.failures[i] = [int(x) for x in res.get("unexpected_index_list") or []]
        out.result = result
        self.stored.append((name, result))
        return out

    def build_data_docs(self, directory: str, cycle: str) -> None:
        """Build the GX Data Docs site for this run's validations into `directory`.

        Partner text in results is HTML-escaped first: GX's renderer writes values into the
        page as they are, so `<script>` typed in a return would otherwise run in a reviewer's
        browser. Full row lists are dropped; they are in quarantine.parquet.
        """
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        site_name = f"review cycle {cycle}"  # shown as "Data Docs | review cycle C"
        if site_name in self.context.get_site_names():
            self.context.delete_data_docs_site(site_name)
        self.context.add_data_docs_site(
            site_name=site_name,
            site_config={
                "class_name": "SiteBuilder",
                # No "how to" buttons: they link to GX's online docs, of no use to a reviewer.
                # (GX's TypedDict for this config says it "may be incomplete": it lacks the key.)
                "show_how_to_buttons": False,  # type: ignore[typeddict-unknown-key]
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": directory,
                },
            },
        )
        run_time = dt.datetime.now(tz=dt.UTC)
        # The run name the pages show ("Run Name"): the cycle id, instead of GX's `__none__`.
        run_id = RunIdentifier(run_name=cycle, run_time=run_time)
        for name, result in self.stored:
            safe = sanitise(result)
            safe.meta["run_id"] = run_id
            suite_id = ExpectationSuiteIdentifier(name=name)
            key = ValidationResultIdentifier(
                expectation_suite_identifier=suite_id,
                run_id=run_id,
                batch_identifier=name,
            )
            self.context.validation_results_store.store_validation_results(
                suite_validation_result=safe,
                suite_validation_result_identifier=key,
                expectation_suite_identifier=suite_id,
            )
        self.context.build_data_docs(site_names=[site_name])


def rule_columns(expectations: list[dict[str, Any]], frame: pd.DataFrame) -> list[str]:
    """The columns of `frame` the expectations read, in the frame's order."""
    wanted = {
        c
        for e in expectations
        for c in [
            e.get("kwargs", {}).get("column"),
            *(e.get("kwargs", {}).get("column_list") or []),
        ]
        if c
    }
    return [c for c in frame.columns if c in wanted]


def notes(expectation: str, kwargs: dict[str, Any]) -> list[str]:
    """The notes Data Docs show beside a check (Markdown): what it means in plain words and, for
    a derived column (`contract_id__of_partner`), how the pipeline computed it."""
    from pipeline.validate.check_words import derived_note, describe

    checked = kwargs.get("column") or ", ".join(kwargs.get("column_list") or [])
    note = derived_note(checked)
    return [describe(expectation, checked, kwargs) + ".", *([note] if note else [])]


def _exception_message(info: Any) -> str | None:
    """The error GX caught while running an expectation, if any (GX reports it either at the top
    level or per metric)."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return " ".join(str(value.get("exception_message")).split())
    return None


def _parameter_names(value: Any) -> list[str]:
    """The `$PARAMETER` names used anywhere in an expectation's kwargs."""
    if isinstance(value, dict):
        if "$PARAMETER" in value:
            return [str(value["$PARAMETER"])]
        return [n for v in value.values() for n in _parameter_names(v)]
    if isinstance(value, list):
        return [n for v in value for n in _parameter_names(v)]
    return []


def _escape(value: Any) -> Any:
    if isinstance(value, str):
        return html.escape(value)
    if isinstance(value, list):
        return [_escape(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_escape(v) for v in value)
    if isinstance(value, dict):
        return {k: _escape(v) for k, v in value.items()}
    return value


_KEEP = (
    "element_count",
    "missing_count",
    "missing_percent",
    "unexpected_count",
    "unexpected_percent",
    "unexpected_percent_total",
    "unexpected_percent_nonmissing",
    "partial_unexpected_list",
    "partial_unexpected_counts",
    "observed_value",
)


def sanitise(result: Any) -> Any:
    """A copy of a GX suite result safe to render: partner text escaped, row lists dropped."""
    safe = copy.deepcopy(result)
    for r in safe.results:
        res = r.result or {}
        r.result = {k: _escape(res[k]) for k in _KEEP if k in res}
        kwargs = r.expectation_config.kwargs
        r.expectation_config.notes = notes(r.expectation_config.type, kwargs)
        if isinstance(kwargs.get("value_set"), list):
            values = kwargs["value_set"]
            # Register lists can run to thousands of ids: show the start, say how many.
            shown = values[:DOCS_SAMPLE]
            if len(values) > DOCS_SAMPLE:
                shown = [*shown, f"... ({len(values)} values in all)"]
            kwargs["value_set"] = _escape(shown)
    return safe
