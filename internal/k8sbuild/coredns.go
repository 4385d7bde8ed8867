package k8sbuild

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// CoreDNSVersion is the CoreDNS release keks builds for the coredns add-on.
const CoreDNSVersion = "1.15.0"

// CoreDNSAddonVersion is that build as the coredns add-on's version and its image's tag.
const CoreDNSAddonVersion = "v" + CoreDNSVersion + "-eksbuild.1"

// coreDNSMain registers only the plugins the add-on's Corefile uses, which
// keeps cloud SDKs (route53, azure, clouddns) out of the build.
const coreDNSMain = `package main

import (
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"

	"github.com/coredns/coredns/coremain"
)

func main() { coremain.Run() }
`

// CoreDNSPath is the built CoreDNS binary.
func (d Dir) CoreDNSPath() string {
	return filepath.Join(string(d), "coredns", CoreDNSVersion, "bin", "coredns")
}

// BuildCoreDNS compiles CoreDNS from the Go module proxy unless it is built:
// static, since it runs alone in its image.
func (d Dir) BuildCoreDNS(ctx context.Context, progress io.Writer) error {
	built := func() bool {
		_, err := os.Stat(d.CoreDNSPath())
		return err == nil
	}
	return d.buildOnce(built, progress, func() error { return d.buildCoreDNS(ctx, progress) })
}

func (d Dir) buildCoreDNS(ctx context.Context, progress io.Writer) error {
	start := time.Now()
	src := filepath.Join(string(d), "coredns", CoreDNSVersion, "src")
	fmt.Fprintf(progress, "[1/3] fetching CoreDNS v%s from the Go module proxy\n[2/3] resolving modules (go mod tidy)\n", CoreDNSVersion)
	gomod := fmt.Sprintf("module keks.local/coredns\n\ngo 1.26.0\n\nrequire github.com/coredns/coredns v%s\n", CoreDNSVersion)
	if err := writeProxyModule(ctx, src, gomod, map[string][]byte{"main.go": []byte(coreDNSMain)}); err != nil {
		return err
	}
	tmp := d.CoreDNSPath() + ".tmp"
	if err := os.MkdirAll(filepath.Dir(tmp), 0o755); err != nil {
		return err
	}
	if err := compile(ctx, src, tmp, []string{"."}, "CoreDNS "+CoreDNSVersion, nil, []string{"CGO_ENABLED=0"}, progress); err != nil {
		return err
	}
	if err := os.Rename(tmp, d.CoreDNSPath()); err != nil {
		return err
	}
	fmt.Fprintf(progress, "CoreDNS %s built in %s: %s\n", CoreDNSVersion, time.Since(start).Round(time.Second), d.CoreDNSPath())
	return nil
}
