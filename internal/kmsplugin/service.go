package kmsplugin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"
	"k8s.io/kms/pkg/service"
)

// APIVersion is the KMS plugin API the plugin serves.
const APIVersion = "v2"

// Healthy is what Status says while KMS encrypts and decrypts with the key.
const Healthy = "ok"

// How long a health check's answer stands: long while healthy, so that an
// idle cluster's status polls (kube-apiserver's and keks's) cost a KMS call
// now and then; short while not, so that a fixed key policy shows soon.
const (
	healthyFor   = 30 * time.Second
	unhealthyFor = 5 * time.Second
)

// healthProbe is what the health check encrypts and decrypts.
var healthProbe = []byte("keks kms-plugin health check")

// Service is the plugin's KMS v2 service (k8s.io/kms's service.Service).
type Service struct {
	configPath string
	log        *slog.Logger
	now        func() time.Time

	mu     sync.Mutex // guards loaded and health
	loaded *loadedConfig
	health *health

	probing      sync.Mutex // one health check at a time; the others wait for its answer
	healthyFor   time.Duration
	unhealthyFor time.Duration
}

var _ service.Service = (*Service)(nil)

// loadedConfig is the configuration as last read, with its KMS client.
type loadedConfig struct {
	stamp fileStamp
	cfg   *Config
	kms   kmsAPI
}

// health is a health check's answer and until when it stands.
type health struct {
	healthz string
	keyID   string
	until   time.Time
}

// NewService serves the plugin configured at configPath.
func NewService(configPath string, log *slog.Logger) *Service {
	return &Service{configPath: configPath, log: log, now: time.Now, healthyFor: healthyFor, unhealthyFor: unhealthyFor}
}

// current returns the configuration and its KMS client, read again when
// the file changed (keks rewrites it when its endpoint moves).
func (s *Service) current() (*Config, kmsAPI, error) {
	stamp, err := stampOf(s.configPath)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, nil, fmt.Errorf("KMS plugin configuration: %w", err)
	}
	if s.loaded != nil && s.loaded.stamp == stamp {
		return s.loaded.cfg, s.loaded.kms, nil
	}
	cfg, err := LoadConfig(s.configPath)
	if err != nil {
		return nil, nil, err
	}
	client, err := newKMSClient(cfg, s.now)
	if err != nil {
		return nil, nil, err
	}
	if s.loaded != nil {
		s.log.Info("configuration reloaded", "key", cfg.KeyARN, "endpoint", cfg.Endpoint)
	}
	s.loaded, s.health = &loadedConfig{stamp: stamp, cfg: cfg, kms: client}, nil
	return cfg, client, nil
}

// Encrypt encrypts a data key (or the seed kube-apiserver derives its data
// keys from) with the cluster's key. The key id is the ARN of the key that
// did it, as Status reports it: kube-apiserver makes a new data key when
// the two differ.
func (s *Service) Encrypt(ctx context.Context, uid string, data []byte) (*service.EncryptResponse, error) {
	cfg, client, err := s.current()
	if err != nil {
		return nil, err
	}
	out, err := client.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(cfg.KeyARN), Plaintext: data})
	if err != nil {
		s.forgetHealth()
		s.log.Warn("encrypt failed", "uid", uid, "key", cfg.KeyARN, "err", err)
		return nil, fmt.Errorf("encrypt with %s: %s", cfg.KeyARN, describe(err))
	}
	return &service.EncryptResponse{Ciphertext: out.CiphertextBlob, KeyID: aws.ToString(out.KeyId)}, nil
}

// Decrypt decrypts a data key with the key that encrypted it: the key id
// stored beside it names that key, which need not be the current one.
func (s *Service) Decrypt(ctx context.Context, uid string, req *service.DecryptRequest) ([]byte, error) {
	_, client, err := s.current()
	if err != nil {
		return nil, err
	}
	in := &awskms.DecryptInput{CiphertextBlob: req.Ciphertext}
	if req.KeyID != "" {
		in.KeyId = aws.String(req.KeyID)
	}
	out, err := client.Decrypt(ctx, in)
	if err != nil {
		s.forgetHealth()
		s.log.Warn("decrypt failed", "uid", uid, "key", req.KeyID, "err", err)
		return nil, fmt.Errorf("decrypt (key %q): %s", req.KeyID, describe(err))
	}
	return out.Plaintext, nil
}

// Status reports whether KMS encrypts and decrypts with the key for the
// cluster role, and the key's id. An unhealthy plugin still answers: its
// healthz is the reason (AccessDeniedException: ...), which
// kube-apiserver's health check shows.
func (s *Service) Status(ctx context.Context) (*service.StatusResponse, error) {
	h := s.checkHealth(ctx)
	return &service.StatusResponse{Version: APIVersion, Healthz: h.healthz, KeyID: h.keyID}, nil
}

func (s *Service) checkHealth(ctx context.Context) health {
	s.probing.Lock()
	defer s.probing.Unlock()
	s.mu.Lock()
	h := s.health
	s.mu.Unlock()
	if h != nil && s.now().Before(h.until) {
		return *h
	}
	next := s.probe(ctx)
	if next.healthz == Healthy {
		next.until = s.now().Add(s.healthyFor)
	} else {
		next.until = s.now().Add(s.unhealthyFor)
	}
	if h == nil || h.healthz != next.healthz {
		// Said once per change: an unhealthy plugin is asked every few seconds.
		s.log.Info("health", "healthz", next.healthz, "key", next.keyID)
	}
	s.mu.Lock()
	s.health = &next
	s.mu.Unlock()
	return next
}

// probe encrypts and decrypts a probe, which needs both kms:Encrypt and
// kms:Decrypt, as kube-apiserver will.
func (s *Service) probe(ctx context.Context) health {
	cfg, client, err := s.current()
	if err != nil {
		return health{healthz: err.Error(), keyID: "unknown"}
	}
	bad := func(op string, err error) health {
		return health{healthz: fmt.Sprintf("%s with %s: %s", op, cfg.KeyARN, describe(err)), keyID: cfg.KeyARN}
	}
	enc, err := client.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(cfg.KeyARN), Plaintext: healthProbe})
	if err != nil {
		return bad("encrypt", err)
	}
	dec, err := client.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, KeyId: enc.KeyId})
	if err != nil {
		return bad("decrypt", err)
	}
	if !bytes.Equal(dec.Plaintext, healthProbe) {
		return bad("decrypt", errors.New("the probe came back changed"))
	}
	return health{healthz: Healthy, keyID: aws.ToString(enc.KeyId)}
}

// forgetHealth makes the next Status check again: an operation just failed.
func (s *Service) forgetHealth() {
	s.mu.Lock()
	s.health = nil
	s.mu.Unlock()
}

// describe is an error as the plugin reports it: an AWS error by its code
// and message, without the SDK's request details.
func describe(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}
