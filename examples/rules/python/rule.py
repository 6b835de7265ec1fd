"""deprecations-py: a classifier written in Python.

It reads one job's output and reports the deprecation warnings it printed,
pointing at the first: the same rule `augur new --kind classifier` writes in
Rust, so that the two can be compared (see README.md).

Built into a WebAssembly component with componentize-py, against the
`classifier-rule` world of augur's WIT contract (`build.sh`).
"""

import json

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports.types import (
    Evidence,
    Finding,
    JobOutput,
    RuleError_InvalidConfig,
    RuleInfo,
    Severity,
)

ID = "deprecations-py"
KIND = "deprecation/warning"
# How many characters of a line a finding quotes (as augur_sdk::excerpt).
EXCERPT_CHARS = 300

CONFIG_SCHEMA = json.dumps(
    {
        "title": "Config",
        "type": "object",
        "properties": {
            "min_warnings": {
                "description": "Deprecation warnings from which the job is reported.",
                "type": "integer",
                "minimum": 0,
                "default": 1,
            }
        },
        "additionalProperties": False,
    }
)


def min_warnings(config: str) -> int:
    """The `min_warnings` of the rule's config (a JSON object as text)."""
    try:
        doc = json.loads(config) if config.strip() else {}
    except ValueError as e:
        raise Err(RuleError_InvalidConfig(f"the config is not JSON: {e}"))
    if not isinstance(doc, dict):
        raise Err(RuleError_InvalidConfig("the config must be a table"))
    unknown = sorted(set(doc) - {"min_warnings"})
    if unknown:
        raise Err(RuleError_InvalidConfig(f"unknown field `{unknown[0]}`, expected `min_warnings`"))
    value = doc.get("min_warnings", 1)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Err(RuleError_InvalidConfig("min_warnings: expected a whole number of at least 0"))
    return value


def fingerprint(*parts: str) -> str:
    """FNV-1a over the parts, each ended by 0x1f: augur_sdk::fingerprint."""
    h = 0xCBF29CE484222325
    for part in parts:
        for byte in part.encode("utf-8") + b"\x1f":
            h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def lines(text: str) -> list:
    """The log's lines as augur numbers them (Rust's `str::lines`): split on
    \\n, a \\r before it dropped, no empty last line. (Python's
    `splitlines` also splits on form feeds and other separators.)"""
    out = text.split("\n")
    if out and out[-1] == "":
        out.pop()
    return [line[:-1] if line.endswith("\r") else line for line in out]


def excerpt(line: str) -> str:
    line = line.strip()
    return line if len(line) <= EXCERPT_CHARS else line[:EXCERPT_CHARS] + "\u2026"


class Rule(exports.Rule):
    def info(self) -> RuleInfo:
        return RuleInfo(
            id=ID,
            version="0.1.0",
            description="Finds deprecation warnings in a job's output (a rule in Python)",
            kinds=[KIND],
            config_schema=CONFIG_SCHEMA,
        )


class Classifier(exports.Classifier):
    def classify(self, job: JobOutput, config: str) -> list:
        wanted = max(min_warnings(config), 1)
        warnings = [
            (job.first_line + i, line)
            for i, line in enumerate(lines(job.text))
            if "deprecat" in line.lower()
        ]
        if len(warnings) < wanted:
            return []
        first, text = warnings[0]
        count = len(warnings)
        return [
            Finding(
                kind=KIND,
                severity=Severity.LOW,
                title="The job uses deprecated features",
                message=f"{count} deprecation warning{'' if count == 1 else 's'} in {job.source}; "
                f"the first at line {first}",
                fingerprint=fingerprint(ID, KIND, text.strip()),
                evidence=[Evidence(source=job.source, locator=f"L{first}", excerpt=excerpt(text))],
                actions=["Move off the deprecated feature before it is removed"],
                data="{}",
            )
        ]
