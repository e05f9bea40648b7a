"""The job configuration, with Hadoop's key names and deprecated aliases.

A :class:`JobConf` is a plain ``dict`` of ``-D`` settings that answers for either name of
a renamed key (``mapred.reduce.tasks`` for ``mapreduce.job.reduces``...), and exports
itself to a task's environment the way streaming's ``PipeMapRed`` does: every character
outside ``[A-Za-z0-9]`` becomes ``_``, and each deprecated alias is exported too.
"""

from __future__ import annotations

import re

from streamkit.errors import UsageError

#: new name -> deprecated name (from Hadoop's ConfigUtil), for the keys streamkit reads
#: or exports.
ALIASES = {
    "mapreduce.job.reduces": "mapred.reduce.tasks",
    "mapreduce.job.maps": "mapred.map.tasks",
    "mapreduce.job.id": "mapred.job.id",
    "mapreduce.job.name": "mapred.job.name",
    "mapreduce.job.user.name": "user.name",
    "mapreduce.task.id": "mapred.tip.id",
    "mapreduce.task.attempt.id": "mapred.task.id",
    "mapreduce.task.partition": "mapred.task.partition",
    "mapreduce.task.ismap": "mapred.task.is.map",
    "mapreduce.task.output.dir": "mapred.work.output.dir",
    "mapreduce.task.timeout": "mapred.task.timeout",
    "mapreduce.task.io.sort.mb": "io.sort.mb",
    "mapreduce.task.io.sort.factor": "io.sort.factor",
    "mapreduce.map.input.file": "map.input.file",
    "mapreduce.map.input.start": "map.input.start",
    "mapreduce.map.input.length": "map.input.length",
    "mapreduce.map.maxattempts": "mapred.map.max.attempts",
    "mapreduce.reduce.maxattempts": "mapred.reduce.max.attempts",
    "mapreduce.map.output.key.field.separator": "map.output.key.field.separator",
    "mapreduce.partition.keypartitioner.options": "mapred.text.key.partitioner.options",
    "mapreduce.partition.keycomparator.options": "mapred.text.key.comparator.options",
    "mapreduce.job.output.key.comparator.class": "mapred.output.key.comparator.class",
    "mapreduce.output.textoutputformat.separator": "mapred.textoutputformat.separator",
    "mapreduce.output.fileoutputformat.compress": "mapred.output.compress",
    "mapreduce.output.fileoutputformat.compress.codec": "mapred.output.compression.codec",
    "mapreduce.output.fileoutputformat.outputdir": "mapred.output.dir",
    "mapreduce.input.fileinputformat.inputdir": "mapred.input.dir",
    "mapreduce.input.keyvaluelinerecordreader.key.value.separator": "key.value.separator.in.input.line",
    "mapreduce.job.cache.files": "mapred.cache.files",
}
_NEW_NAME = {old: new for new, old in ALIASES.items()}
_UNSAFE = re.compile(r"[^A-Za-z0-9]")
_DECIMAL = re.compile(r"[+-]?[0-9]+")     # Long.parseLong
_HEX = re.compile(r"(-?)0[xX]([0-9a-fA-F]+)")   # Configuration.getHexDigits


def canonical(name: str) -> str:
    """The current Hadoop name of a (possibly deprecated) key."""
    return _NEW_NAME.get(name, name)


def env_name(key: str) -> str:
    """``PipeMapRed.safeEnvVarName``: every non-alphanumeric character becomes ``_``.

    >>> env_name("mapreduce.task.partition"), env_name("my.other-key")
    ('mapreduce_task_partition', 'my_other_key')
    """
    return _UNSAFE.sub("_", key)


class JobConf(dict):
    """``-D`` settings keyed by their current names; lookups accept either name."""

    def __init__(self, items=()):
        super().__init__()
        for key, value in dict(items).items():
            self[key] = value

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(canonical(key), value)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(canonical(key))

    def __contains__(self, key) -> bool:
        return super().__contains__(canonical(key))

    def get(self, key: str, default=None):
        return super().get(canonical(key), default)

    def get_int(self, key: str, default: int, minimum: int | None = None) -> int:
        """``Configuration.getInt``/``getLong``: trimmed, decimal or ``0x`` hex.

        A value Java could not parse, or one below ``minimum``, is a :class:`UsageError`
        naming the key, so a bad ``-D`` stops the command line, not a task.
        """
        value = self.get(key)
        if value is None:
            return default
        text = value.strip()
        hexa = _HEX.fullmatch(text)
        if hexa:
            number = int(hexa.group(2), 16) * (-1 if hexa.group(1) else 1)
        elif _DECIMAL.fullmatch(text):
            number = int(text)
        else:
            raise UsageError(f"-D {key}={value}: expected a whole number")
        if minimum is not None and number < minimum:
            raise UsageError(f"-D {key}={value}: must be at least {minimum}")
        return number

    def get_bool(self, key: str, default: bool) -> bool:
        """``Configuration.getBoolean``: ``true``/``false`` in any case, trimmed; empty is
        the default.  Hadoop logs a warning and uses the default for anything else;
        streamkit refuses it, so ``=yes`` never silently means the opposite."""
        value = self.get(key)
        text = "" if value is None else value.strip().lower()
        if not text:
            return default
        if text not in ("true", "false"):
            raise UsageError(f"-D {key}={value}: expected true or false")
        return text == "true"

    def get_bytes(self, key: str, default: bytes) -> bytes:
        """A separator setting, as UTF-8 bytes (Hadoop stores them as Java strings)."""
        value = self.get(key)
        return default if value is None else value.encode("utf-8", "surrogateescape")

    def environment(self) -> dict[str, str]:
        """The conf as environment variables, aliases included (later wins: new names)."""
        env = {}
        for key, value in self.items():
            old = ALIASES.get(key)
            if old:
                env[env_name(old)] = value
        for key, value in self.items():
            env[env_name(key)] = value
        return env
