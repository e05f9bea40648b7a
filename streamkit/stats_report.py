"""``streamkit stats FILE``: a ``--stats`` JSON report as tables, with a skew warning.

Where did the time go: per phase (sample, map, reduce), per map task (summarised when
there are many) and per partition.  A partition more than :data:`SKEW_RATIO` times the
median is the classic reason a job waits on one reducer (PySphere's lesson), so it is
named, with the usual cures.
"""

from __future__ import annotations

import json
import statistics

from streamkit.errors import UsageError

SKEW_RATIO = 2.0
MAX_TASK_ROWS = 12  # map tasks listed one by one up to this many; beyond, a summary

_PHASE_COLUMNS = (("tasks", "tasks"), ("wall_s", "wall s"), ("cpu_s", "CPU s"),
                  ("records_in", "records in"), ("records_out", "records out"),
                  ("bytes_in", "bytes in"), ("bytes_out", "bytes out"))
_TASK_COLUMNS = (("records_in", "records in"), ("bytes_in", "bytes in"),
                 ("records_out", "records out"), ("bytes_out", "bytes out"),
                 ("wall_s", "wall s"), ("cpu_s", "CPU s"))


def load(path: str) -> dict:
    try:
        with open(path) as f:
            data = json.load(f)
    except OSError as exc:
        raise UsageError(f"stats {path}: {exc.strerror}; give a file written by --stats") from None
    except ValueError:
        raise UsageError(f"stats {path}: not JSON; give a file written by --stats") from None
    if not isinstance(data, dict) or "counters" not in data:
        raise UsageError(f"stats {path}: not a --stats report (no counters); give a file "
                         "written by streamkit run/spark/hadoop --stats")
    return data


def _cell(value) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(header: list[str], rows: list[list]) -> list[str]:
    """Columns: the first and an ``input`` column left-aligned, figures right-aligned."""
    cells = [header] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    left = {0} | {i for i, name in enumerate(header) if name == "input"}
    return ["  ".join(c.ljust(w) if i in left else c.rjust(w)
                      for i, (c, w) in enumerate(zip(row, widths))).rstrip() for row in cells]


def skew(records: list[int]) -> tuple[int, float, float] | None:
    """(partition, its records, the median) when the largest partition is more than
    :data:`SKEW_RATIO` times the median; None otherwise (or with one partition)."""
    if len(records) < 2:
        return None
    median = statistics.median(records)
    biggest = max(range(len(records)), key=records.__getitem__)
    if records[biggest] > SKEW_RATIO * median:
        return biggest, records[biggest], median
    return None


def format_report(data: dict) -> str:
    """The report as text: a header line, the phase table, map tasks, partitions, warnings."""
    out = [f"job {data.get('job_id', '?')}  output {data.get('output', '?')}  "
           f"maps {data.get('num_maps', '?')}" + (f"  seed {data['seed']}" if "seed" in data else "")]
    phases = data.get("phases") or {}
    if phases:
        rows = []
        for name, figures in phases.items():
            wall = figures.get("wall_s", figures.get("task_wall_s"))
            cpu = figures.get("cpu_s", figures.get("task_cpu_s"))
            rows.append([name] + [wall if key == "wall_s" else cpu if key == "cpu_s" else figures.get(key)
                                  for key, _ in _PHASE_COLUMNS])
        out += ["", "phases"] + _table(["phase"] + [h for _, h in _PHASE_COLUMNS], rows)
    tasks = data.get("map_tasks") or []
    if tasks:
        out += ["", f"map tasks ({len(tasks)})"]
        if len(tasks) <= MAX_TASK_ROWS:
            rows = [[t.get("task")] + [t.get(k) for k, _ in _TASK_COLUMNS] + [_input(t)] for t in tasks]
            out += _table(["task"] + [h for _, h in _TASK_COLUMNS] + ["input"], rows)
        else:
            rows = []
            for label, pick in (("min", min), ("median", statistics.median), ("max", max)):
                rows.append([label] + [_num(pick([t.get(k, 0) for t in tasks])) for k, _ in _TASK_COLUMNS])
            out += _table([""] + [h for _, h in _TASK_COLUMNS], rows)
            slowest = max(tasks, key=lambda t: t.get("wall_s", 0))
            out.append(f"slowest: map task {slowest.get('task')} ({_input(slowest)}), "
                       f"{_cell(slowest.get('wall_s'))} s")
    partitions = data.get("partitions") or []
    records = [p.get("records_in", 0) for p in partitions] or list(data.get("partition_records") or [])
    if partitions:
        total = sum(records) or 1
        rows = [[p.get("partition"), p.get("records_in"), f"{100 * p.get('records_in', 0) / total:.1f}%",
                 p.get("bytes_in"), p.get("groups"), p.get("records_out"), p.get("bytes_out"),
                 p.get("wall_s"), p.get("cpu_s")] for p in partitions]
        out += ["", f"partitions ({len(partitions)})"] + _table(
            ["partition", "records in", "share", "bytes in", "groups", "records out", "bytes out",
             "wall s", "CPU s"], rows)
    elif records:
        out += ["", f"partitions ({len(records)})"] + _table(
            ["partition", "records in"], [[i, n] for i, n in enumerate(records)])
    found = skew(records)
    if found:
        part, biggest, median = found
        ratio = f"{biggest / median:.1f}x the median ({median:,.0f})" if median else \
            "while the median partition is empty"
        out += ["", f"warning: skew: partition {part} holds {biggest:,} records, {ratio}, so one "
                    "reducer does most of the work. Try a combiner (-combiner) to shrink hot keys "
                    "before the shuffle, more reducers (-numReduceTasks), or a key that spreads "
                    "better (a finer key, a salt, -partitioner with other -k fields, or --total-order)"]
    for warning in data.get("warnings") or []:
        out.append(f"warning: {warning}")
    return "\n".join(out)


def _num(value):
    return round(value, 3) if isinstance(value, float) else value


def _input(task: dict) -> str:
    where = task.get("input", "")
    return where + (" (previous output)" if task.get("previous") else "")
