package console

// A Fargate profile's page (details, the pods it placed, Delete with its
// typed name) and the Add Fargate profile form, one page standing for the
// AWS console's wizard (Configure, Pod selection, Review).

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func init() {
	registerPage("fargate", "fargate.html")
	registerPage("fargate-create", "fargate_create.html")
}

// maxFargateSelectors is how many selectors a profile may have.
const maxFargateSelectors = 5

// fargateView is a Fargate profile's page.
type fargateView struct {
	Cluster  *ekstypes.Cluster
	Profile  *ekstypes.FargateProfile
	Pods     []fargatePodRow
	PodsNote string
	PodsErr  *shownError
}

// fargatePodRow is a pod a profile placed.
type fargatePodRow struct{ Namespace, Name, Node, Phase string }

func fargateHref(cluster, profile, flash string) string {
	return withFlash(clusterHref(cluster, "fargate", url.PathEscape(profile)), flash)
}

func (c *Console) describeFargateProfile(r *http.Request, cl *awsClients) (*ekstypes.FargateProfile, error) {
	out, err := cl.EKS.DescribeFargateProfile(r.Context(), &eks.DescribeFargateProfileInput{ClusterName: aws.String(r.PathValue("name")),
		FargateProfileName: aws.String(r.PathValue("profile"))})
	if err != nil {
		return nil, err
	}
	return out.FargateProfile, nil
}

func (c *Console) fargatePage(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	cluster, err := c.describeComputeCluster(r, cl)
	if err != nil {
		return err
	}
	fp, err := c.describeFargateProfile(r, cl)
	if err != nil {
		return err
	}
	v := &fargateView{Cluster: cluster, Profile: fp}
	v.Pods, v.PodsNote, v.PodsErr = c.fargatePods(r.Context(), s, cluster, aws.ToString(fp.FargateProfileName))
	name, profile := r.PathValue("name"), aws.ToString(fp.FargateProfileName)
	c.render(w, r, http.StatusOK, "fargate", &pageData{Title: profile + " · Fargate profile", Session: s, Data: v, Flash: r.URL.Query().Get("flash"),
		Crumbs: computeCrumbs(name, crumb{profile, fargateHref(name, profile, "")})})
	return nil
}

// fargatePods are the pods the profile placed (their
// eks.amazonaws.com/fargate-profile label), as the principal may see them.
func (c *Console) fargatePods(ctx context.Context, s *Session, cluster *ekstypes.Cluster, profile string) ([]fargatePodRow, string, *shownError) {
	if cluster.Status != ekstypes.ClusterStatusActive && cluster.Status != ekstypes.ClusterStatusUpdating {
		return nil, fmt.Sprintf("The cluster is %s: its pods can be listed once it is ACTIVE.", cluster.Status), nil
	}
	if !clusterHasEndpoint(cluster) {
		return nil, "The cluster has no API server endpoint yet.", nil
	}
	ctx, cancel := context.WithTimeout(ctx, computeKubeTimeout)
	defer cancel()
	kc, err := c.clients.kubeFor(ctx, s, aws.ToString(cluster.Name))
	if err != nil {
		se, _ := explain(err)
		return nil, "", se
	}
	list, err := kc.CoreV1().Pods("").List(ctx, metav1.ListOptions{LabelSelector: computeLabelFargateProfile + "=" + profile})
	if err != nil {
		se, _ := explain(err)
		return nil, "", se
	}
	rows := make([]fargatePodRow, 0, len(list.Items))
	for _, p := range list.Items {
		phase := string(p.Status.Phase)
		if p.DeletionTimestamp != nil {
			phase = "Terminating"
		}
		rows = append(rows, fargatePodRow{Namespace: p.Namespace, Name: p.Name, Node: p.Spec.NodeName, Phase: phase})
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Namespace != rows[j].Namespace {
			return rows[i].Namespace < rows[j].Namespace
		}
		return rows[i].Name < rows[j].Name
	})
	return rows, "", nil
}

// fargateForm is the Add Fargate profile form, with what the user entered.
type fargateForm struct {
	Cluster    *ekstypes.Cluster
	Roles      []computeRole
	RolesError *shownError
	Subnets    []computeSubnet
	Name, Role string
	// RoleARN, typed, stands for Role when given.
	RoleARN   string
	Selectors []fargateSelectorInput
	Tags      string
}

// fargateSelectorInput is one of the form's selectors.
type fargateSelectorInput struct {
	N                 int
	Namespace, Labels string
}

func (c *Console) newFargateForm(r *http.Request, cl *awsClients, cluster *ekstypes.Cluster) *fargateForm {
	f := &fargateForm{Cluster: cluster}
	var err error
	if f.Roles, err = rolesTrustingService(r.Context(), cl, "eks-fargate-pods.amazonaws.com"); err != nil {
		f.RolesError, _ = explain(err)
	}
	f.Subnets = computeSubnets(r.Context(), cl, cluster)
	for i := range f.Subnets {
		f.Subnets[i].Checked = f.Subnets[i].Private
	}
	for i := range maxFargateSelectors {
		f.Selectors = append(f.Selectors, fargateSelectorInput{N: i + 1})
	}
	return f
}

