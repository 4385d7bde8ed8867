// Package kms is the KMS model: symmetric encryption keys, their aliases,
// key policies and tags, and the cryptographic operations on them.
//
// Every key has 32 bytes of key material that never leave keks in the
// clear and are never stored in the clear: the record holds them sealed
// with AES-256-GCM under keks's master key (Service.MasterKey), bound to
// the key's ARN. Ciphertexts are AES-256-GCM under the key material, in a
// versioned blob that names its key (see blob.go), with the encryption
// context as additional authenticated data, so Decrypt needs no key id and
// a changed context fails to decrypt.
//
// Keys are regional, as on AWS: records live under kms/keys/<region>/ and
// kms/aliases/<region>/, and a key's record lists its aliases so that a
// key's aliases (kms:ResourceAliases, ListAliases by key) need no scan.
// Writes that touch a key and its aliases commit as one transaction.
package kms
