"""JobSpec: everything a run needs, resolved once from the command line and ``-D`` conf.

Nothing downstream re-reads the conf for semantics: separators, key fields, partitioner,
comparator and attempt limits are all fields here, with Hadoop's defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from streamkit.conf import JobConf
from streamkit.errors import UsageError

KFB_COMPARATORS = {
    "org.apache.hadoop.mapreduce.lib.partition.KeyFieldBasedComparator",
    "org.apache.hadoop.mapred.lib.KeyFieldBasedComparator",
}
TEXT_COMPARATORS = {"org.apache.hadoop.io.Text$Comparator", "org.apache.hadoop.io.Text.Comparator"}
PARTITIONERS = {
    "org.apache.hadoop.mapred.lib.HashPartitioner": "hash",
    "org.apache.hadoop.mapreduce.lib.partition.HashPartitioner": "hash",
    "org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner": "keyfield",
    "org.apache.hadoop.mapreduce.lib.partition.KeyFieldBasedPartitioner": "keyfield",
}
INPUT_FORMATS = {
    "TextInputFormat": "text", "org.apache.hadoop.mapred.TextInputFormat": "text",
    "KeyValueTextInputFormat": "keyvalue", "org.apache.hadoop.mapred.KeyValueTextInputFormat": "keyvalue",
}
CODECS = {
    "org.apache.hadoop.io.compress.GzipCodec": ".gz",
    "org.apache.hadoop.io.compress.BZip2Codec": ".bz2",
    "org.apache.hadoop.io.compress.ZStandardCodec": ".zst",
    "org.apache.hadoop.io.compress.DefaultCodec": ".deflate",
}


@dataclass(frozen=True)
class JobSpec:
    inputs: tuple[str, ...]
    output: str
    mapper: str | None = None            # None: identity (records pass through)
    reducer: str | None = None           # None: identity reducer
    combiner: str | None = None
    num_reducers: int = 1
    conf: JobConf = field(default_factory=JobConf)
    files: tuple[tuple[str, str], ...] = ()  # (source path, link name in the task cwd)
    cmdenv: tuple[tuple[str, str], ...] = ()
    partitioner: str = "hash"
    input_format: str = "text"
    lazy_output: bool = False
    verbose: bool = False
    # streamkit's own knobs
    jobs: int = 0                       # 0: all cores
    memory: int = 100 << 20             # sort buffer per task (mapreduce.task.io.sort.mb)
    tmpdir: str | None = None
    progress: bool | None = None        # None: only on a TTY
    stats: str | None = None
    shuffle_values: bool = False
    seed: int | None = None
    log: str | None = None
    clean_stale: bool = False

    # ---- resolved settings (Hadoop names in comments) ----
    @property
    def map_output_sep(self) -> bytes:          # stream.map.output.field.separator
        return self.conf.get_bytes("stream.map.output.field.separator", b"\t")

    @property
    def map_key_fields(self) -> int:            # stream.num.map.output.key.fields
        return self.conf.get_int("stream.num.map.output.key.fields", 1)

    @property
    def reduce_input_sep(self) -> bytes:        # stream.reduce.input.field.separator
        return self.conf.get_bytes("stream.reduce.input.field.separator", b"\t")

    @property
    def reduce_output_sep(self) -> bytes:       # stream.reduce.output.field.separator
        return self.conf.get_bytes("stream.reduce.output.field.separator", b"\t")

    @property
    def reduce_key_fields(self) -> int:         # stream.num.reduce.output.key.fields
        return self.conf.get_int("stream.num.reduce.output.key.fields", 1)

    @property
    def output_sep(self) -> bytes:              # mapreduce.output.textoutputformat.separator
        return self.conf.get_bytes("mapreduce.output.textoutputformat.separator", b"\t")

    @property
    def key_field_sep(self) -> bytes:           # mapreduce.map.output.key.field.separator
        return self.conf.get_bytes("mapreduce.map.output.key.field.separator", b"\t")

    @property
    def map_input_sep(self) -> bytes:           # stream.map.input.field.separator
        return self.conf.get_bytes("stream.map.input.field.separator", b"\t")

    @property
    def keyvalue_sep(self) -> bytes:            # ...keyvaluelinerecordreader.key.value.separator
        return self.conf.get_bytes("mapreduce.input.keyvaluelinerecordreader.key.value.separator", b"\t")

    @property
    def map_output_keyonly(self) -> bool:       # stream.map.output=keyonlytext
        return self.conf.get("stream.map.output", "text") == "keyonlytext"

    @property
    def reduce_output_keyonly(self) -> bool:    # stream.reduce.output=keyonlytext
        return self.conf.get("stream.reduce.output", "text") == "keyonlytext"

    @property
    def partitioner_options(self) -> str:       # mapreduce.partition.keypartitioner.options
        opts = self.conf.get("mapreduce.partition.keypartitioner.options")
        if opts is None and "num.key.fields.for.partition" in self.conf:
            opts = f"-k1,{self.conf['num.key.fields.for.partition']}"
        return opts or ""

    @property
    def comparator_options(self) -> str | None:
        """KeyFieldBasedComparator options, or None for Hadoop's default byte order."""
        cls = self.conf.get("mapreduce.job.output.key.comparator.class")
        if cls is None or cls in TEXT_COMPARATORS:
            return None
        if cls not in KFB_COMPARATORS:
            raise UsageError(f"-D mapreduce.job.output.key.comparator.class={cls}: streamkit "
                             "emulates only KeyFieldBasedComparator and Text's byte order")
        return self.conf.get("mapreduce.partition.keycomparator.options", "")

    @property
    def non_zero_exit_is_failure(self) -> bool:  # stream.non.zero.exit.is.failure
        return self.conf.get_bool("stream.non.zero.exit.is.failure", True)

    @property
    def reporter_prefix(self) -> str:           # stream.stderr.reporter.prefix
        return self.conf.get("stream.stderr.reporter.prefix", "reporter:")

    @property
    def map_attempts(self) -> int:              # mapreduce.map.maxattempts
        return max(1, self.conf.get_int("mapreduce.map.maxattempts", 4))

    @property
    def reduce_attempts(self) -> int:           # mapreduce.reduce.maxattempts
        return max(1, self.conf.get_int("mapreduce.reduce.maxattempts", 4))

    @property
    def skip_broken_pipe(self) -> bool:         # stream.minRecWrittenToEnableSkip_
        return self.conf.get("stream.minRecWrittenToEnableSkip_") == "0"

    @property
    def task_timeout(self) -> float:            # mapreduce.task.timeout (ms; 0 = never)
        return self.conf.get_int("mapreduce.task.timeout", 600000) / 1000.0

    @property
    def output_suffix(self) -> str:             # ...fileoutputformat.compress(.codec)
        if not self.conf.get_bool("mapreduce.output.fileoutputformat.compress", False):
            return ""
        codec = self.conf.get("mapreduce.output.fileoutputformat.compress.codec",
                              "org.apache.hadoop.io.compress.DefaultCodec")
        if codec not in CODECS:
            raise UsageError(f"-D mapreduce.output.fileoutputformat.compress.codec={codec}: "
                             f"supported codecs are {', '.join(sorted(CODECS))}")
        return CODECS[codec]

    @property
    def workers(self) -> int:
        return self.jobs or os.cpu_count() or 1

    def validate(self, cluster: bool = False) -> "JobSpec":
        """Raise :class:`UsageError` for settings that cannot work; return self.

        ``cluster=True`` skips what only the local emulation cannot do (Java classes,
        codecs, ``stream.map.input.ignoreKey``): a real cluster handles those.
        """
        if not self.inputs:
            raise UsageError("no -input given; name at least one input file, directory or glob")
        if not self.output:
            raise UsageError("no -output given; name a directory that does not exist yet (or - for stdout)")
        if self.num_reducers < 0:
            raise UsageError(f"-numReduceTasks {self.num_reducers}: must be >= 0")
        for name, value in (("stream.num.map.output.key.fields", self.map_key_fields),
                            ("stream.num.reduce.output.key.fields", self.reduce_key_fields)):
            if value < 1:
                raise UsageError(f"-D {name}={value}: must be >= 1")
        for name, sep in (("stream.map.output.field.separator", self.map_output_sep),
                          ("stream.reduce.output.field.separator", self.reduce_output_sep)):
            if not sep:
                raise UsageError(f"-D {name} is empty; give a separator such as a tab")
        if cluster:
            return self
        if self.conf.get("stream.map.input.ignoreKey", "true").lower() == "false":
            raise UsageError("-D stream.map.input.ignoreKey=false is not supported; "
                             "the mapper reads the lines only, as with Hadoop's default")
        self.comparator_options  # noqa: B018 - validates the comparator class
        self.output_suffix  # noqa: B018 - validates the codec
        return self
