#!/usr/bin/env python3
"""MalStone A as an MRJob: the same map and reduce logic as jobs/malstone/a_*.py.

Map: a record ``event_id|timestamp|site_id|flag|entity_id`` gives ``site<TAB>flag``;
lines without exactly five fields are skipped and counted (``MalStone, malformed
records``).  Reduce: per site, visits, hits (flag ``1``) and hits/visits as Python's
repr.  Raw protocols keep the text as it is, so the output equals the pipeline's.

    python3 mrjob_malstone_a.py -r local --num-cores 2 -o OUT DATA
"""
from mrjob.job import MRJob
from mrjob.protocol import RawProtocol, RawValueProtocol


class MalStoneA(MRJob):
    INPUT_PROTOCOL = RawValueProtocol
    INTERNAL_PROTOCOL = RawProtocol
    OUTPUT_PROTOCOL = RawProtocol

    def mapper(self, _, line):
        fields = line.split('|')
        if len(fields) == 5:
            yield fields[2], fields[3]
        else:
            self.increment_counter('MalStone', 'malformed records')

    def reducer(self, site, flags):
        visits = hits = 0
        for flag in flags:
            visits += 1
            if flag == '1':
                hits += 1
        yield site, '%d\t%d\t%r' % (visits, hits, hits / visits)


if __name__ == '__main__':
    MalStoneA.run()
