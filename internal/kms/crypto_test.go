package kms

import (
	"bytes"
	"context"
	"testing"
)

func TestEncryptDecryptRoundTrip(t *testing.T) {
	s, sc, _ := newTestService(t)
	ctx := context.Background()
	k := mustCreateKey(t, s, sc)
	ec := map[string]string{"purpose": "test", "cluster": "demo"}
	for _, keyID := range []string{k.ID, k.ARN} {
		ct, err := s.Encrypt(ctx, sc, EncryptInput{KeyID: keyID, Plaintext: []byte("secret"), Context: ec})
		if err != nil {
			t.Fatal(err)
		}
		if ct.KeyARN != k.ARN || bytes.Contains(ct.Blob, []byte("secret")) {
			t.Fatalf("ciphertext %x of %s", ct.Blob, ct.KeyARN)
		}
		// The blob names its key: no KeyId is needed, and the right one is accepted.
		for _, named := range []string{"", k.ID, k.ARN} {
			pt, err := s.Decrypt(ctx, sc, DecryptInput{Ciphertext: ct.Blob, KeyID: named, Context: map[string]string{"cluster": "demo", "purpose": "test"}})
			if err != nil {
				t.Fatalf("decrypt naming %q: %v", named, err)
			}
			if string(pt.Plaintext) != "secret" || pt.KeyARN != k.ARN {
				t.Fatalf("decrypted %q by %s", pt.Plaintext, pt.KeyARN)
			}
		}
	}
}

