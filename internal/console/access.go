package console

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

func init() {
	registerTab(tab{Slug: "access", Title: "Access", Order: 50, Load: loadAccess})
	registerPage("access-mode", "access-mode.html")
	registerPage("access-create", "access-create.html")
	registerPage("access-entry", "access-entry.html")
}

type entryRow struct {
	PrincipalARN string
	Entry        *ekstypes.AccessEntry
	Error        string
}

type accessData struct {
	Cluster, Mode, Issuer string
	Entries               []entryRow
	EntriesErr            string
	PodIdentity           []ekstypes.PodIdentityAssociationSummary
	PodIdentityErr        string
}

func errText(err error) string {
	se, _ := explain(err)
	return se.Code + ": " + se.Message
}

// loadAccess reads the access entries and Pod Identity associations;
// what cannot be read (entries in CONFIG_MAP mode, a denied call) is said
// in its own card.
func loadAccess(ctx context.Context, _ *Console, _ *Session, cl *awsClients, k *ekstypes.Cluster, _ *http.Request) (any, error) {
	name := aws.ToString(k.Name)
	d := &accessData{Cluster: name}
	if k.AccessConfig != nil {
		d.Mode = string(k.AccessConfig.AuthenticationMode)
	}
	if k.Identity != nil && k.Identity.Oidc != nil {
		d.Issuer = aws.ToString(k.Identity.Oidc.Issuer)
	}
	var arns []string
	p := eks.NewListAccessEntriesPaginator(cl.EKS, &eks.ListAccessEntriesInput{ClusterName: aws.String(name)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			d.EntriesErr = errText(err)
			break
		}
		arns = append(arns, out.AccessEntries...)
	}
	sort.Strings(arns)
	d.Entries = make([]entryRow, len(arns))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, arn := range arns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			row := entryRow{PrincipalARN: arn}
			out, err := cl.EKS.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String(name), PrincipalArn: aws.String(arn)})
			if err != nil {
				row.Error = errText(err)
			} else {
				row.Entry = out.AccessEntry
			}
			d.Entries[i] = row
		}()
	}
	wg.Wait()
	pi := eks.NewListPodIdentityAssociationsPaginator(cl.EKS, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String(name)})
	for pi.HasMorePages() {
		out, err := pi.NextPage(ctx)
		if err != nil {
			d.PodIdentityErr = errText(err)
			break
		}
		d.PodIdentity = append(d.PodIdentity, out.Associations...)
	}
	return d, nil
}

func entryHref(cluster, arn string) string {
	return clusterHref(cluster, "access", "entry") + "?arn=" + url.QueryEscape(arn)
}

// Manage access: the authentication mode.

type accessModeData struct{ Cluster, Mode string }

func (c *Console) accessModePage(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	out, err := cl.EKS.DescribeCluster(r.Context(), &eks.DescribeClusterInput{Name: aws.String(name)})
	if err != nil {
		return err
	}
	d := &accessModeData{Cluster: name}
	if out.Cluster.AccessConfig != nil {
		d.Mode = string(out.Cluster.AccessConfig.AuthenticationMode)
	}
	c.render(w, r, http.StatusOK, "access-mode", &pageData{Title: "Manage access · " + name, Session: s, Data: d,
		Crumbs: clusterCrumbs(name, crumb{"Access", clusterHref(name, "access")}, crumb{"Manage access", clusterHref(name, "access", "mode")})})
	return nil
}

func (c *Console) updateAccessMode(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	d := &accessModeData{Cluster: name, Mode: r.PostFormValue("mode")}
	out, err := cl.EKS.UpdateClusterConfig(r.Context(), &eks.UpdateClusterConfigInput{Name: aws.String(name),
		AccessConfig: &ekstypes.UpdateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationMode(d.Mode)}})
	if err == nil {
		seeOther(w, r, updateHref(name, out.Update, ""), "The authentication mode of "+name+" is being changed to "+d.Mode+".")
		return nil
	}
	pd := &pageData{Title: "Manage access · " + name, Session: s, Data: d,
		Crumbs: clusterCrumbs(name, crumb{"Access", clusterHref(name, "access")}, crumb{"Manage access", clusterHref(name, "access", "mode")})}
	c.render(w, r, formError(pd, err), "access-mode", pd)
	return nil
}

// Create access entry.

type createEntryData struct {
	Cluster                                             string
	Policies                                            []string // access policy ARNs
	PrincipalARN, Type, Username, Groups, Policy, Scope string
	Namespaces                                          string
}

func accessPolicies(ctx context.Context, cl *awsClients) []string {
	var out []string
	p := eks.NewListAccessPoliciesPaginator(cl.EKS, &eks.ListAccessPoliciesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out
		}
		for _, ap := range page.AccessPolicies {
			out = append(out, aws.ToString(ap.Arn))
		}
	}
	sort.Strings(out)
	return out
}

func policyName(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

func (c *Console) createEntryPage(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	if _, err := cl.EKS.DescribeCluster(r.Context(), &eks.DescribeClusterInput{Name: aws.String(name)}); err != nil {
		return err
	}
	d := &createEntryData{Cluster: name, Type: "STANDARD", Scope: "cluster", Policies: accessPolicies(r.Context(), cl)}
	c.render(w, r, http.StatusOK, "access-create", &pageData{Title: "Create access entry · " + name, Session: s, Data: d,
		Crumbs: clusterCrumbs(name, crumb{"Access", clusterHref(name, "access")}, crumb{"Create access entry", clusterHref(name, "access", "entries", "create")})})
	return nil
}

func scopeOf(scope, namespaces string) *ekstypes.AccessScope {
	if scope == "namespace" {
		return &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: lines(namespaces)}
	}
	return &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}
}

