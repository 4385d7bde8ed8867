package eksapi

import (
	"net/http"
	"slices"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/kubeversions"
)

func (h *Handler) createAddon(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	var req struct {
		AddonName             string            `json:"addonName"`
		AddonVersion          string            `json:"addonVersion"`
		ServiceAccountRoleARN string            `json:"serviceAccountRoleArn"`
		ResolveConflicts      string            `json:"resolveConflicts"`
		ConfigurationValues   string            `json:"configurationValues"`
		Tags                  map[string]string `json:"tags"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	a, err := h.EKS.CreateAddon(r.Context(), eks.CreateAddonInput{
		Region: c.Region, ClusterName: labels[0], Name: req.AddonName, Version: req.AddonVersion,
		ServiceAccountRoleARN: req.ServiceAccountRoleARN, ResolveConflicts: req.ResolveConflicts,
		ConfigurationValues: req.ConfigurationValues, Tags: req.Tags,
	})
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"addon": addonToWire(a)})
	return nil
}

func (h *Handler) describeAddon(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	a, err := h.EKS.GetAddon(r.Context(), c.Region, labels[0], labels[1])
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"addon": addonToWire(a)})
	return nil
}

func (h *Handler) listAddons(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	max, err := intQuery(r, "maxResults")
	if err != nil {
		return err
	}
	names, next, err := h.EKS.ListAddons(r.Context(), c.Region, labels[0], max, r.URL.Query().Get("nextToken"))
	if err != nil {
		return err
	}
	writeList(w, c, "addons", names, next)
	return nil
}

func (h *Handler) deleteAddon(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	preserve, err := boolQuery(r, "preserve")
	if err != nil {
		return err
	}
	a, err := h.EKS.DeleteAddon(r.Context(), c.Region, labels[0], labels[1], preserve)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"addon": addonToWire(a)})
	return nil
}

func (h *Handler) updateAddon(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	var req struct {
		AddonVersion          string  `json:"addonVersion"`
		ServiceAccountRoleARN *string `json:"serviceAccountRoleArn"`
		ResolveConflicts      string  `json:"resolveConflicts"`
		ConfigurationValues   *string `json:"configurationValues"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	u, err := h.EKS.UpdateAddon(r.Context(), eks.UpdateAddonInput{
		Region: c.Region, ClusterName: labels[0], Name: labels[1], Version: req.AddonVersion,
		ServiceAccountRoleARN: req.ServiceAccountRoleARN, ResolveConflicts: req.ResolveConflicts, ConfigurationValues: req.ConfigurationValues,
	})
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"update": updateToWire(u)})
	return nil
}

func (h *Handler) describeAddonVersions(w http.ResponseWriter, r *http.Request, c *awsproto.Call, _ []string) error {
	q := r.URL.Query()
	max, err := intQuery(r, "maxResults")
	if err != nil {
		return err
	}
	var names []string
	for _, k := range eks.AddonKinds {
		if (q.Get("addonName") == "" || q.Get("addonName") == k.Name) && (len(q["types"]) == 0 || slices.Contains(q["types"], k.Type)) &&
			(len(q["owners"]) == 0 || slices.Contains(q["owners"], "aws")) && (len(q["publishers"]) == 0 || slices.Contains(q["publishers"], "eks")) {
			names = append(names, k.Name)
		}
	}
	page, next, err := eks.Page(names, max, q.Get("nextToken"))
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, name := range page {
		kind, _ := eks.LookupAddonKind(name)
		// One entry per add-on version, listing the cluster versions it runs on.
		byVersion := map[string][]map[string]any{}
		var order []string
		for _, kv := range kubeversions.All() {
			if v := q.Get("kubernetesVersion"); v != "" && v != kv.Minor {
				continue
			}
			for i, av := range kind.Versions(kv) {
				if _, ok := byVersion[av]; !ok {
					order = append(order, av)
				}
				byVersion[av] = append(byVersion[av], map[string]any{"clusterVersion": kv.Minor, "platformVersions": []string{"*"}, "defaultVersion": i == 0})
			}
		}
		versions := []map[string]any{}
		for i := len(order) - 1; i >= 0; i-- {
			versions = append(versions, map[string]any{"addonVersion": order[i], "architecture": []string{"amd64"}, "computeTypes": []string{"ec2"},
				"compatibilities": byVersion[order[i]], "requiresConfiguration": false, "requiresIamPermissions": false})
		}
		out = append(out, map[string]any{"addonName": name, "type": kind.Type, "addonVersions": versions, "publisher": "eks", "owner": kind.OwnerName(), "defaultNamespace": "kube-system"})
	}
	resp := map[string]any{"addons": out}
	if next != "" {
		resp["nextToken"] = next
	}
	awsproto.WriteJSON(w, c.RequestID, resp)
	return nil
}

func addonToWire(a *eks.Addon) map[string]any {
	issues := issuesToWire(a.Issues)
	tags := a.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	out := map[string]any{
		"addonName": a.Name, "clusterName": a.ClusterName, "status": a.Status, "addonVersion": a.Version,
		"health": map[string]any{"issues": issues}, "addonArn": a.ARN, "createdAt": epoch(a.CreatedAt), "modifiedAt": epoch(a.ModifiedAt),
		"tags": tags, "publisher": "eks", "owner": "aws",
	}
	if kind, ok := eks.LookupAddonKind(a.Name); ok {
		out["owner"] = kind.OwnerName()
	}
	if a.ServiceAccountRoleARN != "" {
		out["serviceAccountRoleArn"] = a.ServiceAccountRoleARN
	}
	if a.ConfigurationValues != "" {
		out["configurationValues"] = a.ConfigurationValues
	}
	return out
}

// addonSchema is every add-on's configuration schema: keks's add-ons take
// no configuration values yet, so the only valid document is {}.
const addonSchema = `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false,"properties":{}}`

func (h *Handler) describeAddonConfiguration(w http.ResponseWriter, r *http.Request, c *awsproto.Call, _ []string) error {
	q := r.URL.Query()
	name, version := q.Get("addonName"), q.Get("addonVersion")
	if name == "" || version == "" {
		return awserr.Errorf(eks.CodeInvalidParameter, "addonName and addonVersion are required")
	}
	kind, ok := eks.LookupAddonKind(name)
	if !ok {
		return awserr.Errorf(eks.CodeResourceNotFound, "Addon %s specified is not supported", name).With("addonName", name)
	}
	known := false
	for _, kv := range kubeversions.All() {
		known = known || slices.Contains(kind.Versions(kv), version)
	}
	if !known {
		return awserr.Errorf(eks.CodeResourceNotFound, "Addon version %s specified is not supported for %s", version, name).With("addonName", name)
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"addonName": name, "addonVersion": version, "configurationSchema": addonSchema, "podIdentityConfiguration": []any{}})
	return nil
}
