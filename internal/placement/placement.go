// Package placement decides which host a new EC2 instance runs on: keks's
// own, or a Ready agent host (internal/agents) of the instance's zone
// (scale-out step 6b). It decides once, before the instance's first
// process starts; the instance stays where it was put.
package placement

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/ec2"
)

// Placer puts pending instances on agent hosts.
type Placer struct {
	EC2 *ec2.Service
	// Hosts lists the agent hosts with their state (agents.Service.ListHosts).
	Hosts func(ctx context.Context) ([]agents.HostStatus, error)
	// LocalDir is where keks's own host keeps instances' directories
	// (nodes.Config.DataDir): an instance that has one was begun here,
	// and is not moved.
	LocalDir string
	Log      *slog.Logger
}

// Place assigns every instance that may go to an agent host to the best
// one, and returns all with the assignments made.
func (p *Placer) Place(ctx context.Context, all []ec2.Instance) []ec2.Instance {
	var waiting []int
	for i := range all {
		if p.placeable(&all[i]) {
			waiting = append(waiting, i)
		}
	}
	if len(waiting) == 0 {
		return all
	}
	hosts, err := p.Hosts(ctx)
	if err != nil {
		p.Log.Warn("list agent hosts to place instances", "err", err)
		return all
	}
	for _, i := range waiting {
		host := Choose(&all[i], hosts, all)
		if host == "" {
			continue
		}
		in, err := p.EC2.UpdateInstance(ctx, all[i].ID, func(in *ec2.Instance) error {
			if !Placeable(in) {
				return fmt.Errorf("instance %s started or was placed meanwhile", in.ID)
			}
			in.Host = host
			return nil
		})
		if err != nil {
			p.Log.Warn("place instance", "instance", all[i].ID, "host", host, "err", err)
			continue
		}
		p.Log.Info("instance placed", "instance", in.ID, "host", host, "zone", in.Zone)
		all[i] = *in
	}
	return all
}

func (p *Placer) placeable(in *ec2.Instance) bool {
	if !Placeable(in) {
		return false
	}
	_, err := os.Stat(filepath.Join(p.LocalDir, in.ID))
	return os.IsNotExist(err)
}

// Placeable says whether an instance still waits for a host: pending,
// on none yet, and without processes. Fargate nodes stay on keks's host,
// whose fargate-scheduler ships their pods' logs from its own disk.
func Placeable(in *ec2.Instance) bool {
	return in.State == ec2.StatePending && in.Host == "" && in.ContainerdPID == 0 && in.Fargate == nil
}

// Choose is the Ready agent host of the instance's zone with CPUs enough
// for it (MaxVCPUs) with the most free memory (its capacity less the memory of the active instances on
// it), or "" for keks's own host when no Ready agent serves the zone.
// Ties go to the host whose id sorts first, so the choice is stable.
func Choose(in *ec2.Instance, hosts []agents.HostStatus, all []ec2.Instance) string {
	used := map[string]int64{}
	for i := range all {
		if o := &all[i]; o.Host != "" && active(o) {
			used[o.Host] += memoryBytes(o)
		}
	}
	var candidates []agents.HostStatus
	for _, h := range hosts {
		if h.State == agents.StateReady && h.Zone == in.Zone && h.Capacity.CPUs >= in.VCPUs() {
			candidates = append(candidates, h)
		}
	}
	sort.Slice(candidates, func(i, j int) bool {
		fi, fj := candidates[i].Capacity.MemoryBytes-used[candidates[i].ID], candidates[j].Capacity.MemoryBytes-used[candidates[j].ID]
		if fi != fj {
			return fi > fj
		}
		return candidates[i].ID < candidates[j].ID
	})
	if len(candidates) == 0 {
		return ""
	}
	return candidates[0].ID
}

func active(in *ec2.Instance) bool {
	return in.State == ec2.StatePending || in.State == ec2.StateRunning || in.State == ec2.StateShutting
}

// memoryBytes is what an instance's type gives it.
func memoryBytes(in *ec2.Instance) int64 {
	if in.Fargate != nil {
		return in.Fargate.MemoryMiB << 20
	}
	return ec2.InstanceTypes[in.InstanceType].MemoryMB << 20
}
