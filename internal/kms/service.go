package kms

import (
	"time"

	"github.com/keksdev/keks/internal/store"
)

// Service is the KMS model over the store.
type Service struct {
	Store *store.Store
	// MasterKey (32 bytes) seals every key's material in the store; it
	// lives outside the store (see LoadOrCreateMasterKey), so that the
	// store alone decrypts nothing.
	MasterKey []byte
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}
