package eksapi

import (
	"context"
	"maps"
	"net/http"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/kms"
)

// encryptionConfigs turns the wire's encryptionConfig into the model's.
func encryptionConfigs(in []encryptionConfig) []eks.EncryptionConfig {
	var out []eks.EncryptionConfig
	for _, ec := range in {
		e := eks.EncryptionConfig{Resources: ec.Resources}
		if ec.Provider != nil {
			e.KeyARN = ec.Provider.KeyARN
		}
		out = append(out, e)
	}
	return out
}

func (h *Handler) associateEncryptionConfig(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	var req struct {
		EncryptionConfig   []encryptionConfig `json:"encryptionConfig"`
		ClientRequestToken string             `json:"clientRequestToken"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.EncryptionConfig == nil {
		return awserr.Errorf(eks.CodeInvalidParameter, "encryptionConfig is required").With("clusterName", labels[0])
	}
	u, err := h.EKS.AssociateEncryptionConfig(r.Context(), c.Region, labels[0], encryptionConfigs(req.EncryptionConfig))
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"update": updateToWire(u)})
	return nil
}

// keyChecks are what EKS documents that a principal giving it a KMS key
// needs on that key: kms:DescribeKey and kms:CreateGrant (EKS makes a
// grant for the cluster), through EKS (kms:ViaService). Each is on the
// key's ARN with its key policy, as KMS decides them. A key that keks's
// KMS does not have needs nothing here: the model refuses it.
func (h *Handler) keyChecks(ctx context.Context, c *awsproto.Call, cfgs []encryptionConfig) []awsproto.Check {
	if h.KMS == nil {
		return nil
	}
	var out []awsproto.Check
	for _, ec := range cfgs {
		if ec.Provider == nil || ec.Provider.KeyARN == "" {
			continue
		}
		r, err := h.KMS.Resolve(ctx, kms.Scope{Region: c.Region, Account: c.Principal.Account}, ec.Provider.KeyARN)
		if err != nil {
			continue
		}
		key := r.Key
		tags := maps.Clone(key.Tags)
		for _, action := range []string{"kms:DescribeKey", "kms:CreateGrant"} {
			ch := awsproto.Check{Action: action, Resource: key.ARN, ResourcePolicy: key.Policy,
				ResourceTags: func(context.Context) map[string]string { return tags },
				Context: map[string][]string{
					"kms:CallerAccount": {c.Principal.Account},
					"kms:ViaService":    {"eks." + c.Region + ".amazonaws.com"},
					"kms:KeySpec":       {key.KeySpec},
					"kms:KeyUsage":      {key.KeyUsage},
					"kms:KeyOrigin":     {key.Origin},
				}}
			if r.Alias != "" {
				ch.Context["kms:RequestAlias"] = []string{r.Alias}
			}
			if action == "kms:CreateGrant" {
				ch.Context["kms:GrantIsForAWSResource"] = []string{"true"}
			}
			out = append(out, ch)
		}
	}
	return out
}
