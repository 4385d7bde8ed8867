package ec2api

import (
	"cmp"
	"context"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// Key pairs join the action, check and filter tables here rather than in
// their files, so the tables stay one line per resource family's file.
func init() {
	actions["CreateKeyPair"] = (*Handler).createKeyPair
	actions["ImportKeyPair"] = (*Handler).importKeyPair
	actions["DescribeKeyPairs"] = (*Handler).describeKeyPairs
	actions["DeleteKeyPair"] = (*Handler).deleteKeyPair
	actionChecks["CreateKeyPair"] = (*ec2Call).createKeyPair
	actionChecks["ImportKeyPair"] = (*ec2Call).importKeyPair
	actionChecks["DescribeKeyPairs"] = onAnything("ec2:DescribeKeyPairs")
	actionChecks["DeleteKeyPair"] = (*ec2Call).deleteKeyPair
	filterNames["DescribeKeyPairs"] = []string{"key-pair-id", "key-name", "fingerprint"}
}

// keyPairNode is a key pair in EC2's XML: an item of keySet, or with its
// kids at the top of CreateKeyPair's and ImportKeyPair's answers.
func keyPairNode(kp *ec2.KeyPair, publicKey bool) awsproto.Node {
	n := awsproto.El("", awsproto.Tx("keyPairId", kp.ID), awsproto.Tx("keyName", kp.Name), awsproto.Tx("keyFingerprint", kp.Fingerprint),
		awsproto.Tx("keyType", kp.Type), awsproto.Time("createTime", kp.CreateTime), tagSet(kp.Tags))
	if publicKey {
		// EC2 shows the public key with the key pair's name as its comment.
		n.Kids = append(n.Kids, awsproto.Tx("publicKey", kp.PublicKey+" "+kp.Name))
	}
	return n
}

func (h *Handler) createKeyPair(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	name, err := required(c, "KeyName", "KeyName")
	if err != nil {
		return nil, err
	}
	switch f := c.Form.Get("KeyFormat"); f {
	case "", ec2.KeyFormatPEM:
	case ec2.KeyFormatPPK:
		return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "keks makes key pairs in the pem format only; convert the key with puttygen.")
	default:
		return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "Invalid value '%s' for KeyFormat.", f)
	}
	tags, err := tagSpecs(c, "key-pair")
	if err != nil {
		return nil, err
	}
	kp, material, err := h.EC2.CreateKeyPair(r.Context(), c.Region, name, c.Form.Get("KeyType"), tags)
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Tx("keyPairId", kp.ID), awsproto.Tx("keyName", kp.Name), awsproto.Tx("keyFingerprint", kp.Fingerprint),
		awsproto.Tx("keyMaterial", material), tagSet(kp.Tags)}, nil
}

func (h *Handler) importKeyPair(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	name, err := required(c, "KeyName", "KeyName")
	if err != nil {
		return nil, err
	}
	encoded, err := required(c, "PublicKeyMaterial", "PublicKeyMaterial")
	if err != nil {
		return nil, err
	}
	material, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "Value for parameter PublicKeyMaterial is invalid. Invalid BASE64 encoding.")
	}
	tags, err := tagSpecs(c, "key-pair")
	if err != nil {
		return nil, err
	}
	kp, err := h.EC2.ImportKeyPair(r.Context(), c.Region, name, material, tags)
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Tx("keyPairId", kp.ID), awsproto.Tx("keyName", kp.Name), awsproto.Tx("keyFingerprint", kp.Fingerprint), tagSet(kp.Tags)}, nil
}

