package controlplane

import (
	"context"
	"errors"
	"fmt"

	"github.com/keksdev/keks/internal/pki"
	"github.com/keksdev/keks/internal/store"
)

// Secrets are a cluster's long-lived keys, kept in the store so that the
// files on disk can always be made again.
type Secrets struct {
	CACert         []byte
	CAKey          []byte
	EtcdCACert     []byte
	EtcdCAKey      []byte
	FrontProxyCert []byte
	FrontProxyKey  []byte
	ServiceAcctKey []byte
}

// storedSecrets are Secrets as the store keeps them: certificates as they
// are, private keys sealed with the store's seal key. Older keks kept the
// keys in the clear, as base64 under the same names; those still read.
type storedSecrets struct {
	CACert         []byte `json:"caCert"`
	CAKey          string `json:"caKey"`
	EtcdCACert     []byte `json:"etcdCaCert"`
	EtcdCAKey      string `json:"etcdCaKey"`
	FrontProxyCert []byte `json:"frontProxyCaCert"`
	FrontProxyKey  string `json:"frontProxyCaKey"`
	ServiceAcctKey string `json:"serviceAccountKey"`
}

func secretsKey(uid string) string { return secretsPrefix + uid }

const secretsPrefix = "controlplane/secrets/"

// sealedKey pairs a stored key field with its plain counterpart; field
// (the JSON name) makes each sealed value open only in its own place.
type sealedKey struct {
	field  string
	stored *string
	plain  *[]byte
}

func keyFields(st *storedSecrets, sec *Secrets) []sealedKey {
	return []sealedKey{
		{"caKey", &st.CAKey, &sec.CAKey},
		{"etcdCaKey", &st.EtcdCAKey, &sec.EtcdCAKey},
		{"frontProxyCaKey", &st.FrontProxyKey, &sec.FrontProxyKey},
		{"serviceAccountKey", &st.ServiceAcctKey, &sec.ServiceAcctKey},
	}
}

func sealSecrets(s *store.Store, uid string, sec *Secrets) *storedSecrets {
	st := &storedSecrets{CACert: sec.CACert, EtcdCACert: sec.EtcdCACert, FrontProxyCert: sec.FrontProxyCert}
	for _, f := range keyFields(st, sec) {
		*f.stored = s.SealBytes(*f.plain, secretsKey(uid)+"#"+f.field)
	}
	return st
}

func openSecrets(s *store.Store, uid string, st *storedSecrets) (*Secrets, error) {
	sec := &Secrets{CACert: st.CACert, EtcdCACert: st.EtcdCACert, FrontProxyCert: st.FrontProxyCert}
	for _, f := range keyFields(st, sec) {
		plain, err := s.UnsealBytes(*f.stored, secretsKey(uid)+"#"+f.field)
		if err != nil {
			return nil, fmt.Errorf("secrets of cluster %s: %w", uid, err)
		}
		*f.plain = plain
	}
	return sec, nil
}

func ensureSecrets(ctx context.Context, s *store.Store, uid, name string) (*Secrets, error) {
	if sec, err := LoadSecrets(ctx, s, uid); err == nil {
		return sec, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	ca, err := pki.NewCA("kubernetes")
	if err != nil {
		return nil, err
	}
	etcdCA, err := pki.NewCA("etcd-ca")
	if err != nil {
		return nil, err
	}
	fp, err := pki.NewCA("front-proxy-ca")
	if err != nil {
		return nil, err
	}
	sa, err := pki.NewRSAKey()
	if err != nil {
		return nil, err
	}
	sec := &Secrets{CACert: ca.CertPEM, CAKey: ca.KeyPEM, EtcdCACert: etcdCA.CertPEM, EtcdCAKey: etcdCA.KeyPEM, FrontProxyCert: fp.CertPEM, FrontProxyKey: fp.KeyPEM, ServiceAcctKey: sa}
	if err := s.Create(ctx, secretsKey(uid), sealSecrets(s, uid, sec)); err != nil && !errors.Is(err, store.ErrExists) {
		return nil, fmt.Errorf("store secrets of %s: %w", name, err)
	}
	// Another pass may have stored its own first: theirs are the cluster's.
	return LoadSecrets(ctx, s, uid)
}

// LoadSecrets reads a cluster's secrets (for the OIDC discovery documents).
func LoadSecrets(ctx context.Context, s *store.Store, uid string) (*Secrets, error) {
	var st storedSecrets
	if _, err := s.Get(ctx, secretsKey(uid), &st); err != nil {
		return nil, err
	}
	return openSecrets(s, uid, &st)
}

// SealStoredSecrets seals the keys of clusters whose secrets an older keks
// stored in the clear, once, at start: secrets are written only when a
// cluster is made, so sealing on the next write would never come. It
// returns how many clusters' secrets it sealed; without a seal key it
// does nothing.
func SealStoredSecrets(ctx context.Context, s *store.Store) (int, error) {
	if !s.Sealing() {
		return 0, nil
	}
	all, err := s.ListRaw(ctx, secretsPrefix)
	if err != nil {
		return 0, fmt.Errorf("list cluster secrets: %w", err)
	}
	sealed := 0
	for _, r := range all {
		uid := r.Key[len(secretsPrefix):]
		changed := false
		_, err := store.Mutate(ctx, s, r.Key, func(st *storedSecrets) error {
			changed = false
			for _, f := range keyFields(st, &Secrets{}) {
				if store.IsSealed(*f.stored) {
					continue
				}
				plain, err := s.UnsealBytes(*f.stored, secretsKey(uid)+"#"+f.field)
				if err != nil {
					return err
				}
				*f.stored, changed = s.SealBytes(plain, secretsKey(uid)+"#"+f.field), true
			}
			return nil
		})
		if errors.Is(err, store.ErrNotFound) {
			continue // the cluster went meanwhile
		} else if err != nil {
			return sealed, fmt.Errorf("seal secrets of cluster %s: %w", uid, err)
		}
		if changed {
			sealed++
		}
	}
	return sealed, nil
}
