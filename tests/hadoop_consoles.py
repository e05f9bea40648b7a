"""Recorded-style Hadoop 3 client consoles (`mapred streaming` stderr) for the fake cluster.

Shapes follow Hadoop 3's default console layout (``%d{ISO8601} %p %c{2}: %m``), the
counter dump's tab indentation (groups one tab, counters two; display names such as
``Job Counters `` and ``Shuffled Maps `` keep Hadoop's trailing spaces), the failed
attempt records with their Java stack traces, and StreamJob's launch errors.
"""

SUCCESS = """\
packageJobJar: [] [/opt/hadoop-3.5.0/share/hadoop/tools/lib/hadoop-streaming-3.5.0.jar] /tmp/streamjob4411.jar tmpDir=null
2026-12-02 10:00:00,123 INFO client.DefaultNoHARMFailoverProxyProvider: Connecting to ResourceManager at rm.example.com/10.0.0.5:8032
2026-12-02 10:00:00,456 INFO mapreduce.JobResourceUploader: Disabling Erasure Coding for path: /tmp/hadoop-yarn/staging/alice/.staging/job_1764669600000_0007
2026-12-02 10:00:01,012 INFO mapred.FileInputFormat: Total input files to process : 2
2026-12-02 10:00:01,101 INFO mapreduce.JobSubmitter: number of splits:2
2026-12-02 10:00:01,250 INFO mapreduce.JobSubmitter: Submitting tokens for job: job_1764669600000_0007
2026-12-02 10:00:01,251 INFO mapreduce.JobSubmitter: Executing with tokens: []
2026-12-02 10:00:01,420 INFO conf.Configuration: resource-types.xml not found
2026-12-02 10:00:01,421 INFO resource.ResourceUtils: Unable to find 'resource-types.xml'.
2026-12-02 10:00:01,530 INFO impl.YarnClientImpl: Submitted application application_1764669600000_0007
2026-12-02 10:00:01,580 INFO mapreduce.Job: The url to track the job: http://rm.example.com:8088/proxy/application_1764669600000_0007/
2026-12-02 10:00:01,581 INFO mapreduce.Job: Running job: job_1764669600000_0007
2026-12-02 10:00:08,702 INFO mapreduce.Job: Job job_1764669600000_0007 running in uber mode : false
2026-12-02 10:00:08,704 INFO mapreduce.Job:  map 0% reduce 0%
2026-12-02 10:00:13,790 INFO mapreduce.Job:  map 100% reduce 0%
2026-12-02 10:00:18,830 INFO mapreduce.Job:  map 100% reduce 100%
2026-12-02 10:00:19,845 INFO mapreduce.Job: Job job_1764669600000_0007 completed successfully
2026-12-02 10:00:19,950 INFO mapreduce.Job: Counters: 39
\tFile System Counters
\t\tFILE: Number of bytes read=90
\t\tFILE: Number of bytes written=1376244
\t\tFILE: Number of read operations=0
\t\tFILE: Number of large read operations=0
\t\tFILE: Number of write operations=0
\t\tHDFS: Number of bytes read=241
\t\tHDFS: Number of bytes written=22
\t\tHDFS: Number of read operations=21
\t\tHDFS: Number of large read operations=0
\t\tHDFS: Number of write operations=6
\tJob Counters 
\t\tLaunched map tasks=2
\t\tLaunched reduce tasks=3
\t\tData-local map tasks=2
\t\tTotal time spent by all maps in occupied slots (ms)=5210
\t\tTotal time spent by all reduces in occupied slots (ms)=9822
\tMap-Reduce Framework
\t\tMap input records=5
\t\tMap output records=9
\t\tMap output bytes=54
\t\tMap output materialized bytes=90
\t\tInput split bytes=200
\t\tCombine input records=0
\t\tCombine output records=0
\t\tReduce input groups=3
\t\tReduce shuffle bytes=90
\t\tReduce input records=9
\t\tReduce output records=3
\t\tSpilled Records=18
\t\tShuffled Maps =6
\t\tFailed Shuffles=0
\t\tMerged Map outputs=6
\t\tGC time elapsed (ms)=110
\t\tCPU time spent (ms)=2130
\tShuffle Errors
\t\tBAD_ID=0
\t\tCONNECTION=0
\t\tIO_ERROR=0
\t\tWRONG_LENGTH=0
\tWordCount
\t\tWords=9
\tFile Input Format Counters 
\t\tBytes Read=41
\tFile Output Format Counters 
\t\tBytes Written=22
2026-12-02 10:00:19,951 INFO streaming.StreamJob: Output directory: hdfs://nn.example.com:8020/user/alice/out
"""

