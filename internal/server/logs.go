package server

import (
	"context"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/keksdev/keks/internal/supervisor"
)

// processLogs are where the logs of the processes keks starts are, under the
// data directory (pods' logs are the kubelet's to rotate).
var processLogs = []string{"clusters/*/logs/*.log", "instances/*/logs/*.log", "elb/*/*/*.log"}

// logLimit bounds each log file of the processes keks runs; one older copy is kept.
const logLimit = 20 << 20

// rotateLogs keeps every process log under the data directory within
// logLimit, once a minute, until ctx ends.
func rotateLogs(ctx context.Context, dataDir string, log *slog.Logger) {
	every(ctx, time.Minute, func() {
		for _, pattern := range processLogs {
			files, _ := filepath.Glob(filepath.Join(dataDir, pattern))
			for _, f := range files {
				if _, err := supervisor.RotateLog(f, logLimit); err != nil {
					log.Warn("rotate log", "file", f, "err", err)
				}
			}
		}
	})
}
