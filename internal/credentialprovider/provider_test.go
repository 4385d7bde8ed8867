package credentialprovider

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestServeAnswersWithTheLoginForTheImagesRegistry(t *testing.T) {
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	login := func(context.Context) (string, string, time.Time, error) {
		return "AWS", "secret", now.Add(12 * time.Hour), nil
	}
	for image, registry := range map[string]string{
		"198.19.255.254/team/app:v1": "198.19.255.254",
		"busybox:1.28":               "docker.io",
		"library/nginx":              "docker.io",
		"registry.k8s.io/e2e-test-images/agnhost:2.66.1": "registry.k8s.io",
		"localhost/x": "localhost",
		"host:5000/x": "host:5000",
	} {
		var out bytes.Buffer
		in := `{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"` + image + `"}`
		if err := Serve(context.Background(), strings.NewReader(in), &out, login, now); err != nil {
			t.Fatalf("%s: %v", image, err)
		}
		var resp response
		if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
			t.Fatal(err)
		}
		if resp.Kind != "CredentialProviderResponse" || resp.CacheKeyType != "Registry" || resp.CacheDuration != "11h30m0s" ||
			resp.Auth[registry] != (authConfig{"AWS", "secret"}) || len(resp.Auth) != 1 {
			t.Errorf("%s: %+v", image, resp)
		}
	}
	var out bytes.Buffer
	if err := Serve(context.Background(), strings.NewReader(`{"kind":"Other"}`), &out, login, now); err == nil {
		t.Error("a request of another kind was answered")
	}
}
