package kmsapi

import (
	"context"

	"github.com/keksdev/keks/internal/kms"
)

type encryptRequest struct {
	KeyID               string            `json:"KeyId"`
	Plaintext           []byte            `json:"Plaintext"`
	EncryptionContext   map[string]string `json:"EncryptionContext"`
	EncryptionAlgorithm string            `json:"EncryptionAlgorithm"`
	GrantTokens         []string          `json:"GrantTokens"`
	DryRun              bool              `json:"DryRun"`
}

func (h *Handler) encrypt(ctx context.Context, sc kms.Scope, in *encryptRequest) (any, error) {
	out, err := h.KMS.Encrypt(ctx, sc, kms.EncryptInput{KeyID: in.KeyID, Plaintext: in.Plaintext, Context: in.EncryptionContext,
		Algorithm: in.EncryptionAlgorithm, GrantTokens: in.GrantTokens, DryRun: in.DryRun})
	if err != nil {
		return nil, err
	}
	return struct {
		CiphertextBlob      []byte `json:"CiphertextBlob"`
		KeyID               string `json:"KeyId"`
		EncryptionAlgorithm string `json:"EncryptionAlgorithm"`
	}{out.Blob, out.KeyARN, kms.AlgorithmSymmetric}, nil
}

type decryptRequest struct {
	CiphertextBlob      []byte            `json:"CiphertextBlob"`
	KeyID               string            `json:"KeyId"`
	EncryptionContext   map[string]string `json:"EncryptionContext"`
	EncryptionAlgorithm string            `json:"EncryptionAlgorithm"`
	GrantTokens         []string          `json:"GrantTokens"`
	DryRun              bool              `json:"DryRun"`
	// Recipient asks for the plaintext sealed to a Nitro enclave's key;
	// keks has no enclaves.
	Recipient any `json:"Recipient"`
}

func (h *Handler) decrypt(ctx context.Context, sc kms.Scope, in *decryptRequest) (any, error) {
	if in.Recipient != nil {
		return nil, unsupported("Recipient (Nitro Enclaves)")
	}
	out, err := h.KMS.Decrypt(ctx, sc, kms.DecryptInput{Ciphertext: in.CiphertextBlob, KeyID: in.KeyID, Context: in.EncryptionContext,
		Algorithm: in.EncryptionAlgorithm, GrantTokens: in.GrantTokens, DryRun: in.DryRun})
	if err != nil {
		return nil, err
	}
	return struct {
		KeyID               string `json:"KeyId"`
		Plaintext           []byte `json:"Plaintext"`
		EncryptionAlgorithm string `json:"EncryptionAlgorithm"`
	}{out.KeyARN, out.Plaintext, kms.AlgorithmSymmetric}, nil
}

type reEncryptRequest struct {
	CiphertextBlob                 []byte            `json:"CiphertextBlob"`
	SourceKeyID                    string            `json:"SourceKeyId"`
	SourceEncryptionContext        map[string]string `json:"SourceEncryptionContext"`
	SourceEncryptionAlgorithm      string            `json:"SourceEncryptionAlgorithm"`
	DestinationKeyID               string            `json:"DestinationKeyId"`
	DestinationEncryptionContext   map[string]string `json:"DestinationEncryptionContext"`
	DestinationEncryptionAlgorithm string            `json:"DestinationEncryptionAlgorithm"`
	GrantTokens                    []string          `json:"GrantTokens"`
	DryRun                         bool              `json:"DryRun"`
}

func (h *Handler) reEncrypt(ctx context.Context, sc kms.Scope, in *reEncryptRequest) (any, error) {
	out, err := h.KMS.ReEncrypt(ctx, sc, kms.ReEncryptInput{Ciphertext: in.CiphertextBlob,
		SourceKeyID: in.SourceKeyID, SourceContext: in.SourceEncryptionContext, SourceAlgorithm: in.SourceEncryptionAlgorithm,
		DestinationKeyID: in.DestinationKeyID, DestinationContext: in.DestinationEncryptionContext, DestinationAlgorithm: in.DestinationEncryptionAlgorithm,
		GrantTokens: in.GrantTokens, DryRun: in.DryRun})
	if err != nil {
		return nil, err
	}
	return struct {
		CiphertextBlob                 []byte `json:"CiphertextBlob"`
		SourceKeyID                    string `json:"SourceKeyId"`
		KeyID                          string `json:"KeyId"`
		SourceEncryptionAlgorithm      string `json:"SourceEncryptionAlgorithm"`
		DestinationEncryptionAlgorithm string `json:"DestinationEncryptionAlgorithm"`
	}{out.Blob, out.SourceKeyARN, out.KeyARN, kms.AlgorithmSymmetric, kms.AlgorithmSymmetric}, nil
}

type generateDataKeyRequest struct {
	KeyID             string            `json:"KeyId"`
	KeySpec           string            `json:"KeySpec"`
	NumberOfBytes     *int              `json:"NumberOfBytes"`
	EncryptionContext map[string]string `json:"EncryptionContext"`
	GrantTokens       []string          `json:"GrantTokens"`
	DryRun            bool              `json:"DryRun"`
	Recipient         any               `json:"Recipient"`
}

func (in *generateDataKeyRequest) input() kms.DataKeyInput {
	return kms.DataKeyInput{KeyID: in.KeyID, KeySpec: in.KeySpec, NumberOfBytes: in.NumberOfBytes, Context: in.EncryptionContext,
		GrantTokens: in.GrantTokens, DryRun: in.DryRun}
}

func (h *Handler) generateDataKey(ctx context.Context, sc kms.Scope, in *generateDataKeyRequest) (any, error) {
	if in.Recipient != nil {
		return nil, unsupported("Recipient (Nitro Enclaves)")
	}
	out, err := h.KMS.GenerateDataKey(ctx, sc, in.input())
	if err != nil {
		return nil, err
	}
	return struct {
		CiphertextBlob []byte `json:"CiphertextBlob"`
		Plaintext      []byte `json:"Plaintext"`
		KeyID          string `json:"KeyId"`
	}{out.Ciphertext, out.Plaintext, out.KeyARN}, nil
}

func (h *Handler) generateDataKeyWithoutPlaintext(ctx context.Context, sc kms.Scope, in *generateDataKeyRequest) (any, error) {
	out, err := h.KMS.GenerateDataKey(ctx, sc, in.input())
	if err != nil {
		return nil, err
	}
	return struct {
		CiphertextBlob []byte `json:"CiphertextBlob"`
		KeyID          string `json:"KeyId"`
	}{out.Ciphertext, out.KeyARN}, nil
}

type generateRandomRequest struct {
	NumberOfBytes    *int   `json:"NumberOfBytes"`
	CustomKeyStoreID string `json:"CustomKeyStoreId"`
	Recipient        any    `json:"Recipient"`
}

func (h *Handler) generateRandom(_ context.Context, _ kms.Scope, in *generateRandomRequest) (any, error) {
	if in.Recipient != nil || in.CustomKeyStoreID != "" {
		return nil, unsupported("Recipient and CustomKeyStoreId")
	}
	out, err := h.KMS.GenerateRandom(in.NumberOfBytes)
	if err != nil {
		return nil, err
	}
	return struct {
		Plaintext []byte `json:"Plaintext"`
	}{out}, nil
}
