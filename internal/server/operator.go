package server

import (
	"net/http"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/controlplane"
	"github.com/keksdev/keks/internal/store"
	"github.com/keksdev/keks/internal/supervisor"
)

// operatorService is keks's own API for the person who runs it, signed like
// any AWS call with the service name "keks".
func operatorService(st *store.Store) *awsproto.Service {
	return &awsproto.Service{Name: "keks", Checks: operatorChecks, Handle: func(w http.ResponseWriter, r *http.Request, c *awsproto.Call) error {
		if r.Method != http.MethodGet || strings.TrimSuffix(r.URL.Path, "/") != "/keks/v1/control-plane-instances" {
			return awserr.Errorf(awserr.CodeUnknownOperation, "keks does not serve %s %s", r.Method, r.URL.Path)
		}
		states, err := controlplane.ListStates(r.Context(), st)
		if err != nil {
			return err
		}
		out := []controlplane.InstanceStatus{}
		for _, s := range states {
			for _, in := range s.Instances {
				running := supervisor.Running(in.PID, s.ClusterUID+"/"+in.Name)
				row := controlplane.InstanceStatus{Instance: in, Cluster: s.ClusterName, Region: s.Region, Running: running}
				if running {
					row.RSS, row.PSS = supervisor.RSS(in.PID), supervisor.PSS(in.PID)
				}
				out = append(out, row)
			}
		}
		awsproto.WriteJSON(w, c.RequestID, map[string]any{"instances": out, "states": states})
		return nil
	}}
}

// operatorChecks: reading keks's own state is keks:DescribeControlPlaneInstances.
func operatorChecks(r *http.Request, c *awsproto.Call) []awsproto.Check {
	if r.Method != http.MethodGet || strings.TrimSuffix(r.URL.Path, "/") != "/keks/v1/control-plane-instances" {
		return nil
	}
	return []awsproto.Check{{Action: "keks:DescribeControlPlaneInstances", Resource: "*"}}
}
