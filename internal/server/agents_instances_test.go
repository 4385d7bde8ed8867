package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/imds"
	"github.com/keksdev/keks/internal/overlay"
	"github.com/keksdev/keks/internal/sgfirewall"
	"github.com/keksdev/keks/internal/store"
)

// fakeAssigner assigns each instance as itself, and records the Node
// objects it is asked to delete.
type fakeAssigner struct {
	mu      sync.Mutex
	deleted []string
}

func (f *fakeAssigner) Assignments(_ context.Context, ins []ec2.Instance) []agents.AssignedInstance {
	out := []agents.AssignedInstance{}
	for _, in := range ins {
		want := agents.WantRunning
		if in.State == ec2.StateShutting {
			want = agents.WantTerminated
		}
		out = append(out, agents.AssignedInstance{ID: in.ID, Want: want, Address: in.PrivateIP + "/24"})
	}
	return out
}

func (f *fakeAssigner) DeleteNode(_ context.Context, in *ec2.Instance) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, in.ID)
}

func (f *fakeAssigner) deletedNodes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.deleted)
}

// instancesFixture is an agents listener serving instances, as keks
// server wires it, with two joined hosts.
type instancesFixture struct {
	*agentsFixture
	ec2          *ec2.Service
	nodes        *fakeAssigner
	certA, certB *http.Client
	hostA, hostB string
	// peer is the one peer of the network planned for every host ("" plans none).
	peerMu sync.Mutex
	peer   string
	ai     *agentInstances
}

// network plans a host network with f.peer as the only peer.
func (f *instancesFixture) network(_ context.Context, _ string, _ []ec2.Instance) (*overlay.HostNetwork, error) {
	f.peerMu.Lock()
	defer f.peerMu.Unlock()
	if f.peer == "" {
		return nil, nil
	}
	return &overlay.HostNetwork{Local: "192.168.0.11", Subnets: []overlay.JoinedSubnet{{ID: "subnet-0123456789abcdef0",
		Bridge: "ks56789abcdef0", CIDR: "10.0.1.0/24", Gateway: "10.0.1.1/24", VNI: 4096, Peers: []string{f.peer}}}}, nil
}

// setPeer changes the planned peer, as a host's record changing in the
// store does, and signals it as that change would.
func (f *instancesFixture) setPeer(p string) {
	f.peerMu.Lock()
	f.peer = p
	f.peerMu.Unlock()
	f.ai.changed.fire()
}

func startInstances(t *testing.T, more ...func(f *instancesFixture, ln *agentsListener)) *instancesFixture {
	t.Helper()
	f := &instancesFixture{nodes: &fakeAssigner{}}
	f.agentsFixture = startAgentsWith(t, func(st *store.Store, svc *agents.Service, ln *agentsListener) {
		f.ec2 = &ec2.Service{Store: st}
		svc.Removing = endInstancesOfHost(f.ec2)
		svc.Removed = deleteNodesOfHost(f.ec2, f.nodes)
		metadata := &imds.Handler{Instances: metadataInstances(f.ec2), Options: metadataOptions,
			IssueSession: func(_ context.Context, _, _ string, d time.Duration) (*iam.Credentials, error) {
				return &iam.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "secret", SessionToken: "token", Expiration: time.Now().Add(d)}, nil
			},
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		firewall := sgfirewall.New(f.ec2, &eks.Service{Store: st}, nil, slog.New(slog.DiscardHandler))
		// Only the store's changes wake a long poll: it never looks again
		// on its own within a test.
		f.ai = &agentInstances{ec2: f.ec2, nodes: f.nodes, metadata: metadata, poll: time.Hour, network: f.network,
			firewalls: firewall.Firewalls}
		for _, prefix := range assignmentSources {
			go wakeOnChange(t.Context(), st, prefix, f.ai.changed.fire)
		}
		ln.serveInstances(f.ai)
		for _, wire := range more {
			wire(f, ln)
		}
	})
	a, idA := f.joined(t)
	b, idB := f.joined(t)
	f.certA, f.certB, f.hostA, f.hostB = f.client(a), f.client(b), idA, idB
	return f
}

