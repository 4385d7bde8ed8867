package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/controlplane"
	"github.com/keksdev/keks/internal/store"
)

// operator is keks's own API for the person who runs it, signed like any
// AWS call with the service name "keks".
type operator struct {
	st     *store.Store
	agents *agents.Service
	// caCertHash is keks's CA's discovery hash, which agents pin;
	// agentsURL where they reach keks ("" while --agents-listen is off).
	caCertHash, agentsURL string
}

// operatorCall is one of the operator API's calls: its IAM action and
// what it does.
type operatorCall struct {
	action string
	handle func(o *operator, w http.ResponseWriter, r *http.Request, c *awsproto.Call, arg string) error
}

// route finds the call for a method and path; arg is what follows a
// prefix route's path (a host id).
func (o *operator) route(r *http.Request) (operatorCall, string, bool) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case r.Method == http.MethodGet && path == "/keks/v1/control-plane-instances":
		return operatorCall{"keks:DescribeControlPlaneInstances", (*operator).controlPlaneInstances}, "", true
	case r.Method == http.MethodPost && path == "/keks/v1/agent-tokens":
		return operatorCall{"keks:CreateAgentToken", (*operator).createAgentToken}, "", true
	case r.Method == http.MethodGet && path == "/keks/v1/hosts":
		return operatorCall{"keks:ListHosts", (*operator).listHosts}, "", true
	case r.Method == http.MethodDelete && strings.HasPrefix(path, "/keks/v1/hosts/"):
		id := strings.TrimPrefix(path, "/keks/v1/hosts/")
		return operatorCall{"keks:DeleteHost", (*operator).deleteHost}, id, id != "" && !strings.Contains(id, "/")
	}
	return operatorCall{}, "", false
}

func (o *operator) service() *awsproto.Service {
	return &awsproto.Service{Name: "keks", Checks: o.checks, Handle: func(w http.ResponseWriter, r *http.Request, c *awsproto.Call) error {
		call, arg, ok := o.route(r)
		if !ok {
			return awserr.Errorf(awserr.CodeUnknownOperation, "keks does not serve %s %s", r.Method, r.URL.Path)
		}
		return call.handle(o, w, r, c, arg)
	}}
}

// checks: each call is its own keks: action on "*" (there is one keks).
func (o *operator) checks(r *http.Request, c *awsproto.Call) []awsproto.Check {
	call, _, ok := o.route(r)
	if !ok {
		return nil
	}
	return []awsproto.Check{{Action: call.action, Resource: "*"}}
}

func (o *operator) controlPlaneInstances(w http.ResponseWriter, r *http.Request, c *awsproto.Call, _ string) error {
	states, err := controlplane.ListStates(r.Context(), o.st)
	if err != nil {
		return err
	}
	out := []controlplane.InstanceStatus{}
	for i := range states {
		out = append(out, controlplane.Statuses(&states[i])...)
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"instances": out, "states": states})
	return nil
}

// AgentToken is CreateAgentToken's answer: the token and what an agent
// needs with it.
type AgentToken struct {
	Token      string    `json:"token"`
	Expires    time.Time `json:"expires"`
	CACertHash string    `json:"caCertHash"`
	// AgentsURL is where agents reach keks; empty while keks serves no
	// agents listener (--agents-listen).
	AgentsURL string `json:"agentsURL"`
}

func (o *operator) createAgentToken(w http.ResponseWriter, r *http.Request, c *awsproto.Call, _ string) error {
	var req struct {
		TTLSeconds int64 `json:"ttlSeconds"`
	}
	if len(strings.TrimSpace(string(c.Body))) > 0 {
		if err := json.Unmarshal(c.Body, &req); err != nil {
			return awserr.Errorf(awserr.CodeInvalidRequest, "the body is not {\"ttlSeconds\": N}: %v", err)
		}
	}
	if req.TTLSeconds < 0 || req.TTLSeconds > int64(agents.MaxTokenTTL/time.Second) {
		return awserr.Errorf(awserr.CodeInvalidRequest, "ttlSeconds must be between 60 and %d", int64(agents.MaxTokenTTL/time.Second))
	}
	tok, err := o.agents.CreateToken(r.Context(), time.Duration(req.TTLSeconds)*time.Second)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, AgentToken{Token: tok.Token, Expires: tok.Expires, CACertHash: o.caCertHash, AgentsURL: o.agentsURL})
	return nil
}

func (o *operator) listHosts(w http.ResponseWriter, r *http.Request, c *awsproto.Call, _ string) error {
	hosts, err := o.agents.ListHosts(r.Context())
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"hosts": hosts})
	return nil
}

func (o *operator) deleteHost(w http.ResponseWriter, r *http.Request, c *awsproto.Call, id string) error {
	if err := o.agents.DeleteHost(r.Context(), id); err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"hostId": id})
	return nil
}
