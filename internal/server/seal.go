package server

import (
	"context"
	"log/slog"
	"net/url"
	"path/filepath"

	"github.com/keksdev/keks/internal/controlplane"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/store"
)

// sealKeyFile is the data directory's seal key (32 random bytes, 0600):
// the key of every secret field in the store. The store refuses to start
// without it once it holds sealed values.
func sealKeyFile(dataDir string) string { return filepath.Join(dataDir, "seal.key") }

// openStore opens keks's store (the embedded one in dataDir/store, or the
// external one cfg names), takes the data directory's seal key and seals
// what an older keks stored in the clear.
func openStore(ctx context.Context, cfg Config, dataDir string, log *slog.Logger) (*store.Store, error) {
	var st *store.Store
	var err error
	if len(cfg.EtcdEndpoints) > 0 {
		warnPlainStore(cfg.EtcdEndpoints, log)
		st, err = store.OpenExternal(ctx, cfg.EtcdEndpoints, cfg.EtcdTLS)
	} else {
		st, err = store.OpenEmbedded(ctx, filepath.Join(dataDir, "store"), log)
	}
	if err != nil {
		return nil, err
	}
	if err := sealStore(ctx, st, dataDir, log); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// sealStore makes the store seal secret fields with the data directory's
// key, and seals, once, those an older keks stored in the clear: they are
// seldom or never written again, so sealing on the next write would leave
// them so. Then the store's history of their plaintext is dropped.
func sealStore(ctx context.Context, st *store.Store, dataDir string, log *slog.Logger) error {
	if err := st.UseSealKey(ctx, sealKeyFile(dataDir)); err != nil {
		return err
	}
	clusters, err := controlplane.SealStoredSecrets(ctx, st)
	if err != nil {
		return err
	}
	keys, err := iam.SealStoredSecrets(ctx, st)
	if err != nil {
		return err
	}
	ca, err := sealKeksCA(ctx, st)
	if err != nil {
		return err
	}
	if clusters+keys+ca == 0 {
		return nil
	}
	log.Info("sealed the secrets an older keks stored in the clear", "clusters", clusters, "accessKeyRecords", keys, "keksCA", ca)
	if !st.Embedded() {
		log.Warn("the external store keeps the former plaintext values in its history until it is compacted")
		return nil
	}
	if err := st.DropHistory(ctx); err != nil {
		log.Warn("could not drop the store's history of the former plaintext values; etcd's periodic compaction will", "err", err)
	}
	return nil
}

// warnPlainStore warns of an external store reached over plain http:
// sealed fields stay secret, every other record crosses the network as is.
func warnPlainStore(endpoints []string, log *slog.Logger) {
	for _, e := range endpoints {
		if u, err := url.Parse(e); err == nil && u.Scheme == "http" {
			log.Warn("the external store is reached over plain http: use https with --store-cacert, --store-cert and --store-key", "endpoint", e)
		}
	}
}
