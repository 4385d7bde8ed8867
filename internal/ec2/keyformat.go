package ec2

import (
	"bytes"
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/keksdev/keks/internal/awserr"
)

// Key types and private key formats EC2 offers.
const (
	KeyTypeRSA     = "rsa"
	KeyTypeED25519 = "ed25519"
	KeyFormatPEM   = "pem"
	KeyFormatPPK   = "ppk"
)

// EC2 imports RSA keys of these sizes only.
var importableRSABits = map[int]bool{1024: true, 2048: true, 4096: true}

// createdRSABits is the size of the RSA keys CreateKeyPair makes, as EC2's.
const createdRSABits = 2048

// maxPublicKeyMaterial bounds what ImportKeyPair reads: a 4096-bit RSA key
// in any of its formats is far below it.
const maxPublicKeyMaterial = 16 << 10

func invalidKeyFormat() error {
	return awserr.Errorf(CodeInvalidKeyFormat, "Key is not in valid OpenSSH public key format")
}

// ParsePublicKeyMaterial reads what ImportKeyPair is given (decoded from
// its base64 blob): an OpenSSH public key line ("ssh-ed25519 AAAA… comment")
// or an RFC 4716 "SSH2 PUBLIC KEY" block, of an RSA key of 1024, 2048 or
// 4096 bits or an ED25519 key, as EC2 accepts. It returns the key and its
// type.
func ParsePublicKeyMaterial(material []byte) (ssh.PublicKey, string, error) {
	if len(material) == 0 || len(material) > maxPublicKeyMaterial {
		return nil, "", invalidKeyFormat()
	}
	var key ssh.PublicKey
	var err error
	if bytes.Contains(material, []byte("---- BEGIN SSH2 PUBLIC KEY ----")) {
		key, err = parseRFC4716(material)
	} else {
		key, _, _, _, err = ssh.ParseAuthorizedKey(material)
	}
	if err != nil {
		return nil, "", invalidKeyFormat()
	}
	switch key.Type() {
	case ssh.KeyAlgoED25519:
		return key, KeyTypeED25519, nil
	case ssh.KeyAlgoRSA:
		pub, ok := key.(ssh.CryptoPublicKey).CryptoPublicKey().(*rsa.PublicKey)
		if !ok || !importableRSABits[pub.N.BitLen()] {
			return nil, "", awserr.Errorf(CodeInvalidParameterValue, "Invalid key length. Supported lengths are 1024, 2048 and 4096.")
		}
		return key, KeyTypeRSA, nil
	}
	return nil, "", invalidKeyFormat()
}

// parseRFC4716 reads the SSH public key file format: header lines, then
// the key's wire form in base64 between the BEGIN and END lines.
func parseRFC4716(material []byte) (ssh.PublicKey, error) {
	var body strings.Builder
	in, continued := false, false
	for _, line := range strings.Split(strings.ReplaceAll(string(material), "\r", ""), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "---- BEGIN SSH2 PUBLIC KEY ----":
			in = true
		case line == "---- END SSH2 PUBLIC KEY ----":
			wire, err := base64.StdEncoding.DecodeString(body.String())
			if err != nil {
				return nil, err
			}
			return ssh.ParsePublicKey(wire)
		case !in:
		case continued || strings.Contains(line, ":"):
			// A header (Comment: "…"), possibly continued with a backslash.
			continued = strings.HasSuffix(line, "\\")
		default:
			body.WriteString(line)
		}
	}
	return nil, fmt.Errorf("no END line")
}

// ImportedFingerprint is EC2's fingerprint of an imported key: for RSA,
// the MD5 of the public key's DER (SubjectPublicKeyInfo) in colon hex; for
// ED25519, the base64 SHA-256 of its SSH wire form, as `ssh-keygen -l`
// shows it but padded.
func ImportedFingerprint(key ssh.PublicKey) string {
	if key.Type() == ssh.KeyAlgoED25519 {
		return ed25519Fingerprint(key)
	}
	der, err := x509.MarshalPKIXPublicKey(key.(ssh.CryptoPublicKey).CryptoPublicKey())
	if err != nil {
		return ""
	}
	sum := md5.Sum(der)
	return colonHex(sum[:])
}

func ed25519Fingerprint(key ssh.PublicKey) string {
	sum := sha256.Sum256(key.Marshal())
	return base64.StdEncoding.EncodeToString(sum[:])
}

func colonHex(b []byte) string {
	h := hex.EncodeToString(b)
	parts := make([]string, 0, len(b))
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

// NewKey is a key pair CreateKeyPair made: the private key as the caller
// gets it, once, and what keks keeps.
type NewKey struct {
	Material    string // PEM: PKCS#1 for RSA, OpenSSH's format for ED25519
	PublicKey   ssh.PublicKey
	Fingerprint string
}

// GenerateKey makes a key pair of typ: RSA 2048-bit, whose fingerprint is
// EC2's for keys it creates (the SHA-1 of the PKCS#8 DER private key, colon
// hex), or ED25519 (base64 SHA-256 of the public key).
func GenerateKey(typ string) (*NewKey, error) {
	switch typ {
	case KeyTypeRSA:
		priv, err := rsa.GenerateKey(rand.Reader, createdRSABits)
		if err != nil {
			return nil, fmt.Errorf("generate RSA key: %w", err)
		}
		pub, err := ssh.NewPublicKey(&priv.PublicKey)
		if err != nil {
			return nil, err
		}
		pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return nil, err
		}
		sum := sha1.Sum(pkcs8)
		material := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)})
		return &NewKey{Material: strings.TrimSuffix(string(material), "\n"), PublicKey: pub, Fingerprint: colonHex(sum[:])}, nil
	case KeyTypeED25519:
		pubKey, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate ED25519 key: %w", err)
		}
		pub, err := ssh.NewPublicKey(pubKey)
		if err != nil {
			return nil, err
		}
		block, err := ssh.MarshalPrivateKey(priv, "")
		if err != nil {
			return nil, err
		}
		return &NewKey{Material: strings.TrimSuffix(string(pem.EncodeToMemory(block)), "\n"), PublicKey: pub, Fingerprint: ed25519Fingerprint(pub)}, nil
	}
	return nil, awserr.Errorf(CodeInvalidParameterValue, "Invalid value '%s' for KeyType.", typ)
}

// authorizedKeyLine is the key as an authorized_keys line, without a comment.
func authorizedKeyLine(key ssh.PublicKey) string {
	return strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(key)), "\n")
}
