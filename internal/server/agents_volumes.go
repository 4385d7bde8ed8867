package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/ebs"
	"github.com/keksdev/keks/internal/ec2"
)

// The agents listener's calls for EBS volumes of instances on agents: a
// volume's bytes travel to the host whose instance attaches it and come
// back when it is detached (internal/agents/volumes.go has the wire).

// Error codes of the volume calls.
const (
	codeVolumeNotAssigned = "VolumeNotAssigned" // not this host's to take, hold or return
	codeBadVolumeStream   = "InvalidVolumeStream"
)

// agentVolumes serves agents' volume calls over the files of keks's EBS
// controller (ebs.VolumePath, ebs.SnapshotPath under dir).
type agentVolumes struct {
	ec2 *ec2.Service
	dir string
	log *slog.Logger
	// moving orders, within this server, a check-in's landing with a
	// report that the host holds a volume: each is a file change and a
	// record change that must not interleave with the other's.
	moving sync.Mutex
}

// serveVolumes lets the listener serve agents' volumes, and puts them in
// the hosts' assignments; it must be called after serveInstances, before
// the listener serves.
func (l *agentsListener) serveVolumes(v *agentVolumes) {
	// Uploads a stop cut short are worth nothing: agents send them again.
	if err := os.RemoveAll(filepath.Join(v.dir, "incoming")); err != nil {
		v.log.Warn("remove uploads cut short", "err", err)
	}
	l.api.volumes = v
	if l.api.instances != nil {
		l.api.instances.volumes = v.assigned
	}
}

func isVolumesPath(path string) bool {
	return strings.HasPrefix(path, agents.VolumeDataPath) || strings.HasPrefix(path, agents.SnapshotDataPath) || path == agents.VolumeStatusPath
}

// serveVolumes answers an agent's call about its volumes.
func (a *agentsAPI) serveVolumes(w http.ResponseWriter, r *http.Request) {
	h, err := a.host(r)
	if err == nil && a.volumes == nil {
		err = agentError(http.StatusServiceUnavailable, "VolumesNotServed", "this keks serves no volumes to agents")
	}
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	ctx, av := r.Context(), a.volumes
	var out any
	switch {
	case strings.HasPrefix(r.URL.Path, agents.VolumeDataPath) && r.Method == http.MethodGet:
		var id string
		if id, err = pathID(r.URL.Path, agents.VolumeDataPath, agents.VolumeIDPattern); err == nil {
			if err = av.checkOut(ctx, w, h.ID, id); err == nil {
				return // the stream is the answer
			}
		}
	case strings.HasPrefix(r.URL.Path, agents.VolumeDataPath) && r.Method == http.MethodPut:
		var id string
		if id, err = pathID(r.URL.Path, agents.VolumeDataPath, agents.VolumeIDPattern); err == nil {
			out, err = av.checkIn(ctx, r, h.ID, id)
		}
	case strings.HasPrefix(r.URL.Path, agents.SnapshotDataPath) && r.Method == http.MethodPut:
		var id string
		if id, err = pathID(r.URL.Path, agents.SnapshotDataPath, agents.SnapshotIDPattern); err == nil {
			out, err = av.snapshot(ctx, r, h.ID, id)
		}
	case r.URL.Path == agents.VolumeStatusPath && r.Method == http.MethodPost:
		var st agents.VolumeStatus
		if err = decodeAgentBody(w, r, &st); err == nil {
			out, err = av.recordStatus(ctx, h.ID, st)
		}
	default:
		err = agentError(http.StatusMethodNotAllowed, "MethodNotAllowed", "%s does not take %s", r.URL.Path, r.Method)
	}
	a.answer(w, r, out, err)
}

// pathID is the id that ends path after prefix, if it is one.
func pathID(path, prefix string, pattern interface{ MatchString(string) bool }) (string, error) {
	id := strings.TrimPrefix(path, prefix)
	if !pattern.MatchString(id) {
		return "", agentError(http.StatusBadRequest, awserr.CodeInvalidRequest, "%q is not a volume or snapshot id", id)
	}
	return id, nil
}

// volumeState is the answer to a volume call: the volume as recorded.
type volumeState struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Host   string `json:"host,omitempty"`
}

