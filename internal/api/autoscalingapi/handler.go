// Package autoscalingapi is Auto Scaling's Query-protocol wire layer (API
// version 2011-01-01) over internal/autoscaling: the Auto Scaling groups
// behind managed node groups, as the AWS CLI and cluster-autoscaler's AWS
// provider call them.
package autoscalingapi

import (
	"net/http"

	"github.com/keksdev/keks/internal/autoscaling"
	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
)

const (
	version = "2011-01-01"
	xmlns   = "http://autoscaling.amazonaws.com/doc/2011-01-01/"
)

// Handler serves Auto Scaling's actions.
type Handler struct {
	AS *autoscaling.Service
}

// Service returns the front door's entry for Auto Scaling.
func (h *Handler) Service() *awsproto.Service {
	return &awsproto.Service{Name: "autoscaling", Query: true, Version: version, Checks: h.checks, Handle: h.handle}
}

type action func(h *Handler, r *http.Request, c *awsproto.Call) ([]awsproto.Node, error)

var actions = map[string]action{
	"DescribeAutoScalingGroups":           (*Handler).describeAutoScalingGroups,
	"DescribeAutoScalingInstances":        (*Handler).describeAutoScalingInstances,
	"SetDesiredCapacity":                  (*Handler).setDesiredCapacity,
	"UpdateAutoScalingGroup":              (*Handler).updateAutoScalingGroup,
	"TerminateInstanceInAutoScalingGroup": (*Handler).terminateInstanceInAutoScalingGroup,
	"DescribeScalingActivities":           (*Handler).describeScalingActivities,
	"DescribeLaunchConfigurations":        (*Handler).describeLaunchConfigurations,
	"CreateOrUpdateTags":                  (*Handler).createOrUpdateTags,
	"DeleteTags":                          (*Handler).deleteTags,
	"DescribeTags":                        (*Handler).describeTags,
	"CreateAutoScalingGroup":              (*Handler).notANodegroup,
	"DeleteAutoScalingGroup":              (*Handler).notANodegroup,
}

func (h *Handler) handle(w http.ResponseWriter, r *http.Request, c *awsproto.Call) error {
	name := c.Form.Get("Action")
	act, ok := actions[name]
	if !ok {
		return awserr.Errorf(awserr.CodeInvalidAction, "Could not find operation %s for version %s", name, version)
	}
	result, err := act(h, r, c)
	if err != nil {
		return err
	}
	awsproto.WriteQueryResult(w, c.RequestID, name, xmlns, result...)
	return nil
}

// notANodegroup answers the calls that make or remove groups of their own:
// keks's groups are its node groups', made and deleted through EKS.
func (h *Handler) notANodegroup(_ *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	verb := "create-nodegroup"
	if c.Form.Get("Action") == "DeleteAutoScalingGroup" {
		verb = "delete-nodegroup"
	}
	return nil, awserr.Errorf(autoscaling.CodeValidation,
		"keks serves the Auto Scaling groups of EKS managed node groups only; %s is not supported: use eks %s", c.Form.Get("Action"), verb)
}
