"""Read what ``mapred streaming`` / ``hadoop jar`` prints, line by line, as it prints it.

Hadoop's client writes log4j records (``2026-12-02 10:00:00,123 INFO mapreduce.Job: …``;
older clusters ``15/12/11 13:32:44 INFO …``) whose continuation lines (counters, stack
traces) have no prefix, plus two bare lines of its own (``packageJobJar: …``,
``Streaming Command Failed!``). Like mrjob's step-log parser, records are recognised
loosely and only the messages a user needs are interpreted: ids, tracking URL, progress,
the ``Counters: N`` block, failed attempts, the output directory and launch errors.
Memory stays bounded: each record keeps at most a few hundred lines.

>>> c = ConsoleParser()
>>> for line in ["2026-12-02 10:00:01,000 INFO mapreduce.Job: Running job: job_17_0001",
...              "2026-12-02 10:00:09,000 INFO mapreduce.Job:  map 100% reduce 0%",
...              "2026-12-02 10:00:20,000 INFO mapreduce.Job: Counters: 2",
...              "\\tMap-Reduce Framework", "\\t\\tMap input records=5", "\\t\\tMap output records=9"]:
...     c.feed(line)
>>> c.close()
>>> c.job_id, c.application_id, c.progress, sorted(c.counters.items())
('job_17_0001', 'application_17_0001', (100, 0), [(('Map-Reduce Framework', 'Map input records'), 5), (('Map-Reduce Framework', 'Map output records'), 9)])
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RECORD = re.compile(
    r"^\s*(?P<ts>\d[\d/:.,T -]*\d)\s+(?P<level>TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\s+"
    r"(?P<logger>[^\s:]+)(?:\s+\([^)]*\))?(?::| -) ?(?P<message>.*)$")
_BARE = re.compile(r"^(packageJobJar: .*|Streaming Command Failed!|Exception in thread .*)$")
_COUNTERS = re.compile(r"^Counters: (\d+)\s*$")
_COUNTER = re.compile(r"^(?P<indent>\s+)(?P<name>.*)=(?P<value>-?\d+)\s*$")
_GROUP = re.compile(r"^(?P<indent>\s+)(?P<group>\S.*)$")
_APPLICATION = re.compile(r"Submitted application (application_\d+_\d+)")
_JOB = re.compile(r"(?:Running job|Submitting tokens for job): (job_\d+_\d+)")
_TRACKING = re.compile(r"The url to track the job: (\S+)")
_PROGRESS = re.compile(r"^\s*map\s+(\d+)%\s+reduce\s+(\d+)%\s*$")
_DONE = re.compile(r"^Job (job_\d+_\d+) completed successfully")
_FAILED = re.compile(r"^Job (job_\d+_\d+) failed with state (\w+) due to: (.*)")
_ATTEMPT = re.compile(r"^Task Id\s*:\s*(attempt_\d+_\d+_[mr]_\d+_\d+),\s*Status\s*:\s*FAILED")
_OUTPUT_DIR = re.compile(r"^Output( directory)?:\s+(\S+)\s*$")
_OUTPUT_EXISTS = re.compile(r"Output directory (\S+) already exists")
_INPUT_MISSING = re.compile(r"(?:Input path does not exist|bad input path)\s*:\s*(?:File does not exist:\s*)?(\S+)")
_BAD_JAR = re.compile(r"Not a valid JAR: (.*)")

_MAX_LINES = 300          # continuation lines kept per record (stack traces)
_MAX_COUNTER_LINES = 20000
_MAX_ATTEMPTS = 50


@dataclass
class FailedAttempt:
    attempt_id: str
    error: str        # one line: the deepest ``Caused by`` or the first error line


def summarize_error(lines: list[str]) -> str:
    """One line from a Java error: the last ``Caused by:`` (the real reason, e.g.
    ``Cannot run program …: error=13, Permission denied``), else the first non-stack line.

    >>> summarize_error(["Error: java.lang.RuntimeException: PipeMapRed.waitOutputThreads(): "
    ...                  "subprocess failed with code 1", "\\tat org.apache.X(X.java:1)"])
    'java.lang.RuntimeException: PipeMapRed.waitOutputThreads(): subprocess failed with code 1'
    """
    caused = [ln.strip()[len("Caused by:"):].strip() for ln in lines if ln.strip().startswith("Caused by:")]
    if caused:
        return caused[-1]
    for line in lines:
        text = line.strip()
        if text and not text.startswith("at ") and not text.startswith("..."):
            return text[len("Error: "):] if text.startswith("Error: ") else text
    return ""


class ConsoleParser:
    """Feed it Hadoop's console lines (str, no newline); read the attributes after close()."""

    def __init__(self) -> None:
        self.job_id: str | None = None
        self.application_id: str | None = None
        self.tracking_url: str | None = None
        self.output: str | None = None
        self.progress: tuple[int, int] | None = None
        self.counters: dict[tuple[str, str], int] = {}
        self.state: str | None = None          # SUCCEEDED, FAILED, KILLED
        self.reason: str | None = None         # "Task failed task_…" from the job's end line
        self.failed_attempts: list[FailedAttempt] = []
        self.attempts_failed = 0
        self.launch_error: str | None = None   # "output_exists", "input_missing", "bad_jar"
        self.launch_path: str | None = None
        self.command_failed = False            # "Streaming Command Failed!"
        self.last_error: str | None = None     # last ERROR/FATAL record or bare exception line
        self.last_line: str | None = None
        self._record: tuple[str, str, list[str]] | None = None  # level, first message line, rest

    def feed(self, line: str) -> None:
        line = line.rstrip("\r\n")
        if line.strip():
            self.last_line = line.strip()
        match = _RECORD.match(line)
        bare = None if match else _BARE.match(line)
        if match or bare or self._record is None:
            self._finish()
            if match:
                self._record = (match["level"], match["message"], [])
                self._start(match["message"])
            elif bare:
                self._bare(line)
            elif line.strip():
                self._record = ("", line, [])   # leading non-log4j text: its own record
            return
        rest = self._record[2]
        limit = _MAX_COUNTER_LINES if _COUNTERS.match(self._record[1]) else _MAX_LINES
        if len(rest) < limit:
            rest.append(line)

    def close(self) -> None:
        self._finish()
        if self.job_id and not self.application_id:
            self.application_id = "application_" + self.job_id[len("job_"):]
        if self.application_id and not self.job_id:
            self.job_id = "job_" + self.application_id[len("application_"):]

    # ---- single-line facts, seen as soon as the record starts ----
    def _start(self, message: str) -> None:
        for pattern, attr in ((_APPLICATION, "application_id"), (_JOB, "job_id"),
                              (_TRACKING, "tracking_url")):
            found = pattern.search(message)
            if found and getattr(self, attr) is None:
                setattr(self, attr, found[1])
        progress = _PROGRESS.match(message)
        if progress:
            self.progress = (int(progress[1]), int(progress[2]))
        done = _DONE.match(message)
        if done:
            self.job_id, self.state = done[1], "SUCCEEDED"
        output = _OUTPUT_DIR.match(message)
        if output:
            self.output = output[2]

    def _bare(self, line: str) -> None:
        if line == "Streaming Command Failed!":
            self.command_failed = True
        elif line.startswith("Exception in thread"):
            self._record = ("FATAL", line.split(" ", 4)[-1] if '"' in line else line, [])

    # ---- multi-line records, interpreted once complete ----
    def _finish(self) -> None:
        if self._record is None:
            return
        level, message, rest = self._record
        self._record = None
        if _COUNTERS.match(message):
            self.counters.update(parse_indented_counters(rest))
            return
        attempt = _ATTEMPT.match(message)
        if attempt:
            self.attempts_failed += 1
            if len(self.failed_attempts) >= _MAX_ATTEMPTS:
                del self.failed_attempts[1]     # keep the first and the latest ones
            self.failed_attempts.append(FailedAttempt(attempt[1], summarize_error(rest) or message))
            return
        failed = _FAILED.match(message)
        if failed:
            self.job_id, self.state, self.reason = failed[1], failed[2], failed[3].strip()
            return
        text = "\n".join([message] + rest)
        for pattern, kind in ((_OUTPUT_EXISTS, "output_exists"), (_INPUT_MISSING, "input_missing"),
                              (_BAD_JAR, "bad_jar")):
            found = pattern.search(text)
            if found and self.launch_error is None:
                self.launch_error, self.launch_path = kind, found[1].rstrip(".")
        if level in ("ERROR", "FATAL") and message.strip() != "Job not successful!":
            self.last_error = message.strip() or summarize_error(rest)


def parse_indented_counters(lines: list[str]) -> dict[tuple[str, str], int]:
    """Hadoop's counter dump: a group line, then deeper ``name=value`` lines.

    Indentation is tabs (or spaces, depending on the cluster's log layout); a line is a
    counter only when it is indented deeper than its group, as mrjob's parser decides.
    Group names lose Hadoop's trailing spaces (``Job Counters `` → ``Job Counters``).

    >>> parse_indented_counters(["\\tJob Counters ", "\\t\\tLaunched map tasks=2",
    ...                          "\\tFile System Counters", "\\t\\tFILE: Number of bytes read=0"])
    {('Job Counters', 'Launched map tasks'): 2, ('File System Counters', 'FILE: Number of bytes read'): 0}
    """
    counters: dict[tuple[str, str], int] = {}
    group, group_indent = None, -1
    for line in lines:
        counter = _COUNTER.match(line)
        if group is not None and counter and len(counter["indent"]) > group_indent:
            counters[(group, counter["name"].strip())] = int(counter["value"])
            continue
        header = _GROUP.match(line)
        if header:
            group, group_indent = header["group"].strip(), len(header["indent"])
    return counters
