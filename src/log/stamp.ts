// The stamp: what the partition writes in front of each record's tail (log/record.ts) when it stores it,
// `{"offset":<offset>,"timestamp":<ms>,`. log/batch.ts writes it; the router counts it when it checks that a record's
// stored JSON fits a row. Offsets and timestamps are non-negative safe integers: at most 16 decimal digits each.

export const OFFSET_PREFIX = '{"offset":';
export const TIMESTAMP_PREFIX = ',"timestamp":';

/** The most a record adds to its tail when stored: both prefixes, two 16-digit numbers, the comma after the timestamp,
 *  and the comma that separates it from the record before it in a batch (10 + 16 + 13 + 16 + 1 + 1 = 57 bytes). */
export const MAX_STAMP_BYTES = OFFSET_PREFIX.length + 16 + TIMESTAMP_PREFIX.length + 16 + 1 + 1;
