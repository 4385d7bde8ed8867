// Package cwlogs is the CloudWatch Logs model: log groups and streams,
// their events, retention, tags, and the searches GetLogEvents and
// FilterLogEvents make (with CloudWatch's filter patterns, package
// filterpattern).
//
// # Where things are
//
// Groups and streams are records in keks's store: logs/groups/<account>/
// <region>/<name>, and logs/streams/<group id>/<name>, the group id being
// new for every group made. Writes of several records (a stream and the
// group it depends on, EnsureLogStream's group and stream) commit as one
// transaction.
//
// Events never go to the store: they are on disk under Dir, one directory
// per group and one per stream (<Dir>/<group id>/<stream id>), in
// append-only segment files (package eventstore) whose small in-memory
// index is rebuilt by Open. storedBytes is what those files take.
// Tokens of GetLogEvents ("f/…", "b/…") and FilterLogEvents name a place
// in the order of events, not a file, so they survive writes, retention
// and restarts.
//
// # Bounds
//
// Run, started by the server and ended with its context, applies each
// group's retention and the per-group byte cap (GroupByteCap, 256 MiB by
// default, oldest segments first) every SweepInterval, and soon after a
// write takes a group past its cap. Deleting a group or a stream removes
// its files at once.
//
// # Shipping keks's own logs
//
// Code in keks writes events without going through the API:
//
//	err := logs.EnsureLogStream(ctx, account, region, "/aws/eks/demo/cluster", "kube-apiserver-a")
//	err = logs.Append(ctx, account, region, "/aws/eks/demo/cluster", "kube-apiserver-a",
//		[]cwlogs.Event{{Timestamp: t, Message: line}})
//
// EnsureLogStream makes the group (no retention, no tags) and the stream
// when they are missing, and does nothing when they exist. Append takes
// events in any order (it sorts them by timestamp), ingests them now, and
// applies CloudWatch's rules as PutLogEvents does, without its batch
// limits: events older than 14 days or than the group's retention, more
// than 2 hours ahead, empty or over 1 MiB are dropped, and the error is
// then a *DroppedEventsError counting them by reason (the other events
// are stored). A missing group or stream is a ResourceNotFoundException.
package cwlogs
