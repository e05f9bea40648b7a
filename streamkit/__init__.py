"""streamkit: run Hadoop Streaming mapper/reducer scripts locally, byte-identical to Hadoop."""

__version__ = "0.1.0"
