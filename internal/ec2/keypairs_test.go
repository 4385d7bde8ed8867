package ec2

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store/storetest"
)

// sshKeygen makes a key with OpenSSH's ssh-keygen and returns the path of
// its private key (the public one is beside it, .pub).
func sshKeygen(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen is not installed")
	}
	path := filepath.Join(t.TempDir(), "key")
	if out, err := exec.Command("ssh-keygen", append(args, "-q", "-N", "", "-C", "me@host", "-f", path)...).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	return path
}

func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return strings.TrimSpace(string(out))
}

// ED25519: EC2's fingerprint is ssh-keygen's SHA256 one, base64 padded.
func TestImportedED25519FingerprintIsSSHKeygens(t *testing.T) {
	path := sshKeygen(t, "-t", "ed25519")
	line, _ := os.ReadFile(path + ".pub")
	key, typ, err := ParsePublicKeyMaterial(line)
	if err != nil || typ != KeyTypeED25519 {
		t.Fatalf("parse: %v %q", err, typ)
	}
	// "256 SHA256:<base64, unpadded> me@host (ED25519)"
	f := strings.Fields(runTool(t, "ssh-keygen", "-l", "-E", "sha256", "-f", path+".pub"))
	want := strings.TrimPrefix(f[1], "SHA256:") + "="
	if got := ImportedFingerprint(key); got != want {
		t.Errorf("fingerprint %q, ssh-keygen says %q", got, want)
	}
}