func (f *instancesFixture) put(t *testing.T, in ec2.Instance) {
	t.Helper()
	in.Region, in.Zone, in.SubnetID, in.InstanceType = "us-east-1", "us-east-1a", "subnet-0123456789abcdef0", "t3.medium"
	in.RoleARN, in.OwnerID = "arn:aws:iam::111122223333:role/NodeRole", "111122223333"
	if err := f.ec2.Store.Put(context.Background(), ec2.InstancePrefix+in.ID, &in); err != nil {
		t.Fatal(err)
	}
}

func (f *instancesFixture) instance(t *testing.T, id string) *ec2.Instance {
	t.Helper()
	in, err := f.ec2.GetInstance(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// call sends a request with headers ("Name: value") and returns the status,
// the error code of an error answer, the body and the headers.
func call(t *testing.T, c *http.Client, method, url string, body []byte, headers ...string) (int, string, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Add(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var e struct{ Code string }
	if resp.StatusCode != http.StatusOK && resp.Header.Get("Content-Type") == "application/json" {
		_ = json.Unmarshal(data, &e)
	}
	return resp.StatusCode, e.Code, data, resp.Header
}

func (f *instancesFixture) assignments(t *testing.T, c *http.Client, query string) agents.Assignments {
	t.Helper()
	status, code, body, _ := call(t, c, http.MethodGet, f.url+agents.AssignmentsPath+query, nil)
	if status != http.StatusOK {
		t.Fatalf("GET assignments%s: %d %s %s", query, status, code, body)
	}
	var as agents.Assignments
	if err := json.Unmarshal(body, &as); err != nil {
		t.Fatal(err)
	}
	return as
}

func ids(as agents.Assignments) []string {
	var out []string
	for _, a := range as.Instances {
		out = append(out, a.ID+"/"+a.Want)
	}
	return out
}

func TestAssignmentsAreTheHostsOwnActiveInstances(t *testing.T) {
	f := startInstances(t)
	f.put(t, ec2.Instance{ID: "i-a1", Host: f.hostA, State: ec2.StateRunning, PrivateIP: "10.0.1.5"})
	f.put(t, ec2.Instance{ID: "i-a2", Host: f.hostA, State: ec2.StateShutting, PrivateIP: "10.0.1.6"})
	f.put(t, ec2.Instance{ID: "i-a3", Host: f.hostA, State: ec2.StateTerminated, PrivateIP: "10.0.1.7"})
	f.put(t, ec2.Instance{ID: "i-b1", Host: f.hostB, State: ec2.StatePending, PrivateIP: "10.0.1.8"})
	f.put(t, ec2.Instance{ID: "i-l1", State: ec2.StateRunning, PrivateIP: "10.0.1.9"})
	as := f.assignments(t, f.certA, "")
	if got := ids(as); !slices.Equal(got, []string{"i-a1/running", "i-a2/terminated"}) || as.Revision == "" {
		t.Fatalf("host A's assignments %v (revision %q), want i-a1 running and i-a2 terminated", got, as.Revision)
	}
	if got := ids(f.assignments(t, f.certB, "")); !slices.Equal(got, []string{"i-b1/running"}) {
		t.Fatalf("host B's assignments %v, want i-b1", got)
	}
	if status, code, _, _ := call(t, f.client(nil), http.MethodGet, f.url+agents.AssignmentsPath, nil); status != http.StatusUnauthorized || code != "ClientCertificateRequired" {
		t.Errorf("assignments without a certificate: %d %s, want 401", status, code)
	}
	for _, q := range []string{"?wait=x", "?wait=61", "?wait=-1", "?wait=1e3"} {
		if status, code, _, _ := call(t, f.certA, http.MethodGet, f.url+agents.AssignmentsPath+q, nil); status != http.StatusBadRequest || code == "" {
			t.Errorf("assignments%s: %d %q, want 400 with a code", q, status, code)
		}
	}
	if status, _, _, _ := call(t, f.certA, http.MethodPost, f.url+agents.AssignmentsPath, nil); status != http.StatusMethodNotAllowed {
		t.Errorf("POST assignments: %d, want 405", status)
	}

	// Unchanged: the long poll answers the same revision once the wait is over.
	start := time.Now()
	if again := f.assignments(t, f.certA, "?since="+as.Revision+"&wait=1"); again.Revision != as.Revision || time.Since(start) < time.Second {
		t.Errorf("an unchanged long poll answered %q after %v, want %q after 1 s", again.Revision, time.Since(start), as.Revision)
	}
	// A change on another host does not end it; one on this host does.
	go func() {
		time.Sleep(200 * time.Millisecond)
		f.put(t, ec2.Instance{ID: "i-b2", Host: f.hostB, State: ec2.StatePending, PrivateIP: "10.0.1.10"})
		time.Sleep(200 * time.Millisecond)
		f.put(t, ec2.Instance{ID: "i-a4", Host: f.hostA, State: ec2.StatePending, PrivateIP: "10.0.1.11"})
	}()
	start = time.Now()
	changed := f.assignments(t, f.certA, "?since="+as.Revision+"&wait=30")
	if took := time.Since(start); took < 400*time.Millisecond || took > 10*time.Second || changed.Revision == as.Revision ||
		!slices.Equal(ids(changed), []string{"i-a1/running", "i-a2/terminated", "i-a4/running"}) {
		t.Errorf("long poll answered %v (revision %q) after %v, want i-a4 added after about 400 ms", ids(changed), changed.Revision, took)
	}
	// Another since answers at once.
	start = time.Now()
	if f.assignments(t, f.certA, "?since=old&wait=30"); time.Since(start) > 5*time.Second {
		t.Errorf("a poll since another revision waited %v", time.Since(start))
	}
}

func (f *instancesFixture) report(t *testing.T, c *http.Client, st agents.InstanceStatus) (int, string) {
	t.Helper()
	body, _ := json.Marshal(st)
	status, code, data, _ := call(t, c, http.MethodPost, f.url+agents.InstanceStatusPath, body)
	if status != http.StatusOK && code == "" {
		t.Fatalf("status report answered %d without a code: %s", status, data)
	}
	return status, code
}

func TestInstanceStatusMovesTheHostsInstances(t *testing.T) {
	f := startInstances(t)
	f.put(t, ec2.Instance{ID: "i-a1", Host: f.hostA, State: ec2.StatePending, PrivateIP: "10.0.1.5"})
	f.put(t, ec2.Instance{ID: "i-a2", Host: f.hostA, State: ec2.StatePending, PrivateIP: "10.0.1.6"})
	f.put(t, ec2.Instance{ID: "i-a3", Host: f.hostA, State: ec2.StateShutting, PrivateIP: "10.0.1.7", KubeletPID: 8})
	f.put(t, ec2.Instance{ID: "i-b1", Host: f.hostB, State: ec2.StatePending, PrivateIP: "10.0.1.8"})
	f.put(t, ec2.Instance{ID: "i-l1", State: ec2.StatePending, PrivateIP: "10.0.1.9"})

	if status, code := f.report(t, f.certA, agents.InstanceStatus{ID: "i-a1", State: agents.InstanceRunning, ContainerdPID: 1, KubeletPID: 2, KubeProxyPID: 3}); status != http.StatusOK {
		t.Fatalf("running: %d %s", status, code)
	}
	if in := f.instance(t, "i-a1"); in.State != ec2.StateRunning || in.ContainerdPID != 1 || in.KubeletPID != 2 || in.KubeProxyPID != 3 {
		t.Errorf("after running: %s %d %d %d", in.State, in.ContainerdPID, in.KubeletPID, in.KubeProxyPID)
	}
	if status, code := f.report(t, f.certA, agents.InstanceStatus{ID: "i-a2", State: agents.InstanceFailed, Reason: "no bridge"}); status != http.StatusOK {
		t.Fatalf("failed: %d %s", status, code)
	}
	if in := f.instance(t, "i-a2"); in.State != ec2.StateTerminated || in.StateReason != "Server.InternalError: Internal error on launch: no bridge" {
		t.Errorf("after failed: %s %q", in.State, in.StateReason)
	}
	// A late running report does not bring a terminated instance back.
	f.report(t, f.certA, agents.InstanceStatus{ID: "i-a2", State: agents.InstanceRunning, KubeletPID: 9})
	if in := f.instance(t, "i-a2"); in.State != ec2.StateTerminated || in.KubeletPID != 0 {
		t.Errorf("a running report revived a terminated instance: %s %d", in.State, in.KubeletPID)
	}
	if status, code := f.report(t, f.certA, agents.InstanceStatus{ID: "i-a3", State: agents.InstanceTerminated}); status != http.StatusOK {
		t.Fatalf("terminated: %d %s", status, code)
	}
	if in := f.instance(t, "i-a3"); in.State != ec2.StateTerminated || in.KubeletPID != 0 || in.StateReason != "Client.UserInitiatedShutdown: User initiated shutdown" {
		t.Errorf("after terminated: %s %d %q", in.State, in.KubeletPID, in.StateReason)
	}
	if got := f.nodes.deletedNodes(); !slices.Equal(got, []string{"i-a2", "i-a3"}) {
		t.Errorf("Node objects deleted %v, want those of i-a2 and i-a3", got)
	}

	// Another host's instance, keks's own, and none at all.
	for _, tc := range []struct {
		id, code string
		status   int
	}{{"i-b1", codeInstanceNotAssigned, 403}, {"i-l1", codeInstanceNotAssigned, 403}, {"i-nothere", codeInstanceNotFound, 404}} {
		if status, code := f.report(t, f.certA, agents.InstanceStatus{ID: tc.id, State: agents.InstanceTerminated}); status != tc.status || code != tc.code {
			t.Errorf("report on %s: %d %s, want %d %s", tc.id, status, code, tc.status, tc.code)
		}
	}
	if in := f.instance(t, "i-b1"); in.State != ec2.StatePending {
		t.Errorf("host A's report changed host B's instance: %s", in.State)
	}
	for _, bad := range []agents.InstanceStatus{{ID: "i-a1", State: "exploded"}, {ID: "i-a1", State: agents.InstanceRunning, KubeletPID: -1}} {
		if status, _ := f.report(t, f.certA, bad); status != http.StatusBadRequest {
			t.Errorf("report %+v: %d, want 400", bad, status)
		}
	}
	if status, _, _, _ := call(t, f.certA, http.MethodPost, f.url+agents.InstanceStatusPath, []byte("{")); status != http.StatusBadRequest {
		t.Errorf("a report that is not JSON: %d, want 400", status)
	}
}

func TestForwardedMetadataIsServedOnlyForTheHostsInstances(t *testing.T) {
	f := startInstances(t)
	f.put(t, ec2.Instance{ID: "i-a1", Host: f.hostA, State: ec2.StateRunning, PrivateIP: "10.0.1.5"})
	f.put(t, ec2.Instance{ID: "i-b1", Host: f.hostB, State: ec2.StateRunning, PrivateIP: "10.0.2.9"})
	// keks's own instance at the same address as i-a1, in another VPC:
	// a request through host A is i-a1's.
	f.put(t, ec2.Instance{ID: "i-l1", State: ec2.StateRunning, PrivateIP: "10.0.1.5"})
	md := f.url + agents.MetadataPath

	status, _, tok, h := call(t, f.certA, http.MethodPut, md+"/latest/api/token", nil,
		agents.MetadataCallerHeader+": 10.0.1.5", "X-Aws-Ec2-Metadata-Token-Ttl-Seconds: 60")
	if status != http.StatusOK || len(tok) == 0 || h.Get(agents.MetadataHopLimitHeader) != "1" {
		t.Fatalf("forwarded token: %d %q, hop limit %q; want 200 with hop limit 1", status, tok, h.Get(agents.MetadataHopLimitHeader))
	}
	status, _, body, _ := call(t, f.certA, http.MethodGet, md+"/latest/meta-data/instance-id", nil,
		agents.MetadataCallerHeader+": 10.0.1.5", "X-Aws-Ec2-Metadata-Token: "+string(tok))
	if status != http.StatusOK || string(body) != "i-a1" {
		t.Fatalf("forwarded instance-id: %d %q, want i-a1", status, body)
	}
	// Host B's instance's address, through host A: refused before the metadata service.
	for _, caller := range []string{"10.0.2.9", "192.0.2.1"} {
		status, code, _, _ := call(t, f.certA, http.MethodGet, md+"/latest/meta-data/instance-id", nil, agents.MetadataCallerHeader+": "+caller)
		if status != http.StatusForbidden || code != codeCallerNotOnHost {
			t.Errorf("caller %s through host A: %d %s, want 403 %s", caller, status, code, codeCallerNotOnHost)
		}
	}
	for _, header := range []string{"", agents.MetadataCallerHeader + ": not-an-address"} {
		var hs []string
		if header != "" {
			hs = append(hs, header)
		}
		if status, _, _, _ := call(t, f.certA, http.MethodGet, md+"/latest/meta-data/instance-id", nil, hs...); status != http.StatusBadRequest {
			t.Errorf("caller header %q: %d, want 400", header, status)
		}
	}
	if status, _, _, _ := call(t, f.client(nil), http.MethodGet, md+"/latest/meta-data/instance-id", nil, agents.MetadataCallerHeader+": 10.0.1.5"); status != http.StatusUnauthorized {
		t.Errorf("forwarded without a certificate: %d, want 401", status)
	}
}

func TestDeletingAHostEndsItsInstances(t *testing.T) {
	f := startInstances(t)
	f.put(t, ec2.Instance{ID: "i-a1", Host: f.hostA, State: ec2.StateRunning, PrivateIP: "10.0.1.5", KubeletPID: 7})
	f.put(t, ec2.Instance{ID: "i-a2", Host: f.hostA, State: ec2.StateTerminated, PrivateIP: "10.0.1.6", StateReason: "before"})
	f.put(t, ec2.Instance{ID: "i-b1", Host: f.hostB, State: ec2.StateRunning, PrivateIP: "10.0.2.9"})
	f.put(t, ec2.Instance{ID: "i-l1", State: ec2.StateRunning, PrivateIP: "10.0.1.9"})
	if err := f.svc.DeleteHost(context.Background(), f.hostA); err != nil {
		t.Fatal(err)
	}
	if in := f.instance(t, "i-a1"); in.State != ec2.StateTerminated || in.KubeletPID != 0 || in.StateReason != "Server.InternalError: host "+f.hostA+" was removed" {
		t.Errorf("host A's running instance: %s %d %q", in.State, in.KubeletPID, in.StateReason)
	}
	if in := f.instance(t, "i-a2"); in.StateReason != "before" {
		t.Errorf("an instance terminated before changed: %q", in.StateReason)
	}
	for _, id := range []string{"i-b1", "i-l1"} {
		if in := f.instance(t, id); in.State != ec2.StateRunning {
			t.Errorf("%s of another host: %s", id, in.State)
		}
	}
	// Their Node objects go from their clusters, as a terminated
	// instance's do; other hosts' stay.
	f.nodes.mu.Lock()
	deleted := slices.Sorted(slices.Values(f.nodes.deleted))
	f.nodes.mu.Unlock()
	if !slices.Equal(deleted, []string{"i-a1", "i-a2"}) {
		t.Errorf("Node objects deleted: %v, want host A's instances'", deleted)
	}
}

// TestAPeerChangeWakesTheLongPoll: the host's network is in its
// assignments and their revision, so a long poll answers when a peer
// joins or leaves, with no instance changed.
func TestAPeerChangeWakesTheLongPoll(t *testing.T) {
	f := startInstances(t)
	first := f.assignments(t, f.certA, "")
	if first.Network != nil {
		t.Fatalf("network %+v planned for none", first.Network)
	}
	done := make(chan agents.Assignments, 1)
	go func() { done <- f.assignments(t, f.certA, "?since="+first.Revision+"&wait=30") }()
	time.Sleep(100 * time.Millisecond)
	f.setPeer("192.168.0.12")
	select {
	case as := <-done:
		if as.Revision == first.Revision || as.Network == nil || !slices.Equal(as.Network.Subnets[0].Peers, []string{"192.168.0.12"}) {
			t.Errorf("after a peer joined: revision %s (was %s), network %+v", as.Revision, first.Revision, as.Network)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the long poll did not answer a peer joining")
	}
}

// An agent's instance gets its security groups' rules in its assignment,
// decided as keks decides its own instances'; a rule added to its group
// wakes the long poll with the new rules.
func TestAssignmentsCarryTheSecurityGroups(t *testing.T) {
	f := startInstances(t)
	group := ec2.SecurityGroup{ID: "sg-0123456789abcdef0", Region: "us-east-1", VPCID: "vpc-1", Name: "nodes", Description: "nodes",
		Rules: []ec2.SecurityGroupRule{{ID: "sgr-1", Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR: "203.0.113.0/24"}}}
	putGroup := func() {
		if err := f.ec2.Store.Put(context.Background(), "ec2/securitygroups/"+group.ID, &group); err != nil {
			t.Fatal(err)
		}
	}
	putGroup()
	f.put(t, ec2.Instance{ID: "i-a1", Host: f.hostA, State: ec2.StateRunning, PrivateIP: "10.0.1.5", VPCID: "vpc-1", SecurityGroupIDs: []string{group.ID}})
	as := f.assignments(t, f.certA, "")
	if len(as.Instances) != 1 {
		t.Fatalf("assignments %v", ids(as))
	}
	fw := as.Instances[0].Firewall
	for _, want := range []string{"*filter", ":KEKS-SG-INGRESS", "-A KEKS-SG-INGRESS -s 203.0.113.0/24 -p tcp -m tcp --dport 22:22 -m comment --comment sgr-1 -j ACCEPT", "-A KEKS-SG-INGRESS -j DROP", "COMMIT"} {
		if !strings.Contains(fw, want) {
			t.Errorf("the instance's rules lack %q:\n%s", want, fw)
		}
	}
	done := make(chan agents.Assignments, 1)
	go func() { done <- f.assignments(t, f.certA, "?since="+as.Revision+"&wait=30") }()
	time.Sleep(100 * time.Millisecond)
	group.Rules = append(group.Rules, ec2.SecurityGroupRule{ID: "sgr-2", Protocol: "tcp", FromPort: 443, ToPort: 443, CIDR: "198.51.100.0/24"})
	putGroup()
	select {
	case got := <-done:
		if got.Revision == as.Revision || !strings.Contains(got.Instances[0].Firewall, "198.51.100.0/24") {
			t.Errorf("after a rule was added: revision %s (was %s), rules:\n%s", got.Revision, as.Revision, got.Instances[0].Firewall)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the long poll did not answer a rule added")
	}
}

// A host with more instances than one transaction may hold goes with all
// of them ended (once refused for its size).
func TestDeletingAHostWithManyInstances(t *testing.T) {
	f := startInstances(t)
	const n = 300
	for i := range n {
		f.put(t, ec2.Instance{ID: fmt.Sprintf("i-%017x", i), Host: f.hostA, State: ec2.StateRunning, PrivateIP: fmt.Sprintf("10.0.%d.%d", i/200, i%200+2)})
	}
	if err := f.svc.DeleteHost(context.Background(), f.hostA); err != nil {
		t.Fatal(err)
	}
	all, err := f.ec2.Instances(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	ended := 0
	for _, in := range all {
		if in.State == ec2.StateTerminated {
			ended++
		}
	}
	if ended != n {
		t.Errorf("%d of %d instances ended", ended, n)
	}
	if err := f.svc.DeleteHost(context.Background(), f.hostA); err == nil {
		t.Error("the host is still there")
	}
}
