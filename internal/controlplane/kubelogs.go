package controlplane

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// logMirror copies the kubernetes runtime's API server pods' output into
// files named as the host runtime's members write theirs
// (kube-apiserver-a.log, audit-a.log...), so that cplogs ships both
// runtimes' logs alike. One follower per pod and container streams its
// log from where the mirror got before, across keks's restarts
// (mirrorPlaces); the API server's audit events, which it
// writes to its output there, go to the audit file.
type logMirror struct {
	client kubernetes.Interface
	dir    func(clusterUID string) string
	log    *slog.Logger

	mu       sync.Mutex
	clusters map[string]*mirroredCluster // cluster uid -> its followers
	wg       sync.WaitGroup
	runCtx   context.Context // the controller's run: every follower's owner
}

// start gives the mirror the context its followers live in.
func (m *logMirror) start(ctx context.Context) {
	m.mu.Lock()
	m.runCtx = ctx
	m.mu.Unlock()
}

type mirroredCluster struct {
	cancel    context.CancelFunc
	ctx       context.Context
	following map[string]bool // pod uid/container
	// fileMu guards files, places and what follows.
	fileMu  sync.Mutex
	files   map[string]*os.File
	places  *mirrorPlaces
	savedAt time.Time
	stopped bool // logging was turned off: the places go, nothing is saved
}

// mirroredContainers are the containers whose output is a log type.
var mirroredContainers = []string{RoleAPIServer, RoleAuthenticator, RoleControllerManager, RoleScheduler}

// follow starts a follower for each API server pod and container of a
// cluster not followed yet.
func (m *logMirror) follow(clusterUID string, pods []corev1.Pod) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.runCtx == nil {
		return // not running (a test of the runtime alone)
	}
	mc := m.clusters[clusterUID]
	first := mc == nil
	if first {
		places, err := loadPlaces(m.dir(clusterUID), time.Now())
		if err != nil {
			m.log.Warn("control-plane logs are mirrored from now on", "cluster", clusterUID, "err", err)
			places = &mirrorPlaces{EnabledAt: time.Now(), Last: map[string]time.Time{}}
		}
		cctx, cancel := context.WithCancel(m.runCtx)
		mc = &mirroredCluster{ctx: cctx, cancel: cancel, following: map[string]bool{}, files: map[string]*os.File{}, places: places}
		m.clusters[clusterUID] = mc
	}
	live := map[string]bool{}
	for _, p := range pods {
		for _, c := range mirroredContainers {
			live[string(p.UID)+"/"+c] = true
		}
	}
	mc.fileMu.Lock()
	if mc.places.keepOnly(live) || first {
		m.savePlaces(mc, clusterUID, true)
	}
	mc.fileMu.Unlock()
	for _, p := range pods {
		member := p.Labels[labelMember]
		if !strings.HasPrefix(member, "apiserver-") || p.Status.Phase != corev1.PodRunning {
			continue
		}
		suffix := strings.TrimPrefix(member, "apiserver-")
		for _, c := range mirroredContainers {
			key := string(p.UID) + "/" + c
			if mc.following[key] {
				continue
			}
			mc.following[key] = true
			m.wg.Add(1)
			go func() {
				defer m.wg.Done()
				m.stream(mc, clusterUID, p.Namespace, p.Name, key, c, suffix)
				m.mu.Lock()
				delete(mc.following, key)
				m.mu.Unlock()
			}()
		}
	}
}

// stream copies one container's log until its pod ends, from where the
// mirror got before (mirrorPlaces): each line comes with the kubelet's
// timestamp, which is taken off, and those up to the place are skipped
// (SinceTime counts in whole seconds).
func (m *logMirror) stream(mc *mirroredCluster, clusterUID, ns, pod, key, container, suffix string) {
	mc.fileMu.Lock()
	since := mc.places.from(key)
	mc.fileMu.Unlock()
	opts := &corev1.PodLogOptions{Container: container, Follow: true, Timestamps: true, SinceTime: &metav1.Time{Time: since}}
	rc, err := m.client.CoreV1().Pods(ns).GetLogs(pod, opts).Stream(mc.ctx)
	if err != nil {
		if mc.ctx.Err() == nil {
			m.log.Debug("follow control-plane log", "pod", pod, "container", container, "err", err)
		}
		return
	}
	defer rc.Close()
	if err := m.copyLines(mc, clusterUID, rc, key, container, suffix, since); err != nil {
		m.log.Warn("mirror control-plane log", "pod", pod, "container", container, "err", err)
	}
	mc.fileMu.Lock()
	m.savePlaces(mc, clusterUID, true)
	mc.fileMu.Unlock()
}

// copyLines writes r's lines after since to the container's file, and
// records the place of the last.
func (m *logMirror) copyLines(mc *mirroredCluster, clusterUID string, r io.Reader, key, container, suffix string, since time.Time) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		at, line, stamped := timestamped(sc.Bytes())
		if stamped && !at.After(since) {
			continue // mirrored before
		}
		name := container + "-" + suffix
		if container == RoleAPIServer && bytes.HasPrefix(line, []byte(`{"kind":"Event"`)) {
			name = "audit-" + suffix
		}
		mc.fileMu.Lock()
		err := m.write(mc, clusterUID, name, line)
		if err == nil && stamped {
			mc.places.Last[key] = at
			m.savePlaces(mc, clusterUID, false)
		}
		mc.fileMu.Unlock()
		if err != nil {
			return err
		}
	}
	return sc.Err()
}

// savePlaces records the cluster's places, at most every placesEvery
// unless now; the caller holds fileMu.
func (m *logMirror) savePlaces(mc *mirroredCluster, clusterUID string, now bool) {
	if mc.stopped || (!now && time.Since(mc.savedAt) < placesEvery) {
		return
	}
	if err := mc.places.save(m.dir(clusterUID)); err != nil {
		m.log.Warn("record where the control-plane log mirror is", "cluster", clusterUID, "err", err)
		return
	}
	mc.savedAt = time.Now()
}

// write appends a line to a file of the cluster's; the caller holds fileMu.
func (m *logMirror) write(mc *mirroredCluster, clusterUID, name string, line []byte) error {
	f := mc.files[name]
	if f == nil {
		dir := m.dir(clusterUID)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		var err error
		if f, err = os.OpenFile(filepath.Join(dir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
			return err
		}
		mc.files[name] = f
	}
	// One write per line: lines of two pods of a member (a rollout) never mix.
	_, err := f.Write(append(append([]byte(nil), line...), '\n'))
	return err
}

// stop ends a cluster's followers, keeping what they wrote: its logging
// was turned off. Its places go: logging turned on again mirrors from then.
func (m *logMirror) stop(clusterUID string) {
	m.mu.Lock()
	mc := m.clusters[clusterUID]
	delete(m.clusters, clusterUID)
	m.mu.Unlock()
	if mc == nil {
		return
	}
	mc.cancel()
	mc.fileMu.Lock()
	for name, f := range mc.files {
		_ = f.Close()
		delete(mc.files, name)
	}
	mc.stopped = true
	if err := os.Remove(filepath.Join(m.dir(clusterUID), placesFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		m.log.Warn("forget where the control-plane log mirror was", "cluster", clusterUID, "err", err)
	}
	mc.fileMu.Unlock()
}

// forget stops a cluster's followers and removes its files.
func (m *logMirror) forget(clusterUID string) error {
	m.stop(clusterUID)
	if err := os.RemoveAll(filepath.Dir(m.dir(clusterUID))); err != nil {
		return fmt.Errorf("remove the log mirror of %s: %w", clusterUID, err)
	}
	return nil
}
