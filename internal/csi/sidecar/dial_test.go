package sidecar

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestSocketPathReadsAPathOrAUnixURL(t *testing.T) {
	for address, want := range map[string]string{
		"/run/csi/socket":        "/run/csi/socket",
		"unix:///run/csi/socket": "/run/csi/socket",
		"csi.sock":               "csi.sock",
	} {
		if got, err := socketPath(address); err != nil || got != want {
			t.Errorf("socketPath(%q) = %q, %v; want %q", address, got, err, want)
		}
	}
	for _, address := range []string{"tcp://127.0.0.1:10000", "dns:///driver:10000"} {
		if _, err := socketPath(address); err == nil || !strings.Contains(err.Error(), "only unix sockets") {
			t.Errorf("socketPath(%q) = %v, want only unix sockets", address, err)
		}
		if _, err := DialUnix(address); err == nil {
			t.Errorf("DialUnix(%q) accepted", address)
		}
	}
}

func TestDialUnixConnectsOnceTheSocketIsServed(t *testing.T) {
	dir := t.TempDir()
	conn, err := DialUnix("unix://" + socketIn(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Nobody listens yet: the wait lasts as long as its context.
	shortCtx, shortCancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer shortCancel()
	if err := WaitUntilReady(shortCtx, conn); err == nil {
		t.Fatal("ready without a driver")
	}
	newFakeDriver().serve(t, dir)
	if err := WaitUntilReady(ctx, conn); err != nil {
		t.Fatalf("WaitUntilReady once served: %v", err)
	}
	if name, err := DriverName(ctx, conn); err != nil || name != "ebs.csi.aws.com" {
		t.Errorf("DriverName = %q, %v", name, err)
	}
}
