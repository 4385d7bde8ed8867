package agent

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/ebs"
)

// keksVolumes is keks's side of the host's volumes, over the agents
// listener's mutual TLS. Transfers take as long as the bytes need: the
// client has no overall timeout, only the caller's context.
type keksVolumes struct {
	id     *Identity
	client *http.Client
}

// transferTimeout bounds one transfer of up to size bytes, so a stalled
// connection does not hold the converger forever: a floor, plus the bytes
// at a slow link's pace (a sparse stream is mostly far shorter).
func transferTimeout(size int64) time.Duration {
	const floor, pace = 5 * time.Minute, 20 << 20 // bytes a second
	return floor + time.Duration(size/pace)*time.Second
}

func newKeksVolumes(id *Identity) *keksVolumes {
	return &keksVolumes{id: id, client: &http.Client{Transport: id.client.Transport}}
}

// Download writes keks's bytes of a volume to dst, at most most bytes.
func (k *keksVolumes) Download(ctx context.Context, volumeID, dst string, most int64) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, transferTimeout(most))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.id.Server+agents.VolumeDataPath+volumeID, nil)
	if err != nil {
		return 0, err
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("reach keks at %s: %w", k.id.Server, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return 0, refusalOf(resp, data)
	}
	return ebs.ReceiveSparse(resp.Body, dst, func(size int64) error {
		if size <= 0 || size > most {
			return fmt.Errorf("keks sends %d bytes of volume %s; this host holds it at most %d", size, volumeID, most)
		}
		return nil
	})
}

// Upload checks a volume's bytes in to keks.
func (k *keksVolumes) Upload(ctx context.Context, volumeID, file string, size int64) error {
	return k.put(ctx, agents.VolumeDataPath+volumeID, file, size)
}

// UploadSnapshot sends a pending snapshot's bytes to keks.
func (k *keksVolumes) UploadSnapshot(ctx context.Context, snapshotID, file string, size int64) error {
	return k.put(ctx, agents.SnapshotDataPath+snapshotID, file, size)
}

// put streams file sparse to keks at path; keks answers once it has the
// bytes in place.
func (k *keksVolumes) put(ctx context.Context, path, file string, size int64) error {
	ctx, cancel := context.WithTimeout(ctx, transferTimeout(size))
	defer cancel()
	pr, pw := io.Pipe()
	// The writer ends with the request: it is done when Do returns.
	done := make(chan struct{})
	go func() {
		defer close(done)
		pw.CloseWithError(ebs.SendSparse(pw, file, size))
	}()
	defer func() { pr.Close(); <-done }()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, k.id.Server+path, pr)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := k.client.Do(req)
	if err != nil {
		return fmt.Errorf("send %s to keks at %s: %w", file, k.id.Server, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return refusalOf(resp, data)
	}
	return nil
}

// Report posts a volume's state to keks.
func (k *keksVolumes) Report(ctx context.Context, st agents.VolumeStatus) error {
	return call(ctx, k.id.client, k.id.Server, agents.VolumeStatusPath, st, nil)
}