// describeKeyPairs answers the region's key pairs: those named by KeyName.N
// and KeyPairId.N (each must exist), narrowed by filters.
func (h *Handler) describeKeyPairs(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeKeyPairs", true)
	if err != nil {
		return nil, err
	}
	withPublicKey, err := boolParam(c, "IncludePublicKey")
	if err != nil {
		return nil, err
	}
	all, err := h.EC2.KeyPairs(r.Context(), c.Region)
	if err != nil {
		return nil, err
	}
	names, ids := listParam(c, "KeyName"), listParam(c, "KeyPairId")
	for _, n := range names {
		if !slices.ContainsFunc(all, func(kp ec2.KeyPair) bool { return kp.Name == n }) {
			return nil, awserr.Errorf(ec2.CodeInvalidKeyPairNotFound, "The key pair '%s' does not exist", n)
		}
	}
	for _, id := range ids {
		if !slices.ContainsFunc(all, func(kp ec2.KeyPair) bool { return kp.ID == id }) {
			return nil, awserr.Errorf(ec2.CodeInvalidKeyPairNotFound, "The key pair ID '%s' does not exist", id)
		}
	}
	slices.SortFunc(all, func(a, b ec2.KeyPair) int { return strings.Compare(a.Name, b.Name) })
	items := []awsproto.Node{}
	for i := range all {
		kp := &all[i]
		if (len(names) > 0 && !slices.Contains(names, kp.Name)) || (len(ids) > 0 && !slices.Contains(ids, kp.ID)) {
			continue
		}
		fields := map[string]string{"key-pair-id": kp.ID, "key-name": kp.Name, "fingerprint": kp.Fingerprint}
		if matches(fs, fields, kp.Tags) {
			items = append(items, keyPairNode(kp, withPublicKey))
		}
	}
	return []awsproto.Node{awsproto.List("keySet", "item", items)}, nil
}

func (h *Handler) deleteKeyPair(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	id, err := h.EC2.DeleteKeyPair(r.Context(), c.Region, c.Form.Get("KeyName"), c.Form.Get("KeyPairId"))
	if err != nil {
		return nil, err
	}
	out := []awsproto.Node{awsproto.Bool("return", true)}
	if id != "" {
		out = append(out, awsproto.Tx("keyPairId", id))
	}
	return out, nil
}

// createKeyPair acts on the new key pair, by its name, with its type and
// the tags it is given (also checked as ec2:CreateTags).
func (e *ec2Call) createKeyPair() []awsproto.Check {
	return e.makingKeyPair("CreateKeyPair", map[string][]string{"ec2:KeyPairType": {cmp.Or(e.c.Form.Get("KeyType"), ec2.KeyTypeRSA)}})
}

func (e *ec2Call) importKeyPair() []awsproto.Check { return e.makingKeyPair("ImportKeyPair", nil) }

func (e *ec2Call) makingKeyPair(operation string, keys map[string][]string) []awsproto.Check {
	made := e.onKeyPair("ec2:"+operation, e.c.Form.Get("KeyName"))
	tags := awsproto.TagContext(specTags(e.c, "key-pair"))
	addKeys(&made, keys)
	addKeys(&made, tags)
	if len(tags) == 0 {
		return []awsproto.Check{made}
	}
	tagging := awsproto.Check{Action: "ec2:CreateTags", Resource: made.Resource, Context: map[string][]string{"ec2:CreateAction": {operation}}}
	addKeys(&tagging, tags)
	return []awsproto.Check{made, tagging}
}

// deleteKeyPair acts on the key pair named, or the one with the id given;
// an unknown id is checked on "*".
func (e *ec2Call) deleteKeyPair() []awsproto.Check {
	name := e.c.Form.Get("KeyName")
	if id := e.c.Form.Get("KeyPairId"); id != "" {
		name = ""
		if kp := e.h.lookupKeyPair(e.ctx, e.c.Region, func(kp ec2.KeyPair) bool { return kp.ID == id }); kp != nil {
			name = kp.Name
		}
	}
	ch := e.onKeyPair("ec2:DeleteKeyPair", name)
	if ch.Resource != "*" {
		h, region := e.h, e.c.Region
		ch.ResourceTags = func(ctx context.Context) map[string]string {
			if kp := h.lookupKeyPair(ctx, region, func(kp ec2.KeyPair) bool { return kp.Name == name }); kp != nil {
				return kp.Tags
			}
			return nil
		}
	}
	return []awsproto.Check{ch}
}

// lookupKeyPair finds a region's key pair for a check; nil if there is none.
func (h *Handler) lookupKeyPair(ctx context.Context, region string, match func(ec2.KeyPair) bool) *ec2.KeyPair {
	if h.EC2 == nil {
		return nil
	}
	all, err := h.EC2.KeyPairs(ctx, region)
	if err != nil {
		return nil
	}
	if i := slices.IndexFunc(all, match); i >= 0 {
		return &all[i]
	}
	return nil
}
