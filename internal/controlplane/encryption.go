package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/kmsplugin"
)

// Envelope encryption of Secrets, as EKS does it: beside each API server of
// a cluster with an encryptionConfig runs a KMS v2 plugin (`keks
// kms-plugin`), which has keks's KMS encrypt kube-apiserver's data keys with
// the cluster's key, as the cluster's IAM role.

// RoleKMSPlugin is the KMS v2 plugin beside an API server.
const RoleKMSPlugin = "kms-plugin"

// kmsProviderName names the provider in kube-apiserver's encryption
// configuration. Every encrypted value in etcd starts with
// k8s:enc:kms:v2:<name>:, by which kube-apiserver finds the provider that
// decrypts it, so the name must never change.
const kmsProviderName = "keks"

// kmsProviderTimeout bounds each call kube-apiserver makes to its plugin;
// a KMS call through keks's endpoint takes milliseconds, but this host may
// be busy.
const kmsProviderTimeout = "5s"

// kmsSocketDir holds the plugins' sockets, named by cluster uid. Not the
// cluster's directory: a unix socket's path may have at most 107 bytes,
// which a deep data directory and a cluster uid together can pass.
var kmsSocketDir = "/run/keks/kms"

// kmsSessionFile is where a cluster's directory holds the cluster role's
// session, which the plugins sign with.
const kmsSessionFile = "kms-plugin-session.json"

// The cluster role's session: issued for an hour, renewed with half of it
// left (the plugins read the file for every call), and after a failure
// tried again a minute later.
const (
	roleSessionLifetime    = time.Hour
	roleSessionRenewBefore = 30 * time.Minute
	roleSessionRetry       = time.Minute
)

func encryptsSecrets(cl *eks.Cluster) bool { return len(cl.Spec.EncryptionConfig) > 0 }

