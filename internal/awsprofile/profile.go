// Package awsprofile writes the `keks` profile into the AWS CLI's shared
// config and credentials files, honouring AWS_CONFIG_FILE and
// AWS_SHARED_CREDENTIALS_FILE, and reads profiles back for keks's own CLI:
// with keys, or with a credential_source (an instance's profile).
package awsprofile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/ini.v1"
)

// Profile is what keks puts in the AWS CLI's files.
type Profile struct {
	Name            string
	Region          string
	EndpointURL     string
	CABundle        string
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// CredentialSource names where credentials come from instead of keys:
	// Ec2InstanceMetadata is the only source keks knows.
	CredentialSource string
}

// Ec2InstanceMetadata is the credential_source of the instance metadata service.
const Ec2InstanceMetadata = "Ec2InstanceMetadata"

// ConfigFile is the AWS CLI's config file path.
func ConfigFile() string {
	if p := os.Getenv("AWS_CONFIG_FILE"); p != "" {
		return p
	}
	return filepath.Join(home(), ".aws", "config")
}

// CredentialsFile is the AWS CLI's credentials file path.
func CredentialsFile() string {
	if p := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); p != "" {
		return p
	}
	return filepath.Join(home(), ".aws", "credentials")
}

func home() string {
	h, err := os.UserHomeDir()
	if err != nil {
		return "/root"
	}
	return h
}

// Write puts the profile into both files, keeping every other profile.
func Write(p Profile) error {
	cfg, err := load(ConfigFile())
	if err != nil {
		return err
	}
	sec := cfg.Section("profile " + p.Name)
	sec.Key("region").SetValue(p.Region)
	sec.Key("endpoint_url").SetValue(p.EndpointURL)
	sec.Key("ca_bundle").SetValue(p.CABundle)
	sec.Key("output").SetValue("json")
	if p.CredentialSource != "" {
		sec.Key("credential_source").SetValue(p.CredentialSource)
	}
	if err := save(cfg, ConfigFile(), 0o644); err != nil {
		return err
	}
	if p.AccessKeyID == "" {
		return nil // credentials come from the source; no keys to write
	}
	creds, err := load(CredentialsFile())
	if err != nil {
		return err
	}
	cs := creds.Section(p.Name)
	cs.Key("aws_access_key_id").SetValue(p.AccessKeyID)
	cs.Key("aws_secret_access_key").SetValue(p.SecretAccessKey)
	return save(creds, CredentialsFile(), 0o600)
}

// Read loads a profile back from the files.
func Read(name string) (*Profile, error) {
	cfg, err := load(ConfigFile())
	if err != nil {
		return nil, err
	}
	creds, err := load(CredentialsFile())
	if err != nil {
		return nil, err
	}
	section := "profile " + name
	if name == "default" {
		section = "default"
	}
	if !cfg.HasSection(section) {
		return nil, fmt.Errorf("AWS profile %q not found in %s (is `keks server` running?)", name, ConfigFile())
	}
	s := cfg.Section(section)
	p := &Profile{Name: name, Region: s.Key("region").String(), EndpointURL: s.Key("endpoint_url").String(), CABundle: s.Key("ca_bundle").String(),
		CredentialSource: s.Key("credential_source").String()}
	// Keys in the credentials file come first, as the SDKs take them.
	if creds.HasSection(name) {
		c := creds.Section(name)
		p.AccessKeyID, p.SecretAccessKey, p.SessionToken = c.Key("aws_access_key_id").String(), c.Key("aws_secret_access_key").String(), c.Key("aws_session_token").String()
	}
	if p.AccessKeyID == "" && p.CredentialSource == "" {
		return nil, fmt.Errorf("AWS profile %q has neither keys in %s nor a credential_source in %s (is `keks server` running?)", name, CredentialsFile(), ConfigFile())
	}
	return p, nil
}

func load(path string) (*ini.File, error) {
	f, err := ini.LoadSources(ini.LoadOptions{Loose: true, AllowNonUniqueSections: false}, path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if f == nil {
		f = ini.Empty()
	}
	return f, nil
}

func save(f *ini.File, path string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".keks-tmp"
	if err := f.SaveTo(tmp); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