_STACK = """\
\tat org.apache.hadoop.streaming.PipeMapRed.waitOutputThreads(PipeMapRed.java:326)
\tat org.apache.hadoop.streaming.PipeMapRed.mapRedFinished(PipeMapRed.java:539)
\tat org.apache.hadoop.streaming.PipeMapper.close(PipeMapper.java:130)
\tat org.apache.hadoop.mapred.MapRunner.run(MapRunner.java:61)
\tat org.apache.hadoop.streaming.PipeMapRunner.run(PipeMapRunner.java:34)
\tat org.apache.hadoop.mapred.MapTask.runOldMapper(MapTask.java:466)
\tat org.apache.hadoop.mapred.MapTask.run(MapTask.java:350)
\tat org.apache.hadoop.mapred.YarnChild$2.run(YarnChild.java:178)
\tat java.base/java.security.AccessController.doPrivileged(Native Method)
\tat java.base/javax.security.auth.Subject.doAs(Subject.java:439)
\tat org.apache.hadoop.security.UserGroupInformation.doAs(UserGroupInformation.java:1953)
\tat org.apache.hadoop.mapred.YarnChild.main(YarnChild.java:172)

"""


def _attempt(n: int, second: str) -> str:
    return (f"2026-12-02 11:00:{12 + 4 * n:02d},790 INFO mapreduce.Job: Task Id : "
            f"attempt_1764669600000_0008_m_000000_{n}, Status : FAILED\n"
            "Error: java.lang.RuntimeException: PipeMapRed.waitOutputThreads(): subprocess failed "
            f"with code {second}\n" + _STACK)


FAILED = """\
2026-12-02 11:00:01,530 INFO impl.YarnClientImpl: Submitted application application_1764669600000_0008
2026-12-02 11:00:01,580 INFO mapreduce.Job: The url to track the job: http://rm.example.com:8088/proxy/application_1764669600000_0008/
2026-12-02 11:00:01,581 INFO mapreduce.Job: Running job: job_1764669600000_0008
2026-12-02 11:00:08,702 INFO mapreduce.Job: Job job_1764669600000_0008 running in uber mode : false
2026-12-02 11:00:08,704 INFO mapreduce.Job:  map 0% reduce 0%
""" + "".join(_attempt(n, "1") for n in range(3)) + _attempt(3, "2") + """\
2026-12-02 11:00:30,000 INFO mapreduce.Job:  map 100% reduce 100%
2026-12-02 11:00:30,010 INFO mapreduce.Job: Job job_1764669600000_0008 failed with state FAILED due to: Task failed task_1764669600000_0008_m_000000
Job failed as tasks failed. failedMaps:1 failedReduces:0 killedMaps:0 killedReduces: 0

2026-12-02 11:00:30,100 INFO mapreduce.Job: Counters: 8
\tJob Counters 
\t\tFailed map tasks=4
\t\tKilled map tasks=1
\t\tKilled reduce tasks=3
\t\tLaunched map tasks=5
\t\tOther local map tasks=3
\t\tData-local map tasks=2
\t\tTotal time spent by all maps in occupied slots (ms)=20211
\t\tTotal time spent by all reduces in occupied slots (ms)=0
2026-12-02 11:00:30,101 ERROR streaming.StreamJob: Job not successful!
Streaming Command Failed!
"""

