package controlplane

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
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
// log from when it was first seen; the API server's audit events, which it
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
	files     map[string]*os.File
	fileMu    sync.Mutex
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
	if mc == nil {
		cctx, cancel := context.WithCancel(m.runCtx)
		mc = &mirroredCluster{ctx: cctx, cancel: cancel, following: map[string]bool{}, files: map[string]*os.File{}}
		m.clusters[clusterUID] = mc
	}
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
				m.stream(mc, clusterUID, p.Namespace, p.Name, c, suffix)
				m.mu.Lock()
				delete(mc.following, key)
				m.mu.Unlock()
			}()
		}
	}
}

// stream copies one container's log, from now on, until its pod ends.
func (m *logMirror) stream(mc *mirroredCluster, clusterUID, ns, pod, container, suffix string) {
	since := metav1.NewTime(time.Now())
	rc, err := m.client.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container, Follow: true, SinceTime: &since}).Stream(mc.ctx)
	if err != nil {
		if mc.ctx.Err() == nil {
			m.log.Debug("follow control-plane log", "pod", pod, "container", container, "err", err)
		}
		return
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		name := container + "-" + suffix
		if container == RoleAPIServer && bytes.HasPrefix(line, []byte(`{"kind":"Event"`)) {
			name = "audit-" + suffix
		}
		if err := m.write(mc, clusterUID, name, line); err != nil {
			m.log.Warn("mirror control-plane log", "file", name, "err", err)
			return
		}
	}
}

func (m *logMirror) write(mc *mirroredCluster, clusterUID, name string, line []byte) error {
	mc.fileMu.Lock()
	defer mc.fileMu.Unlock()
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
// was turned off.
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
