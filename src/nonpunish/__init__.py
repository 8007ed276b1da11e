"""nonpunish: non-punishment provisions for victims of trafficking, as rules you can run.

Decision support, not legal advice.

>>> import nonpunish
>>> outcome = nonpunish.evaluate(case, "uk-ew/modern-slavery-act-2015/s45")  # doctest: +SKIP
"""

from ._api import (
    RulesetInfo,
    __version__,
    case_json_schema,
    compare,
    evaluate,
    json_schemas,
    list_rulesets,
    load_ruleset,
    parse_case,
    read_case,
    ruleset_json_schema,
)
from ._batch import TableOutcome, TableSummary, evaluate_table
from ._case import (
    AgeRange,
    Case,
    CompetentAuthorityDecision,
    Count,
    DateRange,
    Evidence,
    EvidenceLevel,
    Offence,
    Person,
)
from ._compare import Comparison, ComparisonRow, render_comparison
from ._coverage import changes, coverage, sensitivity
from ._dask import evaluate_dask
from ._errors import (
    CaseError,
    EngineUnavailableError,
    ErrorDetail,
    FileFormatError,
    InputError,
    NonpunishError,
    RulesetError,
    UnknownRulesetError,
)
from ._outcome import (
    Caveat,
    CountOutcome,
    ElementOutcome,
    ExclusionCheck,
    Outcome,
    Question,
    outcome_json_schema,
)
from ._plot import plot_changes, plot_coverage
from ._render import render
from ._ruleset import Ruleset
from ._synthetic import synthesise

__all__ = [
    "AgeRange",
    "Case",
    "CaseError",
    "Caveat",
    "Comparison",
    "ComparisonRow",
    "CompetentAuthorityDecision",
    "Count",
    "CountOutcome",
    "DateRange",
    "ElementOutcome",
    "EngineUnavailableError",
    "ErrorDetail",
    "Evidence",
    "EvidenceLevel",
    "ExclusionCheck",
    "FileFormatError",
    "InputError",
    "NonpunishError",
    "Offence",
    "Outcome",
    "Person",
    "Question",
    "Ruleset",
    "RulesetError",
    "RulesetInfo",
    "TableOutcome",
    "TableSummary",
    "UnknownRulesetError",
    "__version__",
    "case_json_schema",
    "changes",
    "compare",
    "coverage",
    "evaluate",
    "evaluate_dask",
    "evaluate_table",
    "json_schemas",
    "list_rulesets",
    "load_ruleset",
    "outcome_json_schema",
    "parse_case",
    "plot_changes",
    "plot_coverage",
    "read_case",
    "render",
    "render_comparison",
    "ruleset_json_schema",
    "sensitivity",
    "synthesise",
]
