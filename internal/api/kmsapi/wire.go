package kmsapi

import (
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/kms"
)

// keyMetadata is the model's KeyMetadata.
type keyMetadata struct {
	AWSAccountID                string          `json:"AWSAccountId"`
	KeyID                       string          `json:"KeyId"`
	Arn                         string          `json:"Arn"`
	CreationDate                awsproto.Epoch  `json:"CreationDate"`
	Enabled                     bool            `json:"Enabled"`
	Description                 string          `json:"Description"`
	KeyUsage                    string          `json:"KeyUsage"`
	KeyState                    string          `json:"KeyState"`
	DeletionDate                *awsproto.Epoch `json:"DeletionDate,omitempty"`
	PendingDeletionWindowInDays int             `json:"PendingDeletionWindowInDays,omitempty"`
	Origin                      string          `json:"Origin"`
	KeyManager                  string          `json:"KeyManager"`
	CustomerMasterKeySpec       string          `json:"CustomerMasterKeySpec"`
	KeySpec                     string          `json:"KeySpec"`
	EncryptionAlgorithms        []string        `json:"EncryptionAlgorithms"`
	MultiRegion                 bool            `json:"MultiRegion"`
}

func metadataOf(k *kms.Key) keyMetadata {
	m := keyMetadata{AWSAccountID: k.Account, KeyID: k.ID, Arn: k.ARN, CreationDate: awsproto.Epoch(k.CreatedAt), Enabled: k.Enabled(),
		Description: k.Description, KeyUsage: k.KeyUsage, KeyState: k.State, Origin: k.Origin, KeyManager: kms.ManagerCustomer,
		CustomerMasterKeySpec: k.KeySpec, KeySpec: k.KeySpec, EncryptionAlgorithms: []string{kms.AlgorithmSymmetric}}
	if k.DeletionDate != nil {
		d := awsproto.Epoch(*k.DeletionDate)
		m.DeletionDate, m.PendingDeletionWindowInDays = &d, k.PendingWindowInDays
	}
	return m
}

type keyMetadataResponse struct {
	KeyMetadata keyMetadata `json:"KeyMetadata"`
}

// tag is the model's Tag.
type tag struct {
	TagKey   string `json:"TagKey"`
	TagValue string `json:"TagValue"`
}

func tagsIn(tags []tag) []kms.Tag {
	if tags == nil {
		return nil
	}
	out := make([]kms.Tag, len(tags))
	for i, t := range tags {
		out[i] = kms.Tag{Key: t.TagKey, Value: t.TagValue}
	}
	return out
}

// page is the paging members of a listing's answer.
type page struct {
	Truncated  bool   `json:"Truncated"`
	NextMarker string `json:"NextMarker,omitempty"`
}

func pageOf(next string) page { return page{Truncated: next != "", NextMarker: next} }

// empty is the answer of operations that return nothing.
type empty struct{}