OUTPUT_EXISTS = """\
2026-12-02 12:00:00,123 INFO client.DefaultNoHARMFailoverProxyProvider: Connecting to ResourceManager at rm.example.com/10.0.0.5:8032
2026-12-02 12:00:00,456 INFO mapreduce.JobResourceUploader: Disabling Erasure Coding for path: /tmp/hadoop-yarn/staging/alice/.staging/job_1764669600000_0009
2026-12-02 12:00:00,500 INFO mapreduce.JobResourceUploader: Cleaning up the staging area /tmp/hadoop-yarn/staging/alice/.staging/job_1764669600000_0009
2026-12-02 12:00:00,510 ERROR streaming.StreamJob: Error Launching job : Output directory hdfs://nn.example.com:8020/user/alice/out already exists
Streaming Command Failed!
"""

INPUT_MISSING = """\
2026-12-02 12:05:00,123 INFO client.DefaultNoHARMFailoverProxyProvider: Connecting to ResourceManager at rm.example.com/10.0.0.5:8032
2026-12-02 12:05:00,500 INFO mapreduce.JobResourceUploader: Cleaning up the staging area /tmp/hadoop-yarn/staging/alice/.staging/job_1764669600000_0010
2026-12-02 12:05:00,510 ERROR streaming.StreamJob: Error Launching job : Input path does not exist: hdfs://nn.example.com:8020/user/alice/nope
Streaming Command Failed!
"""

#: a task that could not start its program (no exec bit on the node): the reason is the
#: deepest "Caused by" of the attempt's trace
CANNOT_RUN = """\
2026-12-02 13:00:01,581 INFO mapreduce.Job: Running job: job_1764669600000_0011
2026-12-02 13:00:12,790 INFO mapreduce.Job: Task Id : attempt_1764669600000_0011_m_000001_0, Status : FAILED
Error: java.lang.RuntimeException: Error in configuring object
\tat org.apache.hadoop.util.ReflectionUtils.setJobConf(ReflectionUtils.java:113)
\tat org.apache.hadoop.mapred.MapTask.runOldMapper(MapTask.java:434)
Caused by: java.lang.reflect.InvocationTargetException
\tat jdk.internal.reflect.GeneratedMethodAccessor3.invoke(Unknown Source)
\t... 9 more
Caused by: java.lang.RuntimeException: configuration exception
\tat org.apache.hadoop.streaming.PipeMapRed.configure(PipeMapRed.java:222)
\t... 17 more
Caused by: java.io.IOException: Cannot run program "/data/yarn/nm/usercache/alice/appcache/application_1764669600000_0011/container_1764669600000_0011_01_000003/./m.py": error=13, Permission denied
\tat java.base/java.lang.ProcessBuilder.start(ProcessBuilder.java:1143)
\t... 23 more

2026-12-02 13:00:30,010 INFO mapreduce.Job: Job job_1764669600000_0011 failed with state FAILED due to: Task failed task_1764669600000_0011_m_000001
2026-12-02 13:00:30,101 ERROR streaming.StreamJob: Job not successful!
Streaming Command Failed!
"""

#: Hadoop 2 layout (yy/MM/dd, space indentation), as in mrjob's recorded step logs
HADOOP2_SUCCESS = """\
15/12/11 13:32:44 INFO impl.YarnClientImpl: Submitted application application_1449857544442_0002
15/12/11 13:32:44 INFO mapreduce.Job: The url to track the job: http://0a7802e19139:8088/proxy/application_1449857544442_0002/
15/12/11 13:32:44 INFO mapreduce.Job: Running job: job_1449857544442_0002
15/12/11 13:33:11 INFO mapreduce.Job:  map 100% reduce 100%
15/12/11 13:33:11 INFO mapreduce.Job: Job job_1449857544442_0002 completed successfully
15/12/11 13:33:11 INFO mapreduce.Job: Counters: 3
        File Input Format Counters 
                Bytes Read=2102
        Map-Reduce Framework
                Map input records=2
                Map output records=2
15/12/11 13:33:11 INFO streaming.StreamJob: Output directory: hdfs:///user/root/tmp/mrjob/mr_wc.root.20151211.181326.984074/output
"""
