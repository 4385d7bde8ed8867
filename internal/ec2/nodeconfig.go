package ec2

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"

	"sigs.k8s.io/yaml"
)

// NodeConfig is what keks takes from nodeadm's NodeConfig in an
// instance's user data (node.eks.aws/v1alpha1, as the AL2023 EKS AMI reads
// it): the cluster the node joins and what its kubelet registers with.
type NodeConfig struct {
	Cluster string
	Labels  map[string]string
	Taints  []string // key=value:Effect, as --register-with-taints takes them
	MaxPods int
}

// nodeConfigDoc is the part of a NodeConfig document keks reads.
type nodeConfigDoc struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		Cluster struct {
			Name string `json:"name"`
		} `json:"cluster"`
		Kubelet struct {
			Flags  []string `json:"flags"`
			Config struct {
				MaxPods            int `json:"maxPods"`
				RegisterWithTaints []struct {
					Key    string `json:"key"`
					Value  string `json:"value"`
					Effect string `json:"effect"`
				} `json:"registerWithTaints"`
			} `json:"config"`
		} `json:"kubelet"`
	} `json:"spec"`
}

// nodeConfigContentType is the MIME type nodeadm reads a NodeConfig part as.
const nodeConfigContentType = "application/node.eks.aws"

// ParseNodeConfig reads the NodeConfigs of user data: a MIME multi-part
// document's application/node.eks.aws parts, or the whole user data when
// it is a NodeConfig in YAML. Several NodeConfigs merge as nodeadm merges
// them: later values win, labels and taints add up. ok is false when the
// user data holds no NodeConfig (a shell script, AL2's bootstrap.sh); err
// says what was malformed, which EC2 does not judge: the launch goes on.
func ParseNodeConfig(userData string) (cfg NodeConfig, ok bool, err error) {
	docs, err := nodeConfigDocuments(userData)
	for _, raw := range docs {
		for _, part := range splitYAMLDocuments(raw) {
			var d nodeConfigDoc
			if uerr := yaml.Unmarshal([]byte(part), &d); uerr != nil {
				// Only what claims to be a NodeConfig is one keks judges.
				if strings.Contains(part, "NodeConfig") {
					err = errors.Join(err, fmt.Errorf("read NodeConfig: %w", uerr))
				}
				continue
			}
			if d.Kind != "NodeConfig" || !strings.HasPrefix(d.APIVersion, "node.eks.aws/") {
				continue
			}
			ok = true
			if ferr := cfg.add(&d); ferr != nil {
				err = errors.Join(err, ferr)
			}
		}
	}
	return cfg, ok, err
}

func (cfg *NodeConfig) add(d *nodeConfigDoc) error {
	if d.Spec.Cluster.Name != "" {
		cfg.Cluster = d.Spec.Cluster.Name
	}
	if d.Spec.Kubelet.Config.MaxPods > 0 {
		cfg.MaxPods = d.Spec.Kubelet.Config.MaxPods
	}
	for _, t := range d.Spec.Kubelet.Config.RegisterWithTaints {
		if t.Key == "" || t.Effect == "" {
			return fmt.Errorf("NodeConfig taint %q needs a key and an effect", t.Key)
		}
		taint := t.Key + ":" + t.Effect
		if t.Value != "" {
			taint = t.Key + "=" + t.Value + ":" + t.Effect
		}
		cfg.Taints = append(cfg.Taints, taint)
	}
	for _, f := range d.Spec.Kubelet.Flags {
		name, value, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		value = strings.Trim(value, `"'`)
		switch name {
		case "node-labels":
			for _, kv := range strings.Split(value, ",") {
				k, v, found := strings.Cut(kv, "=")
				if !found || k == "" {
					return fmt.Errorf("NodeConfig flag --node-labels: %q is not key=value", kv)
				}
				if cfg.Labels == nil {
					cfg.Labels = map[string]string{}
				}
				cfg.Labels[k] = v
			}
		case "register-with-taints":
			for _, t := range strings.Split(value, ",") {
				if !strings.Contains(t, ":") {
					return fmt.Errorf("NodeConfig flag --register-with-taints: %q has no effect", t)
				}
				cfg.Taints = append(cfg.Taints, t)
			}
		case "max-pods":
			var n int
			if _, err := fmt.Sscan(value, &n); err != nil || n <= 0 {
				return fmt.Errorf("NodeConfig flag --max-pods: %q is not a count", value)
			}
			cfg.MaxPods = n
		}
	}
	return nil
}

// nodeConfigDocuments are the parts of user data that may hold NodeConfigs.
func nodeConfigDocuments(userData string) ([]string, error) {
	msg, err := mail.ReadMessage(bufio.NewReader(strings.NewReader(userData)))
	if err != nil || msg.Header.Get("Content-Type") == "" {
		return []string{userData}, nil // not MIME: the user data itself
	}
	media, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return nil, fmt.Errorf("read user data's MIME type: %w", err)
	}
	if !strings.HasPrefix(media, "multipart/") {
		body, err := io.ReadAll(msg.Body)
		if media != nodeConfigContentType {
			return nil, err
		}
		return []string{string(body)}, err
	}
	var out []string
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return out, fmt.Errorf("read user data's MIME parts: %w", err)
		}
		typ, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if typ != nodeConfigContentType {
			continue
		}
		var b bytes.Buffer
		if _, err := io.Copy(&b, io.LimitReader(p, 1<<20)); err != nil {
			return out, fmt.Errorf("read user data's NodeConfig part: %w", err)
		}
		out = append(out, b.String())
	}
}

// splitYAMLDocuments splits a YAML stream at its "---" lines.
func splitYAMLDocuments(s string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if strings.TrimRight(line, " \r\n") == "---" {
			out = append(out, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteString(line)
	}
	return append(out, cur.String())
}