// RSA imported: the MD5 of the SubjectPublicKeyInfo DER, which is not
// ssh-keygen -E md5's (that hashes the SSH wire form), as EC2 documents:
// ssh-keygen -e -m PKCS8 | openssl pkey -pubin -outform DER | md5.
func TestImportedRSAFingerprintIsMD5OfDER(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed")
	}
	path := sshKeygen(t, "-t", "rsa", "-b", "2048")
	line, _ := os.ReadFile(path + ".pub")
	key, typ, err := ParsePublicKeyMaterial(line)
	if err != nil || typ != KeyTypeRSA {
		t.Fatalf("parse: %v %q", err, typ)
	}
	pkcs8 := filepath.Join(t.TempDir(), "pub.pem")
	if err := os.WriteFile(pkcs8, []byte(runTool(t, "ssh-keygen", "-e", "-m", "PKCS8", "-f", path+".pub")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	der, err := exec.Command("openssl", "pkey", "-pubin", "-in", pkcs8, "-outform", "DER").Output()
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(der)
	if got, want := ImportedFingerprint(key), colonHex(sum[:]); got != want {
		t.Errorf("fingerprint %q, want %q", got, want)
	}
	// And it differs from the SSH MD5 fingerprint, which EC2 does not use.
	sshMD5 := strings.TrimPrefix(strings.Fields(runTool(t, "ssh-keygen", "-l", "-E", "md5", "-f", path+".pub"))[1], "MD5:")
	if sshMD5 == ImportedFingerprint(key) {
		t.Errorf("RSA fingerprint is the SSH wire MD5 %s", sshMD5)
	}
	if ssh.FingerprintLegacyMD5(key) != sshMD5 {
		t.Errorf("x/crypto and ssh-keygen disagree on the wire MD5")
	}
}

func TestParsePublicKeyMaterialRefuses(t *testing.T) {
	ecdsa := sshKeygen(t, "-t", "ecdsa")
	ecLine, _ := os.ReadFile(ecdsa + ".pub")
	small := sshKeygen(t, "-t", "rsa", "-b", "3072")
	smallLine, _ := os.ReadFile(small + ".pub")
	for name, c := range map[string]struct {
		material []byte
		code     string
	}{
		"empty":     {nil, CodeInvalidKeyFormat},
		"garbage":   {[]byte("hello world"), CodeInvalidKeyFormat},
		"ecdsa":     {ecLine, CodeInvalidKeyFormat},
		"rsa 3072":  {smallLine, CodeInvalidParameterValue},
		"truncated": {ecLine[:40], CodeInvalidKeyFormat},
		"huge":      {make([]byte, maxPublicKeyMaterial+1), CodeInvalidKeyFormat},
	} {
		_, _, err := ParsePublicKeyMaterial(c.material)
		if e, ok := awserr.AsError(err); !ok || e.Code != c.code {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
}

func TestParseRFC4716(t *testing.T) {
	path := sshKeygen(t, "-t", "ed25519")
	rfc := runTool(t, "ssh-keygen", "-e", "-f", path+".pub") // RFC 4716 is ssh-keygen -e's default
	key, _, err := ParsePublicKeyMaterial([]byte(rfc))
	if err != nil {
		t.Fatal(err)
	}
	line, _ := os.ReadFile(path + ".pub")
	if !strings.HasPrefix(string(line), authorizedKeyLine(key)) {
		t.Errorf("RFC 4716 key %q is not %q", authorizedKeyLine(key), line)
	}
}

// Created keys: the material is a private key OpenSSH reads, whose public
// key is the one kept; RSA's fingerprint is the SHA-1 of the PKCS#8 DER.
func TestGenerateKey(t *testing.T) {
	for _, typ := range []string{KeyTypeRSA, KeyTypeED25519} {
		k, err := GenerateKey(typ)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "key")
		if err := os.WriteFile(path, []byte(k.Material+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := exec.LookPath("ssh-keygen"); err == nil {
			if pub := runTool(t, "ssh-keygen", "-y", "-f", path); !strings.HasPrefix(pub, authorizedKeyLine(k.PublicKey)) {
				t.Errorf("%s: ssh-keygen -y gives %q, kept %q", typ, pub, authorizedKeyLine(k.PublicKey))
			}
		}
		if typ == KeyTypeRSA {
			if !strings.HasPrefix(k.Material, "-----BEGIN RSA PRIVATE KEY-----") || len(k.Fingerprint) != 59 {
				t.Errorf("RSA key %q… fingerprint %q", k.Material[:32], k.Fingerprint)
			}
			if _, err := exec.LookPath("openssl"); err == nil {
				der, err := exec.Command("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", path, "-outform", "DER").Output()
				if err != nil {
					t.Fatal(err)
				}
				f, _ := os.CreateTemp(t.TempDir(), "der")
				_, _ = f.Write(der)
				_ = f.Close()
				out := runTool(t, "openssl", "sha1", "-c", f.Name())
				if got := out[strings.LastIndex(out, " ")+1:]; got != k.Fingerprint {
					t.Errorf("RSA fingerprint %q, openssl says %q", k.Fingerprint, got)
				}
			}
		} else if _, err := base64.StdEncoding.DecodeString(k.Fingerprint); err != nil {
			t.Errorf("ED25519 fingerprint %q: %v", k.Fingerprint, err)
		}
	}
	if _, err := GenerateKey("dsa"); err == nil {
		t.Error("dsa key made")
	}
}

func newKeyPairService(t *testing.T) (context.Context, *Service) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	st := storetest.Open(t)
	return ctx, &Service{Store: st}
}

func wantKeyCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if e, ok := awserr.AsError(err); !ok || e.Code != code {
		t.Errorf("%s: %v, want %s", what, err, code)
	}
}

func TestKeyPairRules(t *testing.T) {
	ctx, s := newKeyPairService(t)
	path := sshKeygen(t, "-t", "ed25519")
	line, _ := os.ReadFile(path + ".pub")

	imported, err := s.ImportKeyPair(ctx, testRegion, "mine", line, map[string]string{"team": "a"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(imported.ID, "key-") || imported.Type != KeyTypeED25519 || !strings.HasPrefix(string(line), imported.PublicKey) {
		t.Errorf("imported %+v", imported)
	}
	_, err = s.ImportKeyPair(ctx, testRegion, "mine", line, nil)
	wantKeyCode(t, "import twice", err, CodeInvalidKeyPairDuplicate)
	_, _, err = s.CreateKeyPair(ctx, testRegion, "mine", "", nil)
	wantKeyCode(t, "create over an imported one", err, CodeInvalidKeyPairDuplicate)
	// Another region has names of its own.
	if _, err := s.ImportKeyPair(ctx, "us-east-1", "mine", line, nil); err != nil {
		t.Error(err)
	}

	made, material, err := s.CreateKeyPair(ctx, testRegion, "made", KeyTypeED25519, nil)
	if err != nil || !strings.Contains(material, "OPENSSH PRIVATE KEY") || made.Type != KeyTypeED25519 {
		t.Fatalf("create: %v %+v", err, made)
	}
	_, _, err = s.CreateKeyPair(ctx, testRegion, "x", "dsa", nil)
	wantKeyCode(t, "create dsa", err, CodeInvalidParameterValue)
	_, _, err = s.CreateKeyPair(ctx, testRegion, strings.Repeat("k", 256), "", nil)
	wantKeyCode(t, "long name", err, CodeInvalidParameterValue)
	_, _, err = s.CreateKeyPair(ctx, testRegion, "schlüssel", "", nil)
	wantKeyCode(t, "non-ASCII name", err, CodeInvalidParameterValue)
	_, _, err = s.CreateKeyPair(ctx, testRegion, "", "", nil)
	wantKeyCode(t, "no name", err, CodeMissingParameter)

	all, err := s.KeyPairs(ctx, testRegion)
	if err != nil || len(all) != 2 {
		t.Fatalf("key pairs: %v %d", err, len(all))
	}
	_, err = s.GetKeyPair(ctx, testRegion, "nope")
	wantKeyCode(t, "get missing", err, CodeInvalidKeyPairNotFound)

	// Tags by id.
	if err := s.TagResources(ctx, []string{made.ID}, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetKeyPair(ctx, testRegion, "made"); got.Tags["k"] != "v" {
		t.Errorf("tags %v", got.Tags)
	}
	wantKeyCode(t, "tag missing", s.TagResources(ctx, []string{"key-00000000000000000"}, map[string]string{"k": "v"}), CodeInvalidKeyPairNotFound)

	// Delete by name and by id; what is missing is no error.
	if id, err := s.DeleteKeyPair(ctx, testRegion, "mine", ""); err != nil || id != imported.ID {
		t.Errorf("delete by name: %q %v", id, err)
	}
	if id, err := s.DeleteKeyPair(ctx, testRegion, "", made.ID); err != nil || id != made.ID {
		t.Errorf("delete by id: %q %v", id, err)
	}
	if id, err := s.DeleteKeyPair(ctx, testRegion, "mine", ""); err != nil || id != "" {
		t.Errorf("delete missing: %q %v", id, err)
	}
	if id, err := s.DeleteKeyPair(ctx, testRegion, "", "key-00000000000000000"); err != nil || id != "" {
		t.Errorf("delete missing id: %q %v", id, err)
	}
	_, err = s.DeleteKeyPair(ctx, testRegion, "", "")
	wantKeyCode(t, "delete nothing", err, CodeMissingParameter)
	if all, _ := s.KeyPairs(ctx, testRegion); len(all) != 0 {
		t.Errorf("%d key pairs left", len(all))
	}
}

// An instance launched with a key pair keeps its public key after the key
// pair goes; a missing key pair refuses the launch.
func TestRunInstancesWithKeyPair(t *testing.T) {
	ctx, s := newKeyPairService(t)
	vpc, err := s.CreateVPC(ctx, testRegion, testAccount, "10.0.0.0/16", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	sn, err := s.CreateSubnet(ctx, Subnet{VPCID: vpc.ID, CIDR: "10.0.1.0/24", AvailabilityZone: testRegion + "a"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.RunInstance(ctx, Instance{SubnetID: sn.ID, InstanceType: "t3.small", KeyName: "nope"})
	wantKeyCode(t, "launch with a missing key", err, CodeInvalidKeyPairNotFound)
	kp, _, err := s.CreateKeyPair(ctx, testRegion, "node", KeyTypeED25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	in, err := s.RunInstance(ctx, Instance{SubnetID: sn.ID, InstanceType: "t3.small", KeyName: "node"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteKeyPair(ctx, testRegion, "node", ""); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetInstance(ctx, in.ID)
	if err != nil || got.KeyName != "node" || got.KeyPublicKey != kp.PublicKey {
		t.Errorf("instance after its key pair went: %v %q %q", err, got.KeyName, got.KeyPublicKey)
	}
	// Key pairs of another region are not this one's.
	if _, _, err := s.CreateKeyPair(ctx, "us-east-1", "east", "", nil); err != nil {
		t.Fatal(err)
	}
	_, err = s.RunInstance(ctx, Instance{SubnetID: sn.ID, InstanceType: "t3.small", KeyName: "east"})
	wantKeyCode(t, "launch with another region's key", err, CodeInvalidKeyPairNotFound)
}
