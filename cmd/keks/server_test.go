package main

import (
	"strings"
	"testing"

	"github.com/keksdev/keks/internal/server"
)

func TestAdvertiseAddress(t *testing.T) {
	for _, tc := range []struct {
		name, listen, advertise string
		etcd                    []string
		want, err               string
	}{
		{name: "single server", listen: "127.0.0.1:4577"},
		{name: "single server with --advertise-address", listen: "127.0.0.1:4577", advertise: "10.0.0.1:4577", err: "for replicas on an external store"},
		{name: "replica: listen by default", listen: "127.0.0.1:4577", etcd: []string{"https://etcd:2379"}, want: "127.0.0.1:4577"},
		{name: "replica on every address", listen: "0.0.0.0:4577", etcd: []string{"https://etcd:2379"}, err: "give --advertise-address"},
		{name: "replica advertised", listen: "0.0.0.0:4577", advertise: "10.0.0.1:4577", etcd: []string{"https://etcd:2379"}, want: "10.0.0.1:4577"},
	} {
		cfg := server.Config{Listen: tc.listen, AdvertiseAddress: tc.advertise, EtcdEndpoints: tc.etcd}
		err := checkAdvertise(&cfg)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || cfg.AdvertiseAddress != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.name, cfg.AdvertiseAddress, err, tc.want)
		}
	}
}
