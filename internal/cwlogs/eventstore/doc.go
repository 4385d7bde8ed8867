// Package eventstore keeps log streams' events on disk, outside the store:
// each stream is a directory of append-only segment files, and each
// segment a run of records sorted by (timestamp, sequence number).
//
// A record is framed as [length u32][crc32c u32][timestamp i64]
// [ingestion i64][seq u64][message], little-endian, after an 8-byte file
// header. A segment accepts a batch only when the batch starts no earlier
// than the segment's last timestamp, so that every segment stays sorted; a
// batch that goes back in time opens another segment (a stream keeps a few
// such open "runs", so writers with skewed clocks do not make a file per
// batch). Readers merge the segments that overlap what they read.
//
// In memory each segment keeps its first and last key and a sparse index
// (the key and offset of a record every few KiB), rebuilt by scanning the
// files when a stream is opened: reads seek by time or position and decode
// only the blocks they need. Readers work on a snapshot of the segments
// (files only grow past it, and a removed file is skipped), so they never
// hold the stream's lock while reading; writers take it per batch.
//
// Records are written without fsync: a process crash loses nothing the
// kernel has, a power loss may lose the last writes; a torn record at a
// segment's end is cut off when the stream is opened again.
package eventstore
