package bench

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// BenchmarkIdleWithAgents measures what scale-out costs when nothing
// happens: keks's CPU with two agent hosts joined (their long polls of
// assignments held open, capacity reported every 10 s) and a node group of
// one node on each, and each agent's own CPU (its instances' processes
// apart), over 60 s.
func BenchmarkIdleWithAgents(b *testing.B) {
	e, server := harness.NewWithAgents(b)
	zones := []string{"us-east-1a", "us-east-1b"}
	var agents []*harness.Agent
	for _, zone := range zones {
		agents = append(agents, e.StartAgent(server, zone))
	}
	const name = "bench-idle-agents"
	e.Run("aws", "eks", "create-cluster", "--name", name, "--role-arn", e.ClusterRole("bench"), "--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	var subnets []string
	for _, zone := range zones {
		subnets = append(subnets, strings.TrimSpace(e.Run("aws", "ec2", "describe-subnets", "--filters", "Name=availability-zone,Values="+zone,
			"Name=map-public-ip-on-launch,Values=false", "--query", "Subnets[0].SubnetId", "--output", "text")))
	}
	e.Run("aws", append([]string{"eks", "create-nodegroup", "--cluster-name", name, "--nodegroup-name", "idle", "--node-role", e.NodeRole("benchIdleAgents"),
		"--scaling-config", "minSize=2,maxSize=2,desiredSize=2", "--subnets"}, subnets...)...)
	e.Run("aws", "eks", "wait", "nodegroup-active", "--cluster-name", name, "--nodegroup-name", "idle")
	e.Run("aws", "eks", "wait", "addon-active", "--cluster-name", name, "--addon-name", "coredns")

	time.Sleep(30 * time.Second) // let start-up work (leader elections, first syncs) pass

	own := ownProcesses()
	procs := map[string][]int{"keks server": own(e.ServerPID())}
	for i, a := range agents {
		procs["agent "+zones[i]] = own(a.PID)
	}
	before := map[string]float64{}
	for k, pids := range procs {
		before[k] = cpuSeconds(pids)
	}
	time.Sleep(idleWindow)
	usage := map[string]float64{}
	for k, pids := range procs {
		usage[k] = (cpuSeconds(pids) - before[k]) / idleWindow.Seconds()
	}
	var names []string
	for k := range usage {
		names = append(names, k)
	}
	sort.Strings(names)
	fmt.Printf("\nkeks idle for %s with 2 agent hosts joined and a node group of one node on each; CPU as %% of one core\n", idleWindow)
	for _, k := range names {
		fmt.Printf("  %-42s %6.2f %%\n", k, 100*usage[k])
	}
	fmt.Println()
	b.ReportMetric(100*usage["keks server"], "%core-keks")
	b.ReportMetric(100*(usage["agent "+zones[0]]+usage["agent "+zones[1]])/2, "%core-agent")
}
