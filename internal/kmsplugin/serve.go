package kmsplugin

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	kmsv2 "k8s.io/kms/apis/v2"
	"k8s.io/kms/pkg/service"
)

// Serve runs the plugin configured at configPath until ctx ends.
func Serve(ctx context.Context, configPath string, log *slog.Logger) error {
	cfg, err := LoadConfig(configPath)
	if err != nil {
		return err
	}
	svc := NewService(configPath, log)
	ln, err := listen(cfg.Socket)
	if err != nil {
		return err
	}
	gs := grpc.NewServer()
	// k8s.io/kms's GRPCService turns the service into the gRPC API; the
	// listener and the server's life are the plugin's own.
	kmsv2.RegisterKeyManagementServiceServer(gs, service.NewGRPCService(cfg.Socket, 0, svc))
	stop := context.AfterFunc(ctx, gs.GracefulStop)
	defer stop()
	log.Info("KMS plugin serving", "socket", cfg.Socket, "key", cfg.KeyARN, "endpoint", cfg.Endpoint)
	if err := gs.Serve(ln); err != nil {
		return fmt.Errorf("serve KMS plugin on %s: %w", cfg.Socket, err)
	}
	return nil
}

// listen makes the plugin's socket, readable and writable by its owner
// only (whoever may connect may decrypt the cluster's data keys). A socket
// left by a plugin that was killed is removed first.
func listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("KMS plugin socket directory: %w", err)
	}
	if st, err := os.Lstat(path); err == nil {
		if st.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("KMS plugin socket %s exists and is not a socket", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale KMS plugin socket: %w", err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("restrict KMS plugin socket: %w", err)
	}
	return ln, nil
}

// Probe asks the plugin on socket for its status, as kube-apiserver does:
// an error means no plugin answers there.
func Probe(ctx context.Context, socket string) (*kmsv2.StatusResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := grpc.NewClient("unix://"+socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("KMS plugin client for %s: %w", socket, err)
	}
	defer conn.Close()
	st, err := kmsv2.NewKeyManagementServiceClient(conn).Status(ctx, &kmsv2.StatusRequest{})
	if err != nil {
		return nil, fmt.Errorf("KMS plugin status on %s: %w", socket, err)
	}
	return st, nil
}