func TestDecryptRefusesAnotherContext(t *testing.T) {
	s, sc, _ := newTestService(t)
	ctx := context.Background()
	k := mustCreateKey(t, s, sc)
	ct, err := s.Encrypt(ctx, sc, EncryptInput{KeyID: k.ID, Plaintext: []byte("x"), Context: map[string]string{"a": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ec := range []map[string]string{nil, {"a": "2"}, {"A": "1"}, {"a": "1", "b": "2"}} {
		_, err := s.Decrypt(ctx, sc, DecryptInput{Ciphertext: ct.Blob, Context: ec})
		wantCode(t, err, CodeInvalidCiphertext)
	}
	// Without a context, none (or an empty one) must be given back.
	plain, err := s.Encrypt(ctx, sc, EncryptInput{KeyID: k.ID, Plaintext: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decrypt(ctx, sc, DecryptInput{Ciphertext: plain.Blob, Context: map[string]string{}}); err != nil {
		t.Fatalf("an empty context is no context: %v", err)
	}
	_, err = s.Decrypt(ctx, sc, DecryptInput{Ciphertext: plain.Blob, Context: map[string]string{"a": "1"}})
	wantCode(t, err, CodeInvalidCiphertext)
}

func TestDecryptRefusesDamagedAndForeignBlobs(t *testing.T) {
	s, sc, _ := newTestService(t)
	ctx := context.Background()
	k := mustCreateKey(t, s, sc)
	other := mustCreateKey(t, s, sc)
	ct, err := s.Encrypt(ctx, sc, EncryptInput{KeyID: k.ID, Plaintext: []byte("data")})
	if err != nil {
		t.Fatal(err)
	}
	for i := range ct.Blob {
		damaged := bytes.Clone(ct.Blob)
		damaged[i] ^= 0x01
		if _, err := s.Decrypt(ctx, sc, DecryptInput{Ciphertext: damaged}); err == nil {
			t.Fatalf("a blob with byte %d changed decrypted", i)
		}
	}
	for _, junk := range [][]byte{{1}, bytes.Repeat([]byte{0}, 64), append([]byte{2}, ct.Blob[1:]...)} {
		_, err := s.Decrypt(ctx, sc, DecryptInput{Ciphertext: junk})
		wantCode(t, err, CodeInvalidCiphertext)
	}
	// Naming another key than the blob's.
	_, err = s.Decrypt(ctx, sc, DecryptInput{Ciphertext: ct.Blob, KeyID: other.ID})
	wantCode(t, err, CodeIncorrectKey)
	// Keys are regional: another region has no such key.
	elsewhere := Scope{Region: sc.Region + "-other", Account: sc.Account}
	_, err = s.Decrypt(ctx, elsewhere, DecryptInput{Ciphertext: ct.Blob})
	wantCode(t, err, CodeInvalidCiphertext)
	_, err = s.DescribeKey(ctx, elsewhere, k.ID)
	wantCode(t, err, CodeNotFound)
	_, err = s.DescribeKey(ctx, sc, "arn:aws:kms:"+elsewhere.Region+":"+sc.Account+":key/"+k.ID)
	wantCode(t, err, CodeNotFound)
}

func TestGenerateDataKey(t *testing.T) {
	s, sc, _ := newTestService(t)
	ctx := context.Background()
	k := mustCreateKey(t, s, sc)
	seven := 7
	for _, c := range []struct {
		spec string
		n    *int
		size int
	}{{"AES_256", nil, 32}, {"AES_128", nil, 16}, {"", &seven, 7}} {
		dk, err := s.GenerateDataKey(ctx, sc, DataKeyInput{KeyID: k.ARN, KeySpec: c.spec, NumberOfBytes: c.n, Context: map[string]string{"k": "v"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(dk.Plaintext) != c.size || dk.KeyARN != k.ARN {
			t.Fatalf("%s/%v: %d bytes by %s", c.spec, c.n, len(dk.Plaintext), dk.KeyARN)
		}
		pt, err := s.Decrypt(ctx, sc, DecryptInput{Ciphertext: dk.Ciphertext, Context: map[string]string{"k": "v"}})
		if err != nil || !bytes.Equal(pt.Plaintext, dk.Plaintext) {
			t.Fatalf("the data key's ciphertext does not decrypt to it: %v", err)
		}
	}
	zero, big := 0, 1025
	for _, in := range []DataKeyInput{{}, {KeySpec: "AES_256", NumberOfBytes: &seven}, {KeySpec: "AES_512"}, {NumberOfBytes: &zero}, {NumberOfBytes: &big}} {
		in.KeyID = k.ID
		_, err := s.GenerateDataKey(ctx, sc, in)
		wantCode(t, err, CodeValidation)
	}
}

func TestReEncrypt(t *testing.T) {
	s, sc, _ := newTestService(t)
	ctx := context.Background()
	from, to := mustCreateKey(t, s, sc), mustCreateKey(t, s, sc)
	ct, err := s.Encrypt(ctx, sc, EncryptInput{KeyID: from.ID, Plaintext: []byte("moving"), Context: map[string]string{"a": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	re, err := s.ReEncrypt(ctx, sc, ReEncryptInput{Ciphertext: ct.Blob, SourceContext: map[string]string{"a": "1"},
		DestinationKeyID: to.ARN, DestinationContext: map[string]string{"b": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	if re.SourceKeyARN != from.ARN || re.KeyARN != to.ARN {
		t.Fatalf("re-encrypted from %s to %s", re.SourceKeyARN, re.KeyARN)
	}
	pt, err := s.Decrypt(ctx, sc, DecryptInput{Ciphertext: re.Blob, Context: map[string]string{"b": "2"}})
	if err != nil || string(pt.Plaintext) != "moving" || pt.KeyARN != to.ARN {
		t.Fatalf("decrypt the re-encrypted blob: %v", err)
	}
	_, err = s.ReEncrypt(ctx, sc, ReEncryptInput{Ciphertext: ct.Blob, DestinationKeyID: to.ID})
	wantCode(t, err, CodeInvalidCiphertext)
}

func TestCryptoValidation(t *testing.T) {
	s, sc, _ := newTestService(t)
	ctx := context.Background()
	k := mustCreateKey(t, s, sc)
	_, err := s.Encrypt(ctx, sc, EncryptInput{KeyID: k.ID})
	wantCode(t, err, CodeValidation)
	_, err = s.Encrypt(ctx, sc, EncryptInput{KeyID: k.ID, Plaintext: make([]byte, 4097)})
	wantCode(t, err, CodeValidation)
	_, err = s.Encrypt(ctx, sc, EncryptInput{Plaintext: []byte("x")})
	wantCode(t, err, CodeValidation)
	_, err = s.Encrypt(ctx, sc, EncryptInput{KeyID: k.ID, Plaintext: []byte("x"), Algorithm: "RSAES_OAEP_SHA_256"})
	wantCode(t, err, CodeInvalidKeyUsage)
	_, err = s.Encrypt(ctx, sc, EncryptInput{KeyID: k.ID, Plaintext: []byte("x"), Algorithm: "ROT13"})
	wantCode(t, err, CodeValidation)
	_, err = s.Encrypt(ctx, sc, EncryptInput{KeyID: "not-a-key", Plaintext: []byte("x")})
	wantCode(t, err, CodeNotFound)
	_, err = s.Encrypt(ctx, sc, EncryptInput{KeyID: k.ID, Plaintext: []byte("x"), DryRun: true})
	wantCode(t, err, CodeDryRun)
	_, err = s.Decrypt(ctx, sc, DecryptInput{})
	wantCode(t, err, CodeValidation)
}
