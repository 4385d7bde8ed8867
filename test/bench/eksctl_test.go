package bench

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// tookLine is a finished step of `keks create|delete cluster`:
// "<time> [✔]  <step> (took 12.3s)".
var tookLine = regexp.MustCompile(`\[✔\]  (.*) \(took ([0-9.hms]+)\)`)

// BenchmarkEksctlSeed measures seed 001's eksctl command with keks's
// eksctl (two t3.medium nodes on the default VPC's public subnets, SSH
// access, external-dns's policies): its wall time step by step (eksctl on
// AWS: 15-20 minutes), and that of `keks delete cluster --wait`.
func BenchmarkEksctlSeed(b *testing.B) {
	e := harness.New(b)
	const name = "bench-eksctl"
	public := strings.Fields(e.Run("aws", "ec2", "describe-subnets", "--filters", "Name=map-public-ip-on-launch,Values=true",
		"--query", "Subnets[].SubnetId", "--output", "text"))
	key := filepath.Join(b.TempDir(), "id_ed25519")
	e.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)

	start := time.Now()
	out, err := e.TryFor(30*time.Minute, e.Keks, "create", "cluster", "--name", name, "--region=us-east-1",
		"--nodegroup-name="+name+"-nodegroup", "--node-type=t3.medium", "--node-volume-size=30",
		"--vpc-public-subnets", public[0]+","+public[1], "--ssh-access", "--ssh-public-key", key+".pub", "--external-dns-access")
	if err != nil {
		b.Fatalf("keks create cluster: %v\n%s", err, out)
	}
	create := time.Since(start)
	start = time.Now()
	del, err := e.TryFor(30*time.Minute, e.Keks, "delete", "cluster", "--name", name, "--wait")
	if err != nil {
		b.Fatalf("keks delete cluster: %v\n%s", err, del)
	}
	deleted := time.Since(start)

	fmt.Printf("\nseed 001's eksctl command with keks's eksctl (2 x t3.medium, SSH, external-dns policies)\n")
	fmt.Printf("  keks create cluster, wall time: %.1f s   [eksctl on AWS: 15-20 min]\n", create.Seconds())
	for _, m := range tookLine.FindAllStringSubmatch(out, -1) {
		fmt.Printf("      %-70s %s\n", m[1], m[2])
	}
	fmt.Printf("  keks delete cluster --wait, wall time: %.1f s\n", deleted.Seconds())
	for _, m := range tookLine.FindAllStringSubmatch(del, -1) {
		fmt.Printf("      %-70s %s\n", m[1], m[2])
	}
	fmt.Println()
	b.ReportMetric(create.Seconds(), "s-create-cluster")
	b.ReportMetric(deleted.Seconds(), "s-delete-cluster")
}