func (c *Console) renderFargateForm(w http.ResponseWriter, r *http.Request, s *Session, f *fargateForm, err error) {
	name := aws.ToString(f.Cluster.Name)
	d := &pageData{Title: "Add Fargate profile · " + name, Session: s, Data: f,
		Crumbs: computeCrumbs(name, crumb{"Add Fargate profile", Prefix + "/clusters/" + url.PathEscape(name) + "/fargate/create"})}
	c.renderForm(w, r, "fargate-create", d, err)
}

func (c *Console) fargateCreateForm(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	cluster, err := c.describeComputeCluster(r, cl)
	if err != nil {
		return err
	}
	f := c.newFargateForm(r, cl, cluster)
	f.Selectors[0].Namespace = "default"
	c.renderFargateForm(w, r, s, f, nil)
	return nil
}

// fargateCreate calls CreateFargateProfile with the form.
func (c *Console) fargateCreate(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	cluster, err := c.describeComputeCluster(r, cl)
	if err != nil {
		return err
	}
	f := c.newFargateForm(r, cl, cluster)
	f.Name, f.Role, f.Tags = strings.TrimSpace(r.PostFormValue("name")), strings.TrimSpace(r.PostFormValue("role")), r.PostFormValue("tags")
	f.RoleARN = strings.TrimSpace(r.PostFormValue("rolearn"))
	for i := range f.Selectors {
		f.Selectors[i].Namespace = strings.TrimSpace(r.PostFormValue(fmt.Sprintf("selector-%d-namespace", i+1)))
		f.Selectors[i].Labels = r.PostFormValue(fmt.Sprintf("selector-%d-labels", i+1))
	}
	checkComputeSubnets(f.Subnets, r.PostForm["subnet"])
	in, err := f.input(r)
	if err != nil {
		c.renderFargateForm(w, r, s, f, err)
		return nil
	}
	out, err := cl.EKS.CreateFargateProfile(r.Context(), in)
	if err != nil {
		c.renderFargateForm(w, r, s, f, err)
		return nil
	}
	p := aws.ToString(out.FargateProfile.FargateProfileName)
	http.Redirect(w, r, fargateHref(aws.ToString(cluster.Name), p, "Creating Fargate profile "+p+"."), http.StatusSeeOther)
	return nil
}

// input is the CreateFargateProfile request: a selector is one with a
// namespace or labels; no subnet checked leaves EKS to pick the cluster's
// private ones.
func (f *fargateForm) input(r *http.Request) (*eks.CreateFargateProfileInput, error) {
	role := f.Role
	if f.RoleARN != "" {
		role = f.RoleARN
	}
	in := &eks.CreateFargateProfileInput{ClusterName: f.Cluster.Name, FargateProfileName: aws.String(f.Name), PodExecutionRoleArn: aws.String(role),
		Subnets: r.PostForm["subnet"], Selectors: []ekstypes.FargateProfileSelector{}}
	for _, sel := range f.Selectors {
		labels, err := parseKeyValueLines(sel.Labels, fmt.Sprintf("Selector %d's labels", sel.N))
		if err != nil {
			return nil, err
		}
		if sel.Namespace == "" && len(labels) == 0 {
			continue
		}
		s := ekstypes.FargateProfileSelector{Namespace: aws.String(sel.Namespace)}
		if len(labels) > 0 {
			s.Labels = labels
		}
		in.Selectors = append(in.Selectors, s)
	}
	tags, err := parseKeyValueLines(f.Tags, "Tags")
	if err != nil {
		return nil, err
	}
	if len(tags) > 0 {
		in.Tags = tags
	}
	return in, nil
}

// fargateBadge is the profile's status badge.
func (c *Console) fargateBadge(r *http.Request) statusBadge {
	name, p := r.PathValue("name"), r.PathValue("profile")
	return statusBadge{Page: fargateHref(name, p, ""), Gone: computeHref(name, "Fargate profile "+p+" deleted."),
		Template: "fargate", Fragment: "fargateStatus",
		View: func(cl *awsClients) (any, error) {
			fp, err := c.describeFargateProfile(r, cl)
			return &fargateView{Profile: fp}, err
		}}
}

// fargateDelete is a Fargate profile's typed-name delete.
func fargateDelete(r *http.Request) typedDelete {
	name, p := r.PathValue("name"), r.PathValue("profile")
	href := fargateHref(name, p, "")
	return typedDelete{Kind: "Fargate profile", Name: p, Page: href, Crumbs: computeCrumbs(name, crumb{p, href}),
		Done: fargateHref(name, p, "Deleting Fargate profile "+p+"."),
		Note: "The pods it placed on Fargate are deleted.",
		Exists: func(ctx context.Context, cl *awsClients) error {
			_, err := cl.EKS.DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String(name), FargateProfileName: aws.String(p)})
			return err
		},
		Delete: func(ctx context.Context, cl *awsClients, _ bool) error {
			_, err := cl.EKS.DeleteFargateProfile(ctx, &eks.DeleteFargateProfileInput{ClusterName: aws.String(name), FargateProfileName: aws.String(p)})
			return err
		}}
}
