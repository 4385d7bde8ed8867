package resources

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/keksdev/keks/internal/cloudformation/resource"
)

// The EKS family: clusters, node groups, Fargate profiles, add-ons, access
// entries and Pod Identity associations, made through EKS's API as the
// stack's caller; a create or delete is done when EKS says so (ACTIVE, or
// gone).
func init() {
	register(map[string]resource.Provider{
		"AWS::EKS::Cluster":                clusterProvider{},
		"AWS::EKS::Nodegroup":              nodegroupProvider{},
		"AWS::EKS::FargateProfile":         fargateProfileProvider{},
		"AWS::EKS::Addon":                  addonProvider{},
		"AWS::EKS::AccessEntry":            accessEntryProvider{},
		"AWS::EKS::PodIdentityAssociation": podIdentityProvider{},
	})
}

// decode fills an EKS request from properties whose names are the API's
// (CloudFormation's EKS properties are EKS's members, capitalized; JSON
// matches names regardless of case), leaving out those named in skip.
func decode(props map[string]any, into any, skip ...string) error {
	m := map[string]any{}
	for k, v := range props {
		if !slices.Contains(skip, k) {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, into); err != nil {
		var te *json.UnmarshalTypeError
		if ok := asTypeError(err, &te); ok {
			return fmt.Errorf("Properties validation failed for resource: #/%s: expected type: %s, found: %s", strings.ReplaceAll(te.Field, ".", "/"), te.Type, te.Value)
		}
		return fmt.Errorf("Properties validation failed: %v", err)
	}
	return nil
}

func asTypeError(err error, te **json.UnmarshalTypeError) bool {
	e, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*te = e
	}
	return ok
}

func notFound(err error) bool { return isCode(err, "ResourceNotFoundException") }

// deleteResult answers a Delete, or a Wait on one, from EKS's error: a
// resource EKS no longer finds is deleted.
func deleteResult(err error) (resource.Result, error) {
	if notFound(err) {
		return resource.Result{Done: true}, nil
	}
	return resource.Result{}, err
}

// decodeCreate fills an EKS create request from the properties but Tags
// and those named in skip, then adds the tags, as EKS's map, and the client
// token, so that a retried create is the same one.
func decodeCreate(req *resource.Request, into any, tags *map[string]string, token **string, skip ...string) error {
	if err := decode(req.Properties, into, append([]string{"Tags"}, skip...)...); err != nil {
		return err
	}
	if t := tagMap(req.Properties); len(t) > 0 {
		*tags = t
	}
	*token = aws.String(req.ClientToken)
	return nil
}

// updateState is what a multi-step update remembers: the EKS update in
// progress and the steps still to start.
func updateState(id string, todo []string) map[string]string {
	return map[string]string{"update": id, "todo": strings.Join(todo, ",")}
}

// waitForUpdate waits out the EKS update a multi-step update remembers
// (in names the resource), then has next start the steps still to do.
func waitForUpdate(ctx context.Context, req *resource.Request, in *eks.DescribeUpdateInput,
	next func(context.Context, *resource.Request, []string) (resource.Result, error)) (resource.Result, error) {
	in.UpdateId = aws.String(req.State["update"])
	out, err := req.Clients.EKS.DescribeUpdate(ctx, in)
	if err != nil {
		return resource.Result{}, err
	}
	switch out.Update.Status {
	case ekstypes.UpdateStatusFailed, ekstypes.UpdateStatusCancelled:
		return resource.Result{}, updateFailed(out.Update)
	case ekstypes.UpdateStatusSuccessful:
		return next(ctx, req, todoOf(req.State))
	}
	return resource.Result{}, nil
}

func updateFailed(u *ekstypes.Update) error {
	var msgs []string
	for _, e := range u.Errors {
		msgs = append(msgs, aws.ToString(e.ErrorMessage))
	}
	return fmt.Errorf("update %s %s: %s", aws.ToString(u.Id), u.Status, strings.Join(msgs, "; "))
}

func todoOf(state map[string]string) []string {
	if state["todo"] == "" {
		return nil
	}
	return strings.Split(state["todo"], ",")
}
