"""The job configuration, with Hadoop's key names and deprecated aliases.

A :class:`JobConf` is a plain ``dict`` of ``-D`` settings stored under their current names
(``mapred.reduce.tasks`` is kept as ``mapreduce.job.reduces``, as ``Configuration.set``
stores it) that answers for either name, and exports itself to a task's environment the
way streaming's ``PipeMapRed`` does: every character outside ``[A-Za-z0-9]`` becomes ``_``.
The deprecated aliases of a key are exported only for the keys the task itself sets
(``map_input_file``...), since ``setDeprecatedProperties`` copies only what was ``set``
after the job file was loaded.
"""

from __future__ import annotations

import os
import re

from streamkit.errors import UsageError
from streamkit.hadoop_defaults import DEFAULTS, DEPRECATED

#: new name -> its deprecated names (Hadoop's deprecation table).
ALIASES: dict[str, tuple[str, ...]] = {}
for _old, _new in sorted(DEPRECATED.items()):
    ALIASES[_new] = ALIASES.get(_new, ()) + (_old,)
_NEW_NAME = DEPRECATED
_UNSAFE = re.compile(r"[^A-Za-z0-9]")
_VAR = re.compile(r"\$\{([^${}]+)\}")
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

    def environment(self, aliases: bool = False) -> dict[str, str]:
        """The conf as environment variables; with ``aliases``, each key's deprecated names
        too (what ``setDeprecatedProperties`` adds for keys set in the task)."""
        env = {}
        for key, value in self.items():
            if aliases:
                for old in ALIASES.get(key, ()):
                    env[env_name(old)] = value
            env[env_name(key)] = value
        return env


def expand(conf: dict[str, str], system: dict[str, str]) -> dict[str, str]:
    """``Configuration.get``'s variable expansion, for every value that has a ``${..}``.

    ``${name}`` is another key or a Java system property (``system``: ``user.name``...),
    ``${env.NAME}`` / ``${env.NAME:-default}`` an environment variable; what cannot be
    resolved stays as written; at most 20 rounds, as Hadoop's ``MAX_SUBST``.
    """
    def one(match: re.Match) -> str:
        name = match.group(1)
        if name.startswith("env."):
            var, _, default = name[4:].partition(":-")
            value = os.environ.get(var)
            return value if value else (default if ":-" in name else match.group(0))
        value = conf.get(name, system.get(name))
        return match.group(0) if value is None else value

    out = dict(conf)
    for key, value in conf.items():
        if "${" in value:
            for _ in range(20):
                new = _VAR.sub(one, value)
                if new == value:
                    break
                value = new
            out[key] = value
    return out


def hadoop_defaults() -> dict[str, str]:
    """A fresh copy of the properties every Hadoop 3.5 job starts from (raw values)."""
    return dict(DEFAULTS)