// removeKMSSockets removes what a cluster's plugins may leave (a plugin
// killed outright leaves its socket), and the sockets' directory once no
// cluster has one there.
func removeKMSSockets(clusterUID string) error {
	socks, _ := filepath.Glob(filepath.Join(kmsSocketDir, clusterUID+"-*.sock"))
	for _, s := range socks {
		if err := os.Remove(s); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if entries, err := os.ReadDir(kmsSocketDir); err == nil && len(entries) == 0 {
		_ = os.Remove(kmsSocketDir)
		_ = os.Remove(filepath.Dir(kmsSocketDir)) // /run/keks, when nothing else is there
	}
	return nil
}

func kmsSocket(clusterUID, suffix string) string {
	return filepath.Join(kmsSocketDir, clusterUID+"-"+suffix+".sock")
}

// instanceSuffix is the letter that pairs an API server instance with the
// processes beside it ("a" of kube-apiserver-a).
func instanceSuffix(name string) string { return name[len(name)-1:] }

// planFor is the cluster's layout: plan's, and for a cluster that encrypts
// its Secrets a KMS plugin before each API server, so that it is started
// before the API server that needs it.
func planFor(pl Placement, cl *eks.Cluster) []plannedInstance {
	base := plan(pl, cl.Region)
	if !encryptsSecrets(cl) {
		return base
	}
	out := make([]plannedInstance, 0, len(base)+len(pl.APIServers()))
	for _, p := range base {
		if p.role == RoleAPIServer {
			out = append(out, plannedInstance{RoleKMSPlugin + "-" + instanceSuffix(p.name), RoleKMSPlugin, p.zone, p.address})
		}
		out = append(out, p)
	}
	return out
}

// addEncryptionFlags points an API server at its encryption configuration,
// when the cluster encrypts its Secrets. A new flag is a new configuration:
// enabling encryption rolls the API servers one at a time.
func addEncryptionFlags(f map[string]string, pl Placement, cl *eks.Cluster, suffix string) {
	if encryptsSecrets(cl) {
		f["encryption-provider-config"] = pl.File("encryption-config-" + suffix + ".yaml")
	}
}

// addEncryptionDocs adds, for a cluster that encrypts its Secrets, each
// API server's encryption configuration, each plugin's configuration and
// the cluster role's session they sign with.
func (c *Controller) addEncryptionDocs(b *Bundle, pl Placement, cl *eks.Cluster, published Published) error {
	if !encryptsSecrets(cl) {
		return nil
	}
	if err := c.addRoleSession(b, cl, published); err != nil {
		return err
	}
	endpoint, caFile := c.cfg.KeksURL, c.cfg.KeksCAFile
	if _, ok := b.Documents[pkiDoc(keksCADoc)]; ok {
		// Plugins off this host reach keks where instances and pods do.
		endpoint, caFile = c.issuerBase(), pl.PKI(keksCADoc)
	}
	for i := range pl.APIServers() {
		suffix := string(rune('a' + i))
		socket := pl.KMSSocket(suffix)
		b.add("encryption-config-"+suffix+".yaml", encryptionConfiguration(socket), 0o600)
		cfg, err := json.MarshalIndent(kmsplugin.Config{Socket: socket, KeyARN: cl.Spec.EncryptionConfig[0].KeyARN, Region: cl.Region,
			Endpoint: endpoint, CABundle: caFile, SessionFile: pl.File(kmsSessionFile)}, "", "  ")
		if err != nil {
			return err
		}
		b.add(RoleKMSPlugin+"-"+suffix+".json", cfg, 0o600)
	}
	return nil
}

// encryptionConfiguration is kube-apiserver's EncryptionConfiguration:
// Secrets are written through the KMS v2 plugin; identity stays second so
// that Secrets stored before encryption was enabled can still be read (and
// are written encrypted the next time they are written).
func encryptionConfiguration(socket string) []byte {
	return fmt.Appendf(nil, `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources:
  - secrets
  providers:
  - kms:
      apiVersion: v2
      name: %s
      endpoint: unix://%s
      timeout: %s
  - identity: {}
`, kmsProviderName, socket, kmsProviderTimeout)
}

// addRoleSession keeps a session of the cluster's IAM role beside its
// plugins (mode 0600): EKS calls KMS as that role. The published session
// is carried on until it must be renewed. A session that cannot be issued
// (the role is gone) is no reason to stop reconciling the control plane:
// the document keeps the credentials it had and says why, and the plugins
// report it once those have expired.
func (c *Controller) addRoleSession(b *Bundle, cl *eks.Cluster, published Published) error {
	var cur kmsplugin.Session
	data, err := published(kmsSessionFile)
	if err != nil || json.Unmarshal(data, &cur) != nil {
		cur, data = kmsplugin.Session{}, nil // none or unreadable: issue a new one
	}
	now := time.Now()
	if cur.Expiration.Sub(now) > roleSessionRenewBefore || now.Before(cur.RetryAt) {
		b.add(kmsSessionFile, data, 0o600)
		return nil
	}
	next := cur
	if c.cfg.RoleSession == nil {
		next.Error, next.RetryAt = "keks issues no role sessions to its control planes", now.Add(roleSessionRetry)
		return addSession(b, next)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	creds, err := c.cfg.RoleSession(ctx, cl.Spec.RoleARN, roleSessionName(cl), roleSessionLifetime)
	if err != nil {
		c.log.Warn("cannot issue the cluster role's session for its KMS plugins", "cluster", cl.Name, "role", cl.Spec.RoleARN, "err", err)
		next.Error, next.RetryAt = fmt.Sprintf("session of the cluster role %s: %v", cl.Spec.RoleARN, err), now.Add(roleSessionRetry)
		return addSession(b, next)
	}
	return addSession(b, kmsplugin.Session{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey,
		SessionToken: creds.SessionToken, Expiration: creds.Expiration})
}

// addSession adds a role session as kmsplugin.WriteSession writes it.
func addSession(b *Bundle, s kmsplugin.Session) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	b.add(kmsSessionFile, data, 0o600)
	return nil
}

// roleSessionName names the plugins' session in the role's
// assumed-role ARN: at most 64 characters, of which cluster names use only
// allowed ones.
func roleSessionName(cl *eks.Cluster) string {
	name := "kms-plugin-" + cl.Name
	return name[:min(len(name), 64)]
}

// probeFunc is a health probe of one instance, as prober's ready and live are.
type probeFunc func(ctx context.Context, role, address string) bool

// kmsPluginProbes check a plugin through its socket, as kube-apiserver
// asks it: it is live while it answers Status, and ready while KMS
// encrypts and decrypts with the key as the cluster role.
func kmsPluginProbes(clusterUID, instance string) (ready, live probeFunc) {
	socket := kmsSocket(clusterUID, instanceSuffix(instance))
	ready = func(ctx context.Context, _, _ string) bool {
		st, err := kmsplugin.Probe(ctx, socket)
		return err == nil && st.Healthz == kmsplugin.Healthy
	}
	live = func(ctx context.Context, _, _ string) bool {
		_, err := kmsplugin.Probe(ctx, socket)
		return err == nil
	}
	return ready, live
}

// updateApplied reports whether the control plane has done what update u
// asked, once every instance is healthy and runs u's generation. For an
// AssociateEncryptionConfig that is when every API server encrypts and
// every Secret stored before has been written again, encrypted.
func (c *Controller) updateApplied(ctx context.Context, cl *eks.Cluster, st *State, rt Runtime, members []Member, u eks.Update) (bool, error) {
	switch u.Type {
	case eks.UpdateAssociateIdentityProviderConfig, eks.UpdateDisassociateIdentityProviderConfig, eks.UpdateLogging:
		// Done once every API server authenticates (or writes its audit
		// log) as the config now says.
		return apiServersCurrent(rt, st, members), nil
	case eks.UpdateControlPlaneScaling:
		// Done once etcd, the API servers and the schedulers all run with
		// the tier's limits (the rollout replaces them one at a time).
		return membersCurrent(rt, st, members, RoleEtcd, RoleAPIServer, RoleScheduler), nil
	case eks.UpdateAssociateEncryptionConfig:
	default:
		return true, nil
	}
	if !apiServersCurrent(rt, st, members) {
		return false, nil // the rollout has yet to reach them
	}
	if c.cfg.Kube == nil {
		return false, fmt.Errorf("encrypt the Secrets of %s: keks has no client of its clusters", cl.Name)
	}
	kc, err := c.cfg.Kube(cl.UID)
	if err != nil {
		return false, fmt.Errorf("encrypt the Secrets of %s: %w", cl.Name, err)
	}
	n, err := encryptExistingSecrets(ctx, kc)
	if err != nil {
		return false, fmt.Errorf("encrypt the Secrets of %s: %w", cl.Name, err)
	}
	c.log.Info("existing Secrets written again, encrypted", "cluster", cl.Name, "secrets", n)
	return true, nil
}

// apiServersCurrent reports whether every API server runs, healthy, with
// the cluster's current configuration (one that encrypts Secrets, one that
// authenticates an identity provider's tokens...).
func apiServersCurrent(rt Runtime, st *State, members []Member) bool {
	return membersCurrent(rt, st, members, RoleAPIServer)
}

// membersCurrent reports whether every member of the given roles runs,
// healthy, with the cluster's current configuration.
func membersCurrent(rt Runtime, st *State, members []Member, roles ...string) bool {
	for _, m := range members {
		if !slices.Contains(roles, m.role) {
			continue
		}
		inst := st.instance(m.name)
		if inst == nil || inst.ConfigHash != rt.ConfigHash(st, m) || !inst.Healthy {
			return false
		}
	}
	return true
}

// encryptExistingSecrets writes every Secret again, unchanged, as EKS does
// when encryption is enabled on a running cluster. kube-apiserver writes
// an unchanged object again only when it read it through a provider that is
// not the first (here identity, behind kms): exactly the Secrets stored in
// the clear. A Secret changed meanwhile (a conflict) or deleted needs
// nothing: an API server that encrypts wrote that change.
func encryptExistingSecrets(ctx context.Context, kc kubernetes.Interface) (int, error) {
	secrets := kc.CoreV1().Secrets(metav1.NamespaceAll)
	opts := metav1.ListOptions{Limit: 250}
	written := 0
	for {
		list, err := secrets.List(ctx, opts)
		if err != nil {
			return written, fmt.Errorf("list Secrets: %w", err)
		}
		for i := range list.Items {
			s := &list.Items[i]
			_, err := kc.CoreV1().Secrets(s.Namespace).Update(ctx, s, metav1.UpdateOptions{})
			switch {
			case err == nil:
				written++
			case apierrors.IsConflict(err), apierrors.IsNotFound(err):
			default:
				return written, fmt.Errorf("write Secret %s/%s again: %w", s.Namespace, s.Name, err)
			}
		}
		if list.Continue == "" {
			return written, nil
		}
		opts.Continue = list.Continue
	}
}
