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
#: ``stream.{map,reduce}.{input,output}`` ids streamkit emulates (IdentifierResolver, case-insensitive)
IO_IDS = ("text", "keyonlytext")
IO_KEYS = ("stream.map.input", "stream.map.output", "stream.reduce.input", "stream.reduce.output")
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
    mapper: str | None = None            # None: IdentityMapper (Hadoop's default mapper)
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
    seed: int | None = None             # --shuffle-values and --sample
    sample: float = 1.0                 # --sample: fraction of input records kept
    merge_previous: str | None = None   # --merge-previous DIR: a previous run's output
    total_order: bool = False           # --total-order: sampled range partitioning
    log: str | None = None
    clean_stale: bool = False

    # ---- resolved settings (Hadoop names in comments) ----
    @property
    def map_output_sep(self) -> bytes:          # stream.map.output.field.separator
        return self.conf.get_bytes("stream.map.output.field.separator", b"\t")

    @property
    def map_key_fields(self) -> int:            # stream.num.map.output.key.fields
        return self.conf.get_int("stream.num.map.output.key.fields", 1, minimum=1)

    @property
    def reduce_input_sep(self) -> bytes:        # stream.reduce.input.field.separator
        return self.conf.get_bytes("stream.reduce.input.field.separator", b"\t")

    @property
    def reduce_output_sep(self) -> bytes:       # stream.reduce.output.field.separator
        return self.conf.get_bytes("stream.reduce.output.field.separator", b"\t")

    @property
    def reduce_key_fields(self) -> int:         # stream.num.reduce.output.key.fields
        return self.conf.get_int("stream.num.reduce.output.key.fields", 1, minimum=1)

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

    def io_id(self, key: str) -> str:           # stream.{map,reduce}.{input,output}
        return self.conf.get(key, "text").lower()

    @property
    def map_input_keyonly(self) -> bool:        # stream.map.input=keyonlytext
        return self.io_id("stream.map.input") == "keyonlytext"

    @property
    def map_output_keyonly(self) -> bool:       # stream.map.output=keyonlytext
        return self.io_id("stream.map.output") == "keyonlytext"

    @property
    def reduce_input_keyonly(self) -> bool:     # stream.reduce.input=keyonlytext
        return self.io_id("stream.reduce.input") == "keyonlytext"

    @property
    def reduce_output_keyonly(self) -> bool:    # stream.reduce.output=keyonlytext
        return self.io_id("stream.reduce.output") == "keyonlytext"

    @property
    def map_input_key(self) -> bool:
        """Whether the mapper reads the input key (PipeMapper's ``!ignoreKey``).

        ``KeyOnlyTextInputWriter`` writes the key alone, always; ``TextInputWriter`` writes
        ``key SEP value`` unless ``stream.map.input.ignoreKey`` (Java ``getBoolean``),
        whose default is true for TextInputFormat only.
        """
        if self.map_input_keyonly:
            return True
        return not self.conf.get_bool("stream.map.input.ignoreKey", self.input_format == "text")

    @property
    def offset_keys(self) -> bool:
        """IdentityMapper over TextInputFormat: map output keys are byte offsets (LongWritable)."""
        return self.mapper is None and self.input_format == "text"

    @property
    def partitioner_options(self) -> str:       # mapreduce.partition.keypartitioner.options
        opts = self.conf.get("mapreduce.partition.keypartitioner.options")
        if opts is None and "num.key.fields.for.partition" in self.conf:
            opts = f"-k1,{self.conf.get_int('num.key.fields.for.partition', 0)}"
        return opts or ""

    @property
    def sort_factor(self) -> int:               # mapreduce.task.io.sort.factor
        return self.conf.get_int("mapreduce.task.io.sort.factor", 64, minimum=2)

    @property
    def split_min_size(self) -> int:            # mapreduce.input.fileinputformat.split.minsize
        return max(1, self.conf.get_int("mapreduce.input.fileinputformat.split.minsize", 0, minimum=0))

    @property
    def local_block_size(self) -> int:          # fs.local.block.size (old-API split cap)
        return self.conf.get_int("fs.local.block.size", 32 << 20, minimum=1)

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
        return max(1, self.conf.get_int("mapreduce.map.maxattempts", 4))  # Hadoop: <1 runs one

    @property
    def reduce_attempts(self) -> int:           # mapreduce.reduce.maxattempts
        return max(1, self.conf.get_int("mapreduce.reduce.maxattempts", 4))

    @property
    def skip_broken_pipe(self) -> bool:         # stream.minRecWrittenToEnableSkip_
        # Hadoop skips once numRecWritten_ >= the setting (default Long.MAX_VALUE); streamkit
        # emulates the setting that matters, <= 0: the first broken pipe is swallowed.
        return self.conf.get_int("stream.minRecWrittenToEnableSkip_", (1 << 63) - 1) <= 0

    @property
    def task_timeout(self) -> float:            # mapreduce.task.timeout (ms; <= 0 = never)
        return max(0, self.conf.get_int("mapreduce.task.timeout", 600000)) / 1000.0

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

        This is the one place ``-D`` values are checked: every property above is read
        here, so a value a task would choke on (``mapreduce.task.timeout=abc``, a bad
        ``-k``) stops the command line with exit 2 before anything runs, instead of
        failing every attempt of every task.  ``cluster=True`` (``streamkit hadoop``)
        skips what only the local emulation cannot do: other comparator classes, codecs
        and binary stream formats are the cluster's to resolve.
        """
        if not self.inputs:
            raise UsageError("no -input given; name at least one input file, directory or glob")
        if not self.output:
            raise UsageError("no -output given; name a directory that does not exist yet (or - for stdout)")
        if self.num_reducers < 0:
            raise UsageError(f"-numReduceTasks {self.num_reducers}: must be >= 0")
        if self.jobs < 0:
            raise UsageError(f"--jobs {self.jobs}: must be at least 1 (or 0 for all cores)")
        if not 0 < self.sample <= 1:
            raise UsageError(f"--sample {self.sample:g}: give the fraction of input records to "
                             "keep, above 0 and at most 1 (e.g. --sample 0.01)")
        self._check_conveniences()
        if self.memory < 1:
            raise UsageError("--memory 0: give a sort buffer size such as 256M")
        for prop in _properties():
            if not (cluster and prop in _EMULATED):
                getattr(self, prop)  # each parses its -D values or raises UsageError
        for name, sep in (("stream.map.output.field.separator", self.map_output_sep),
                          ("stream.reduce.output.field.separator", self.reduce_output_sep)):
            if not sep:
                raise UsageError(f"-D {name} is empty; give a separator such as a tab")
        if not cluster:
            for key in IO_KEYS:
                if self.io_id(key) not in IO_IDS:
                    raise UsageError(f"-D {key}={self.conf.get(key)}: streamkit reads and writes "
                                     "text and keyonlytext only (rawbytes and typedbytes are binary "
                                     "formats it does not emulate)")
        if self.input_format == "keyvalue" and not self.keyvalue_sep:
            raise UsageError("-D mapreduce.input.keyvaluelinerecordreader.key.value.separator "
                             "is empty; give a separator such as a tab")
        self._check_key_options(cluster)
        return self

    def _check_conveniences(self) -> None:
        """--merge-previous and --total-order need a reduce phase (and what it implies)."""
        if self.merge_previous is not None:
            if self.num_reducers == 0:
                raise UsageError("--merge-previous feeds a previous output to the reducers, and "
                                 "this job is map-only (-reducer NONE or 0 reducers); drop it")
            if self.reducer is not None and self.reducer.startswith("org.apache.hadoop.mapred.lib.aggregate"):
                raise UsageError("--merge-previous cannot feed -reducer aggregate its own output "
                                 "(it reads TYPE:key lines, it writes key lines); use a streaming "
                                 "reducer that accepts its own output")
            if not self.reduce_output_keyonly and self.output_sep != (
                    self.reduce_output_sep if self.reducer is not None else self.map_output_sep):
                raise UsageError("--merge-previous reads the previous part files back as the reducer "
                                 "wrote them, and -D mapreduce.output.textoutputformat.separator differs "
                                 "from the reducer's output separator; drop one of the two")
        if self.total_order:
            if self.num_reducers == 0:
                raise UsageError("--total-order range-partitions map output between reducers, and "
                                 "this job is map-only (-reducer NONE or 0 reducers); drop it")
            if self.partitioner != "hash" or "num.key.fields.for.partition" in self.conf:
                raise UsageError("--total-order is the partitioner (range partitions from sampled "
                                 "keys); drop -partitioner / num.key.fields.for.partition")

    def _check_key_options(self, cluster: bool = False) -> None:
        """Parse the ``-k`` options a task would parse (KeyFieldHelper throws at job setup)."""
        from streamkit.keyfields import parse_options

        checks = []
        if cluster and self.conf.get("mapreduce.job.output.key.comparator.class") not in KFB_COMPARATORS:
            pass  # the cluster's own comparator class reads its own options
        elif self.comparator_options is not None:
            checks.append(("mapreduce.partition.keycomparator.options", self.comparator_options))
        if self.partitioner == "keyfield" and self.num_reducers > 1:
            checks.append(("mapreduce.partition.keypartitioner.options", self.partitioner_options))
        for name, options in checks:
            try:
                parse_options(options or None)
            except UsageError as exc:
                raise UsageError(f"-D {name}={options}: {exc}") from None


#: properties that refuse what only streamkit's emulation lacks (a cluster has it)
_EMULATED = {"comparator_options", "output_suffix"}


def _properties() -> list[str]:
    """The resolved settings of :class:`JobSpec`: every property, so none is missed."""
    return [name for name, value in vars(JobSpec).items() if isinstance(value, property)]