// assigned are the volumes of host for its assignments: those attached or
// attaching to its instances, to hold, and those it holds that no
// instance of it wants any more, to return.
func (av *agentVolumes) assigned(ctx context.Context, host string, all []ec2.Instance) ([]agents.AssignedVolume, error) {
	volumes, err := av.ec2.Volumes(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list volumes for host %s: %w", host, err)
	}
	snaps, err := av.ec2.Snapshots(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list snapshots for host %s: %w", host, err)
	}
	instances := make(map[string]*ec2.Instance, len(all))
	for i := range all {
		instances[all[i].ID] = &all[i]
	}
	var out []agents.AssignedVolume
	for i := range volumes {
		if a, ok := assignedVolume(&volumes[i], host, instances); ok {
			for _, s := range snaps {
				if s.VolumeID == a.ID && s.State == ec2.SnapshotPending && volumes[i].Host == host {
					a.Snapshots = append(a.Snapshots, s.ID)
				}
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// assignedVolume is what host is to do with v, if anything.
func assignedVolume(v *ec2.Volume, host string, instances map[string]*ec2.Instance) (agents.AssignedVolume, bool) {
	if v.State != ec2.VolumeAvailable || (v.Host != "" && v.Host != host) {
		return agents.AssignedVolume{}, false
	}
	live, force := false, len(v.Attachments) == 0
	for _, a := range v.Attachments {
		in := instances[a.InstanceID]
		if in == nil || in.Host != host {
			continue
		}
		if a.State == ec2.AttachmentDetaching {
			force = force || a.Force
		} else if in.State != ec2.StateTerminated {
			live = true
		}
	}
	size := v.Size
	if m := v.Modification; m != nil && m.State == ec2.ModificationModifying {
		size = max(size, m.Target.Size)
	}
	as := agents.AssignedVolume{ID: v.ID, SizeBytes: int64(size) << 30, Held: v.Host == host}
	switch {
	case live:
		as.Want = agents.WantAttached
	case v.Host == host:
		as.Want, as.Force = agents.WantReturned, force
	default:
		return agents.AssignedVolume{}, false
	}
	return as, true
}

// checkOut streams the bytes of a volume attached or attaching to an
// instance of host, from keks's file of it (the host takes them).
func (av *agentVolumes) checkOut(ctx context.Context, w http.ResponseWriter, host, id string) error {
	v, err := av.volumeOf(ctx, id)
	if err != nil {
		return err
	}
	instances, err := av.ec2.Instances(ctx, "")
	if err != nil {
		return fmt.Errorf("list instances for volume %s: %w", id, err)
	}
	byID := map[string]*ec2.Instance{}
	for i := range instances {
		byID[instances[i].ID] = &instances[i]
	}
	a, ok := assignedVolume(v, host, byID)
	if !ok || a.Want != agents.WantAttached {
		return agentError(http.StatusForbidden, codeVolumeNotAssigned, "volume %s is not attached or attaching to an instance of host %s", id, host)
	}
	if v.Host != "" {
		return agentError(http.StatusConflict, codeVolumeNotAssigned, "host %s holds volume %s already: keks's copy is not its bytes", host, id)
	}
	file := ebs.VolumePath(av.dir, id)
	st, err := os.Stat(file)
	if err != nil {
		return fmt.Errorf("the data of volume %s: %w", id, err)
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if err := ebs.SendSparse(w, file, max(st.Size(), int64(v.Size)<<30)); err != nil {
		// The answer has begun: the agent sees a stream cut short.
		av.log.Warn("volume data not sent whole", "volume", id, "host", host, "err", err)
	}
	return nil
}

// checkIn takes the bytes of a volume host holds back, in place of keks's
// file, and makes the volume keks's again with its detaches done.
func (av *agentVolumes) checkIn(ctx context.Context, r *http.Request, host, id string) (*volumeState, error) {
	v, err := av.volumeOf(ctx, id)
	if err != nil {
		return nil, err
	}
	if v.Host != host {
		return nil, agentError(http.StatusForbidden, codeVolumeNotAssigned, "host %s does not hold volume %s", host, id)
	}
	least, most := int64(v.Size)<<30, int64(v.Size)<<30
	if m := v.Modification; m != nil && m.State == ec2.ModificationModifying {
		most = max(most, int64(m.Target.Size)<<30)
	}
	incoming, err := av.receive(r, id, least, most)
	if err != nil {
		return nil, err
	}
	defer os.Remove(incoming) // gone once it is in place
	av.moving.Lock()
	defer av.moving.Unlock()
	// Another check-in of the same bytes may have landed while this one
	// streamed: the volume is keks's again, and its file no longer the
	// host's to replace.
	if now, err := av.volumeOf(ctx, id); err != nil {
		return nil, err
	} else if now.Host != host {
		return nil, agentError(http.StatusConflict, codeVolumeNotAssigned, "volume %s came back from host %s already", id, host)
	}
	file := ebs.VolumePath(av.dir, id)
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return nil, fmt.Errorf("make %s: %w", filepath.Dir(file), err)
	}
	if err := os.Rename(incoming, file); err != nil {
		return nil, fmt.Errorf("put the data of volume %s in place: %w", id, err)
	}
	if err := av.ec2.VolumeReturned(ctx, id, host); err != nil {
		// Still the host's: its next check-in replaces the file.
		var ae *awserr.Error
		if errors.As(err, &ae) && ae.Code == ec2.CodeIncorrectState {
			return nil, agentError(http.StatusConflict, codeVolumeNotAssigned, "%s", ae.Message)
		}
		return nil, err
	}
	av.log.Info("volume back from its agent host", "volume", id, "host", host)
	return &volumeState{ID: id, Status: ec2.VolumeAvailable}, nil
}

// snapshot takes the bytes of a pending snapshot of a volume host holds,
// and completes it.
func (av *agentVolumes) snapshot(ctx context.Context, r *http.Request, host, id string) (*volumeState, error) {
	s, err := av.ec2.GetSnapshot(ctx, "", id)
	if err != nil {
		return nil, agentError(http.StatusNotFound, "SnapshotNotFound", "keks has no snapshot %q", id)
	}
	v, err := av.volumeOf(ctx, s.VolumeID)
	if err != nil {
		return nil, err
	}
	if v.Host != host || s.State != ec2.SnapshotPending {
		return nil, agentError(http.StatusForbidden, codeVolumeNotAssigned, "snapshot %s is not pending, or its volume %s is not held by host %s", id, s.VolumeID, host)
	}
	// The host sends its file as it is: grown since, it is longer than
	// the snapshot, which is the volume at its size when it was asked for.
	size := int64(s.VolumeSize) << 30
	most := max(size, int64(v.Size)<<30)
	if m := v.Modification; m != nil {
		most = max(most, int64(m.Target.Size)<<30)
	}
	incoming, err := av.receive(r, id, size, most)
	if err != nil {
		return nil, err
	}
	defer os.Remove(incoming)
	if err := os.Truncate(incoming, size); err != nil {
		return nil, fmt.Errorf("cut snapshot %s to its size: %w", id, err)
	}
	file := ebs.SnapshotPath(av.dir, id)
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return nil, fmt.Errorf("make %s: %w", filepath.Dir(file), err)
	}
	if err := os.Rename(incoming, file); err != nil {
		return nil, fmt.Errorf("put the data of snapshot %s in place: %w", id, err)
	}
	if err := av.ec2.SnapshotCompleted(ctx, id); err != nil {
		return nil, err
	}
	av.log.Info("snapshot taken on an agent host", "snapshot", id, "volume", s.VolumeID, "host", host)
	return &volumeState{ID: id, Status: ec2.SnapshotCompleted}, nil
}

// receive writes the request's stream, least to most bytes long, to a
// file of its own in keks's incoming directory: a name the EBS
// controller's sweep leaves alone, and no other upload shares.
func (av *agentVolumes) receive(r *http.Request, id string, least, most int64) (string, error) {
	dir := filepath.Join(av.dir, "incoming")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("make %s: %w", dir, err)
	}
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	file := filepath.Join(dir, id+"."+hex.EncodeToString(nonce[:])+".img")
	_, err := ebs.ReceiveSparse(r.Body, file, func(size int64) error {
		if size < least || size > most {
			return agentError(http.StatusBadRequest, codeBadVolumeStream, "the data of %s is %d bytes; keks takes %d to %d", id, size, least, most)
		}
		return nil
	})
	var refused *awserr.Error
	switch {
	case errors.As(err, &refused):
		return "", err
	case ebs.ErrBadStream(err):
		return "", agentError(http.StatusBadRequest, codeBadVolumeStream, "the data of %s: %v", id, err)
	case err != nil:
		return "", fmt.Errorf("receive the data of %s: %w", id, err)
	}
	return file, nil
}

// recordStatus records that host holds a volume with its device made, and
// removes keks's copy, which is no longer the volume's bytes.
func (av *agentVolumes) recordStatus(ctx context.Context, host string, st agents.VolumeStatus) (*volumeState, error) {
	if !agents.VolumeIDPattern.MatchString(st.ID) || st.State != agents.VolumeAttached || st.SizeBytes <= 0 {
		return nil, agentError(http.StatusBadRequest, awserr.CodeInvalidRequest, "a volume status needs a volume id, state %q and a positive size", agents.VolumeAttached)
	}
	av.moving.Lock()
	defer av.moving.Unlock()
	v, err := av.ec2.VolumeHeld(ctx, st.ID, host, st.SizeBytes)
	var refused *awserr.Error
	if errors.As(err, &refused) {
		if refused.Code == ec2.CodeInvalidVolumeNotFound {
			return nil, agentError(http.StatusNotFound, refused.Code, "%s", refused.Message)
		}
		return nil, agentError(http.StatusForbidden, codeVolumeNotAssigned, "%s", refused.Message)
	} else if err != nil {
		return nil, err
	}
	if err := os.Remove(ebs.VolumePath(av.dir, st.ID)); err == nil {
		av.log.Info("volume now held by its agent host; keks's copy removed", "volume", st.ID, "host", host)
	} else if !errors.Is(err, os.ErrNotExist) {
		av.log.Warn("keks's copy of a volume an agent host holds not removed", "volume", st.ID, "err", err)
	}
	return &volumeState{ID: v.ID, Status: v.Status(), Host: v.Host}, nil
}

// volumeOf reads a volume, 404 when keks has none.
func (av *agentVolumes) volumeOf(ctx context.Context, id string) (*ec2.Volume, error) {
	v, err := av.ec2.GetVolume(ctx, "", id)
	var ae *awserr.Error
	if errors.As(err, &ae) && ae.Code == ec2.CodeInvalidVolumeNotFound {
		return nil, agentError(http.StatusNotFound, ae.Code, "keks has no volume %q", id)
	}
	return v, err
}
