"""Runs Sigma rules in a real Sigma engine: pySigma converts each rule with its SQLite
backend, SQLite runs the query over event rows, and the rows each rule matched are printed.

Usage: run_rules.py RULES.yml ROWS.json

ROWS.json is a JSON list of flat objects, one per event (field name to value), each with a
`wmihunt_row` naming the event. Prints one JSON object: {"rules": [{"name", "logsource",
"queries", "matches"}]}, `matches` being the sorted `wmihunt_row`s the rule selected.

A SIEM narrows a rule to its log source before the rule's own condition runs; pySigma does
that with processing pipelines. The Sysmon and Windows pipelines (pySigma-pipeline-sysmon,
-windows) do not install with pySigma 2, so the same conditions they add are added here with
pySigma's own transformation: `registry_event` is Sysmon's EventID 12, 13 or 14 in the Sysmon
channel, `wmi_event` Sysmon's EventID 19, 20 or 21 there, `service: security` the Security
channel, `service: wmi` the WMI-Activity channel. A rule with any other log source is an
error, so that a new kind of rule cannot go untested.
"""

import json
import re
import sqlite3
import sys

from sigma.backends.sqlite import sqliteBackend
from sigma.backends.sqlite.runtime import ensure_fields
from sigma.collection import SigmaCollection
from sigma.processing.conditions import LogsourceCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import AddConditionTransformation

ROW = "wmihunt_row"

LOGSOURCES = [
    (
        {"category": "registry_event", "product": "windows"},
        {"EventID": [12, 13, 14], "Channel": "Microsoft-Windows-Sysmon/Operational"},
    ),
    ({"product": "windows", "service": "security"}, {"Channel": "Security"}),
    (
        {"category": "wmi_event", "product": "windows"},
        {"EventID": [19, 20, 21], "Channel": "Microsoft-Windows-Sysmon/Operational"},
    ),
    (
        {"product": "windows", "service": "wmi"},
        {"Channel": "Microsoft-Windows-WMI-Activity/Operational"},
    ),
]


def pipeline():
    return ProcessingPipeline(
        name="Windows log sources as Sysmon and Security channel conditions",
        priority=10,
        items=[
            ProcessingItem(
                identifier="logsource_%d" % i,
                transformation=AddConditionTransformation(conditions),
                rule_conditions=[LogsourceCondition(**logsource)],
            )
            for i, (logsource, conditions) in enumerate(LOGSOURCES)
        ],
    )


def logsource_of(rule):
    """The rule's log source as a dict, which must be one of LOGSOURCES exactly."""
    ls = {
        key: getattr(rule.logsource, key)
        for key in ("category", "product", "service")
        if getattr(rule.logsource, key) is not None
    }
    if not any(ls == known for known, _ in LOGSOURCES):
        sys.exit("run_rules.py: rule %s has log source %r, which is not mapped" % (rule.name, ls))
    return ls


def regexp(pattern, value):
    """SQLite's REGEXP, which the backend emits for |re; SQLite leaves it to the application.
    Python's re.search, as Zircolite (the main user of this backend) defines it."""
    return value is not None and re.search(pattern, str(value)) is not None


def load(rows):
    db = sqlite3.connect(":memory:")
    db.create_function("regexp", 2, regexp, deterministic=True)
    # SQLite column names are case-insensitive, as Sigma field names are: Sysmon's `Consumer`
    # and WMI-Activity's `CONSUMER` are one column (no event has both).
    spelling = {}
    for row in rows:
        for name in row:
            spelling.setdefault(name.lower(), name)
    rows = [{spelling[name.lower()]: value for name, value in row.items()} for row in rows]
    columns = sorted(spelling.values(), key=str.lower)
    # Text columns that compare case-insensitively, as Zircolite builds its table and as the
    # backend expects (`=` is how it writes a plain, case-insensitive Sigma string).
    quoted = ['"%s"' % c.replace('"', '""') for c in columns]
    db.execute(
        "CREATE TABLE logs (%s)" % ", ".join(q + " TEXT COLLATE NOCASE" for q in quoted)
    )
    db.executemany(
        "INSERT INTO logs (%s) VALUES (%s)" % (", ".join(quoted), ", ".join("?" * len(columns))),
        [[row.get(c) for c in columns] for row in rows],
    )
    return db


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        rules = SigmaCollection.from_yaml(f.read())
    with open(sys.argv[2], encoding="utf-8") as f:
        rows = json.load(f)
    db = load(rows)
    backend = sqliteBackend(processing_pipeline=pipeline())
    results = []
    for rule in rules.rules:
        logsource = logsource_of(rule)
        queries = backend.convert_rule(rule)
        # A field no row carries is a column of NULLs, as the backend's runtime makes it.
        ensure_fields(db, {"logs": backend.required_fields(rule)})
        matches = set()
        for query in queries:
            cursor = db.execute("SELECT %s FROM (%s)" % (ROW, query))
            matches.update(value for (value,) in cursor)
        results.append(
            {
                "name": rule.name,
                "logsource": logsource,
                "queries": queries,
                "matches": sorted(matches),
            }
        )
    json.dump({"rules": results}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
