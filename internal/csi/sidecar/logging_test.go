package sidecar

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestLoggerLetsThroughWhatKlogsVerbosityWould(t *testing.T) {
	for _, c := range []struct {
		verbosity int
		logged    []slog.Level
		dropped   []slog.Level
	}{
		{0, []slog.Level{slog.LevelInfo, slog.LevelError}, []slog.Level{LevelV2, slog.LevelDebug}},
		{2, []slog.Level{slog.LevelInfo, LevelV2}, []slog.Level{slog.LevelDebug, LevelV5}},
		{4, []slog.Level{LevelV2, LevelV4, slog.LevelDebug}, []slog.Level{LevelV5}},
		{5, []slog.Level{slog.LevelDebug, LevelV5}, nil},
	} {
		log := NewLogger(&bytes.Buffer{}, c.verbosity, "text")
		for _, level := range c.logged {
			if !log.Enabled(context.Background(), level) {
				t.Errorf("--v=%d drops %v", c.verbosity, level)
			}
		}
		for _, level := range c.dropped {
			if log.Enabled(context.Background(), level) {
				t.Errorf("--v=%d logs %v", c.verbosity, level)
			}
		}
	}
}

func TestLoggerWritesTextOrJSON(t *testing.T) {
	var text, js bytes.Buffer
	NewLogger(&text, 0, "text").Info("hello", "driver", "ebs.csi.aws.com")
	NewLogger(&js, 0, "json").Info("hello", "driver", "ebs.csi.aws.com")
	if !strings.Contains(text.String(), `msg=hello driver=ebs.csi.aws.com`) {
		t.Errorf("text %q", text.String())
	}
	var record map[string]any
	if err := json.Unmarshal(js.Bytes(), &record); err != nil || record["msg"] != "hello" || record["driver"] != "ebs.csi.aws.com" {
		t.Errorf("json %q: %v", js.String(), err)
	}
}
