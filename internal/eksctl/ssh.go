package eksctl

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// Fingerprint is the legacy MD5 fingerprint of an OpenSSH public key
// ("aa:bb:..."), which eksctl puts in the names of the key pairs it imports.
func Fingerprint(authorizedKey []byte) (string, error) {
	fields := strings.Fields(string(authorizedKey))
	if len(fields) < 2 {
		return "", fmt.Errorf("not an OpenSSH public key (expected \"<type> <base64 key> [comment]\")")
	}
	blob, err := base64.StdEncoding.DecodeString(fields[1])
	if err != nil {
		return "", fmt.Errorf("not an OpenSSH public key: %w", err)
	}
	sum := md5.Sum(blob)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02x", b)
	}
	return strings.Join(parts, ":"), nil
}

// KeyPairName is the name eksctl imports a node group's key under.
func KeyPairName(cluster, nodeGroup, fingerprint string) string {
	return "eksctl-" + cluster + "-nodegroup-" + nodeGroup + "-" + fingerprint
}

// KeyPairPrefix is the start of every key pair eksctl imported for a cluster.
func KeyPairPrefix(cluster string) string { return "eksctl-" + cluster + "-nodegroup-" }

func expandHome(path string) string {
	if path == "~" || strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, strings.TrimPrefix(path, "~"))
		}
	}
	return path
}

// resolveSSHKey sets ng.SSH.PublicKeyName: an existing key pair by name,
// or the public key (file or inline) imported as eksctl names it. A path
// that is no file is taken as an existing key pair's name, as eksctl does.
func (m *Manager) resolveSSHKey(ctx context.Context, cluster string, ng *ManagedNodeGroup) error {
	if !isEnabled(ng.SSH.Allow) {
		return nil
	}
	if name := ng.SSH.PublicKeyName; name != "" {
		if ok, err := m.keyPairExists(ctx, name); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("cannot find EC2 key pair %q", name)
		}
		m.Log.Info("using EC2 key pair %q", name)
		return nil
	}
	material := []byte(ng.SSH.PublicKey)
	source := "inline public key"
	if len(material) == 0 {
		path := expandHome(ng.SSH.PublicKeyPath)
		data, err := os.ReadFile(path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				if ok, derr := m.keyPairExists(ctx, ng.SSH.PublicKeyPath); derr == nil && ok {
					ng.SSH.PublicKeyName, ng.SSH.PublicKeyPath = ng.SSH.PublicKeyPath, ""
					m.Log.Info("using EC2 key pair %q", ng.SSH.PublicKeyName)
					return nil
				}
			}
			return fmt.Errorf("reading SSH public key file %q: %w", ng.SSH.PublicKeyPath, err)
		}
		material, source = data, ng.SSH.PublicKeyPath
	}
	fp, err := Fingerprint(material)
	if err != nil {
		return fmt.Errorf("SSH public key %s: %w", source, err)
	}
	name := KeyPairName(cluster, ng.Name, fp)
	m.Log.Info("using SSH public key %q as %q ", source, name)
	ok, err := m.keyPairExists(ctx, name)
	if err != nil {
		return err
	}
	if !ok {
		if _, err := m.Clients.EC2.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{KeyName: aws.String(name), PublicKeyMaterial: material}); err != nil {
			return fmt.Errorf("importing SSH public key %q as %q: %w", source, name, err)
		}
	}
	ng.SSH.PublicKeyName = name
	return nil
}

func (m *Manager) keyPairExists(ctx context.Context, name string) (bool, error) {
	out, err := m.Clients.EC2.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{name}})
	if err != nil {
		if strings.Contains(err.Error(), "InvalidKeyPair.NotFound") {
			return false, nil
		}
		return false, fmt.Errorf("describing EC2 key pair %q: %w", name, err)
	}
	return len(out.KeyPairs) > 0, nil
}