// createEntry creates the entry, then associates the chosen policy; if
// only the second fails, the entry's page says so.
func (c *Console) createEntry(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	d := &createEntryData{Cluster: name, PrincipalARN: strings.TrimSpace(r.PostFormValue("principal")), Type: r.PostFormValue("type"),
		Username: strings.TrimSpace(r.PostFormValue("username")), Groups: r.PostFormValue("groups"), Policy: r.PostFormValue("policy"),
		Scope: r.PostFormValue("scope"), Namespaces: r.PostFormValue("namespaces")}
	in := &eks.CreateAccessEntryInput{ClusterName: aws.String(name), PrincipalArn: aws.String(d.PrincipalARN), KubernetesGroups: lines(d.Groups)}
	if d.Type != "" {
		in.Type = aws.String(d.Type)
	}
	if d.Username != "" {
		in.Username = aws.String(d.Username)
	}
	if _, err = cl.EKS.CreateAccessEntry(r.Context(), in); err == nil {
		if d.Policy == "" {
			seeOther(w, r, entryHref(name, d.PrincipalARN), "Access entry created.")
			return nil
		}
		_, err := cl.EKS.AssociateAccessPolicy(r.Context(), &eks.AssociateAccessPolicyInput{ClusterName: aws.String(name),
			PrincipalArn: aws.String(d.PrincipalARN), PolicyArn: aws.String(d.Policy), AccessScope: scopeOf(d.Scope, d.Namespaces)})
		if err == nil {
			seeOther(w, r, entryHref(name, d.PrincipalARN), "Access entry created with "+policyName(d.Policy)+".")
			return nil
		}
		return c.showEntry(w, r, s, cl, name, d.PrincipalARN, "Access entry created, but the access policy was not associated.", err)
	}
	d.Policies = accessPolicies(r.Context(), cl)
	pd := &pageData{Title: "Create access entry · " + name, Session: s, Data: d,
		Crumbs: clusterCrumbs(name, crumb{"Access", clusterHref(name, "access")}, crumb{"Create access entry", clusterHref(name, "access", "entries", "create")})}
	c.render(w, r, formError(pd, err), "access-create", pd)
	return nil
}

// An access entry's page.

type entryData struct {
	Cluster    string
	Entry      *ekstypes.AccessEntry
	Associated []ekstypes.AssociatedAccessPolicy
	Policies   []string
}

func (c *Console) entryPage(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	return c.showEntry(w, r, s, cl, r.PathValue("name"), r.URL.Query().Get("arn"), r.URL.Query().Get("flash"), nil)
}

// showEntry renders an entry's page, with an action's failure above it.
func (c *Console) showEntry(w http.ResponseWriter, r *http.Request, s *Session, cl *awsClients, name, arn, flash string, failed error) error {
	out, err := cl.EKS.DescribeAccessEntry(r.Context(), &eks.DescribeAccessEntryInput{ClusterName: aws.String(name), PrincipalArn: aws.String(arn)})
	if err != nil {
		if failed != nil {
			return failed
		}
		return err
	}
	d := &entryData{Cluster: name, Entry: out.AccessEntry, Policies: accessPolicies(r.Context(), cl)}
	pd := &pageData{Title: shortARN(arn) + " · " + name, Session: s, Data: d, Flash: flash,
		Crumbs: clusterCrumbs(name, crumb{"Access", clusterHref(name, "access")}, crumb{shortARN(arn), entryHref(name, arn)})}
	p := eks.NewListAssociatedAccessPoliciesPaginator(cl.EKS, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String(name), PrincipalArn: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(r.Context())
		if err != nil {
			pd.Error, _ = explain(err)
			break
		}
		d.Associated = append(d.Associated, page.AssociatedAccessPolicies...)
	}
	status := http.StatusOK
	if failed != nil {
		status = formError(pd, failed)
	}
	c.render(w, r, status, "access-entry", pd)
	return nil
}

func (c *Console) associatePolicy(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	name, arn, policy := r.PathValue("name"), r.PostFormValue("arn"), r.PostFormValue("policy")
	_, err = cl.EKS.AssociateAccessPolicy(r.Context(), &eks.AssociateAccessPolicyInput{ClusterName: aws.String(name), PrincipalArn: aws.String(arn),
		PolicyArn: aws.String(policy), AccessScope: scopeOf(r.PostFormValue("scope"), r.PostFormValue("namespaces"))})
	if err != nil {
		return c.showEntry(w, r, s, cl, name, arn, "", err)
	}
	seeOther(w, r, entryHref(name, arn), policyName(policy)+" associated.")
	return nil
}

func (c *Console) disassociatePolicy(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	name, arn, policy := r.PathValue("name"), r.PostFormValue("arn"), r.PostFormValue("policy")
	_, err = cl.EKS.DisassociateAccessPolicy(r.Context(), &eks.DisassociateAccessPolicyInput{ClusterName: aws.String(name), PrincipalArn: aws.String(arn), PolicyArn: aws.String(policy)})
	if err != nil {
		return c.showEntry(w, r, s, cl, name, arn, "", err)
	}
	seeOther(w, r, entryHref(name, arn), policyName(policy)+" disassociated.")
	return nil
}

func (c *Console) deleteEntry(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	name, arn := r.PathValue("name"), r.PostFormValue("arn")
	if _, err := cl.EKS.DeleteAccessEntry(r.Context(), &eks.DeleteAccessEntryInput{ClusterName: aws.String(name), PrincipalArn: aws.String(arn)}); err != nil {
		return c.showEntry(w, r, s, cl, name, arn, "", err)
	}
	seeOther(w, r, clusterHref(name, "access"), "Access entry "+shortARN(arn)+" deleted.")
	return nil
}
