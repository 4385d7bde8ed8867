package agent

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/ebs"
)

// TestKeksVolumesOverHTTP moves a sparse file down and up through the
// client's calls, and reads keks's refusals.
func TestKeksVolumesOverHTTP(t *testing.T) {
	dir := t.TempDir()
	served := filepath.Join(dir, "keks.img")
	if err := os.WriteFile(served, []byte("from keks"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(served, 8*mib); err != nil {
		t.Fatal(err)
	}
	var got agents.VolumeStatus
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == agents.VolumeDataPath+volB:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_ = json.NewEncoder(w).Encode(map[string]string{"code": "VolumeNotAssigned", "message": "not yours"})
		case r.Method == http.MethodGet:
			_ = ebs.SendSparse(w, served, 8*mib)
		case r.Method == http.MethodPut:
			dst := filepath.Join(dir, strings.TrimPrefix(filepath.Base(r.URL.Path), "/")+".up")
			if _, err := ebs.ReceiveSparse(r.Body, dst, func(int64) error { return nil }); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
			}
		case r.URL.Path == agents.VolumeStatusPath:
			_ = json.NewDecoder(r.Body).Decode(&got)
		}
	}))
	t.Cleanup(ts.Close)
	k := newKeksVolumes(&Identity{State: State{Server: ts.URL}, client: ts.Client()})
	ctx := context.Background()

	local := filepath.Join(dir, "local.img")
	if _, err := k.Download(ctx, volA, local, 4*mib); err == nil {
		t.Error("a download larger than the assignment was taken")
	}
	if n, err := k.Download(ctx, volA, local, 8*mib); err != nil || n != 8*mib || readHead(local)[:9] != "from keks" {
		t.Fatalf("download: %d, %v, %q", n, err, readHead(local))
	}
	var refused *refusal
	if _, err := k.Download(ctx, volB, local, 8*mib); !errors.As(err, &refused) || refused.Code != "VolumeNotAssigned" {
		t.Errorf("a refused download: %v", err)
	}
	if err := k.Upload(ctx, volA, local, 8*mib); err != nil {
		t.Fatal(err)
	}
	if head := readHead(filepath.Join(dir, volA+".up")); head[:9] != "from keks" {
		t.Errorf("uploaded %q", head)
	}
	if err := k.UploadSnapshot(ctx, "snap-0123456789abcdef0", local, 8*mib); err != nil {
		t.Fatal(err)
	}
	if err := k.Upload(ctx, volB, local, 8*mib); !errors.As(err, &refused) {
		t.Errorf("a refused upload: %v", err)
	}
	if err := k.Report(ctx, agents.VolumeStatus{ID: volA, State: agents.VolumeAttached, SizeBytes: 8 * mib}); err != nil || got.ID != volA {
		t.Errorf("report: %v, keks got %+v", err, got)
	}
}
