// Package store keeps all of keks's state in etcd: an embedded single-member
// etcd by default (TLS on loopback, client certificates of a store CA of its
// own), or an external cluster. Values are JSON; updates are
// compare-and-swap on the key's mod revision. Secret fields are sealed with
// the data directory's seal key (Sealer, UseSealKey) by the packages that
// own them.
package store
