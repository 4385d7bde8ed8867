// Package store keeps all of keks's state in etcd: an embedded single-member
// etcd by default, or an external cluster. Values are JSON; updates are
// compare-and-swap on the key's mod revision.
package store
