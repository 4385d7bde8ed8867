// Package server assembles keks: it opens the store, bootstraps the account
// and the default VPC, writes the AWS CLI profile, serves the AWS front door
// over TLS and runs the reconcilers until it is told to stop.
package server

import (
	"context"
	"crypto"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/keksdev/keks/internal/addons"
	"github.com/keksdev/keks/internal/api/autoscalingapi"
	"github.com/keksdev/keks/internal/api/ec2api"
	"github.com/keksdev/keks/internal/api/ecrapi"
	"github.com/keksdev/keks/internal/api/eksapi"
	"github.com/keksdev/keks/internal/api/eksauthapi"
	"github.com/keksdev/keks/internal/api/iamapi"
	"github.com/keksdev/keks/internal/api/kmsapi"
	"github.com/keksdev/keks/internal/api/logsapi"
	"github.com/keksdev/keks/internal/api/ssmapi"
	"github.com/keksdev/keks/internal/api/stsapi"
	"github.com/keksdev/keks/internal/authn"
	"github.com/keksdev/keks/internal/authz"
	"github.com/keksdev/keks/internal/autoscaling"
	"github.com/keksdev/keks/internal/awsprofile"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/console"
	"github.com/keksdev/keks/internal/controlplane"
	"github.com/keksdev/keks/internal/cplogs"
	"github.com/keksdev/keks/internal/cwlogs"
	"github.com/keksdev/keks/internal/ebs"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/ecr"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/eksauth"
	"github.com/keksdev/keks/internal/elb"
	"github.com/keksdev/keks/internal/fargate"
	"github.com/keksdev/keks/internal/fargatescheduler"
	"github.com/keksdev/keks/internal/hostslot"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/images"
	"github.com/keksdev/keks/internal/imds"
	"github.com/keksdev/keks/internal/insights"
	"github.com/keksdev/keks/internal/k8sbuild"
	"github.com/keksdev/keks/internal/kms"
	"github.com/keksdev/keks/internal/kubeclient"
	"github.com/keksdev/keks/internal/network"
	"github.com/keksdev/keks/internal/nodegroups"
	"github.com/keksdev/keks/internal/nodes"
	"github.com/keksdev/keks/internal/oidc"
	"github.com/keksdev/keks/internal/overlay"
	"github.com/keksdev/keks/internal/pki"
	"github.com/keksdev/keks/internal/placement"
	"github.com/keksdev/keks/internal/podidentity"
	"github.com/keksdev/keks/internal/registry"
	"github.com/keksdev/keks/internal/ssm"
	"github.com/keksdev/keks/internal/store"
	"github.com/keksdev/keks/internal/versionlifecycle"
)

// Config is keks server's configuration, from flags.
type Config struct {
	DataDir       string
	Listen        string
	Region        string
	EtcdEndpoints []string // external store; empty means embedded
	EtcdTLS       *tls.Config
	K8sDir        string
	Profile       string // AWS CLI profile to write; empty writes none
	TrustCA       bool   // add keks's CA to the system trust store
	// IdentityProviderCAFile holds CAs the API servers also trust the
	// issuers of OIDC identity provider configs with.
	IdentityProviderCAFile string
	DemoCluster            string // name of a cluster to make ready on start; empty makes none
	Kubeconfig             string // where the demo cluster's context goes; empty means $KUBECONFIG or ~/.kube/config
	NoReconcile            bool   // serve the APIs only, building nothing (API tests)
	// ControlPlaneRuntime runs new clusters' control planes (controlplane.Config.Runtime).
	ControlPlaneRuntime string
	// ManagementKubeconfig is the kubernetes runtime's management cluster;
	// ControlPlaneImages, ControlPlaneImagesCA and ControlPlaneStorageClass
	// its image repository, that registry's CA and its etcd volumes' class.
	ManagementKubeconfig, ControlPlaneImages, ControlPlaneImagesCA, ControlPlaneStorageClass string
	// InstallPrerequisites installs what the host lacks (apt-get, as root)
	// instead of stopping with a message that says how.
	InstallPrerequisites bool
	// RegistryAddress is the host address where the nodes (and the host)
	// reach keks's image registry; empty serves no registry.
	RegistryAddress string
	// MetadataAddress is the host address:port where keks serves the
	// instance metadata service; instances' 169.254.169.254:80 is sent
	// there. Empty serves none (instances then have no credentials).
	MetadataAddress string
	// Slot is the server's share of the host (hostslot): its control-plane
	// networks and load-balancer pool; SlotRegistry, if set, is where it was
	// claimed, and the slot is given back there when the server stops with
	// nothing left running.
	Slot         hostslot.Slot
	SlotRegistry string
	// EvictionDeadline, if set, replaces EKS's 15 minutes after which a node
	// group update whose drain is refused fails with PodEvictionFailure (tests).
	EvictionDeadline time.Duration
	// ControlPlaneScaling is when control planes add and remove API
	// servers with their load (controlplane.DefaultScalingPolicy's figures
	// where zero).
	ControlPlaneScaling controlplane.ScalingPolicy
	// ClockOffset shifts the clock of EKS's version lifecycle (tests and
	// demos: support dates, automatic upgrades); see lifecycleClock.
	ClockOffset time.Duration
	// Started, if set, is called with the models once keks serves (tests use it).
	Started func(*Models)
	Log     *slog.Logger

	// AdvertiseAddress is where the other replicas on the external store
	// reach this one's front door (host:port); empty means Listen.
	AdvertiseAddress string

	// AgentsListen is host:port of the agents listener (join, heartbeats);
	// empty serves none.
	AgentsListen string
}

// Models are the services behind the APIs.
type Models struct {
	IAM       *iam.Service
	EC2       *ec2.Service
	EKS       *eks.Service
	ECR       *ecr.Service
	Logs      *cwlogs.Service
	Insights  *insights.Service
	Bootstrap *iam.BootstrapCredentials
	CAFile    string
	Endpoint  string
	// AgentsURL is the agents listener's https://host:port; empty when off.
	AgentsURL string
}

// Run serves until ctx ends.
func Run(ctx context.Context, cfg Config) (err error) {
	log := cfg.Log
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return err
	}
	if !cfg.NoReconcile {
		if err := ensureHost(ctx, cfg.InstallPrerequisites); err != nil {
			return err
		}
		if err := ensureNodeBuilds(ctx, k8sbuild.Dir(cfg.K8sDir), log); err != nil {
			return err
		}
	}
	// On an external store, keks runs as one of several replicas: it
	// stands by (serving its front door by forwarding) until it leads, and
	// only then takes the data directory and does what a single server does.
	replicas := len(cfg.EtcdEndpoints) > 0
	if !replicas {
		unlock, err := lockDataDir(dataDir)
		if err != nil {
			return err
		}
		defer unlock()
		if cfg.RegistryAddress != "" {
			if err := registryInUse(cfg.RegistryAddress); err != nil {
				return err
			}
		}
	}
	var st *store.Store
	st, err = openStore(ctx, cfg, dataDir, log)
	if err != nil {
		return err
	}
	defer st.Close()
	var rep *replica
	defer func() {
		// Whatever a leader stopped on (a start-up step's cancelled
		// context, say), the cause was the lost lease.
		if rep != nil && err != nil {
			err = rep.lostOr(err)
		}
	}()
	if replicas {
		if rep, err = startReplica(ctx, cfg, st, dataDir, log); err != nil {
			return err
		}
		defer rep.stop()
		var leading context.Context
		st, leading, err = rep.lead(ctx)
		if err != nil || st == nil {
			return err // nil: stopped while standing by
		}
		ctx = leading
		unlock, err := lockDataDirWaiting(ctx, dataDir, log)
		if err != nil {
			return rep.lostOr(err)
		}
		defer unlock()
		if cfg.RegistryAddress != "" {
			if err := registryInUse(cfg.RegistryAddress); err != nil {
				return err
			}
		}
	} else {
		hostname, _ := os.Hostname()
		self := fmt.Sprintf("keks server on %s, data directory %s,", hostname, dataDir)
		releaseStore, err := st.Claim(ctx, fmt.Sprintf("%s pid %d, listening on %s", self, os.Getpid(), cfg.Listen), func(other string) bool {
			// This server holds the data directory's lock: a claim naming the
			// same host and directory is of a server that died.
			return strings.HasPrefix(other, self+" ")
		})
		if err != nil {
			return fmt.Errorf("%w; stop that server first, or give this one a store of its own", err)
		}
		defer releaseStore()
	}

	now := func() time.Time { return time.Now() }
	iamSvc := &iam.Service{Store: st, Now: now}
	ec2Svc := &ec2.Service{Store: st}
	// Only EKS's version lifecycle runs on the clock --clock-offset shifts
	// (see lifecycleClock); everything else, records' timestamps too, on now.
	eksSvc := &eks.Service{Store: st, IAM: iamSvc, EC2: ec2Svc, Now: now, SupportNow: lifecycleClock(cfg.ClockOffset)}
	boot, err := iamSvc.Bootstrap(ctx)
	if err != nil {
		return fmt.Errorf("bootstrap IAM: %w", err)
	}
	if _, err := ec2Svc.EnsureDefaultVPC(ctx, cfg.Region, boot.AccountID); err != nil {
		return fmt.Errorf("create default VPC: %w", err)
	}
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", cfg.Listen, err)
	}
	regHost, _, _ := net.SplitHostPort(cfg.RegistryAddress)
	advertiseHost, _, _ := net.SplitHostPort(cfg.AdvertiseAddress)
	tlsCert, caFile, err := serverTLS(ctx, st, dataDir, host, regHost, advertiseHost)
	if err != nil {
		return err
	}
	baseURL := "https://" + cfg.Listen
	op, agentsLn, err := agentsAndOperator(ctx, cfg, st, ec2Svc, now, log)
	if err != nil {
		return err
	}
	if agentsLn != nil {
		defer agentsLn.ln.Close() // on the way out before it serves; Shutdown closes it otherwise
	}
	trustKeksCA(cfg.TrustCA, caFile, dataDir, boot.AccountID, log)
	// STS fetches the keys of web identity tokens' issuers: keks's own
	// clusters' (under keks's CA) or any public one.
	issuers, err := clientTrusting(caFile)
	if err != nil {
		return err
	}
	iamSvc.WebIdentityKeys = &oidc.Verifier{Client: issuers, Now: now}
	if cfg.Profile != "" {
		if err := awsprofile.Write(awsprofile.Profile{Name: cfg.Profile, Region: cfg.Region, EndpointURL: baseURL, CABundle: caFile,
			AccessKeyID: boot.AccessKeyID, SecretAccessKey: boot.SecretAccessKey}); err != nil {
			return fmt.Errorf("write AWS CLI profile: %w", err)
		}
		log.Info("AWS CLI profile written", "profile", cfg.Profile, "config", awsprofile.ConfigFile(), "credentials", awsprofile.CredentialsFile())
	}

	exe, err := os.Executable()
	if err != nil {
		return err
	}
	kube := &kubeclient.Cache{}
	var cp *controlplane.Controller
	access := &clusterAccess{eks: eksSvc, awsAuth: &authn.AWSAuthWatcher{Client: kube.For}, cp: func() *controlplane.Controller { return cp }}
	first, count := cfg.Slot.ControlPlaneNetworks()
	kubeRuntime, err := kubernetesRuntimeConfig(cfg)
	if err != nil {
		return err
	}
	cp, err = controlplane.New(controlplane.Config{
		Runtime:                cfg.ControlPlaneRuntime,
		Scaling:                scalingPolicy(cfg.ControlPlaneScaling),
		Kubernetes:             kubeRuntime,
		Networks:               controlplane.NetworkRange{First: first, Count: count},
		RoleSession:            iamSvc.IssueRoleSession,
		Kube:                   kube.For,
		Deleted:                func(uid string) { kube.Forget(uid); access.forget(uid) },
		Access:                 access.fill,
		IdentityProviderCAFile: cfg.IdentityProviderCAFile,
		FargateProfiles: func(ctx context.Context, clusterUID string) ([]fargate.Profile, error) {
			return fargateProfilesForWebhooks(ctx, eksSvc, clusterUID)
		},
		PodIdentities: func(ctx context.Context, clusterUID string) ([]podidentity.Identity, error) {
			as, err := eksSvc.PodIdentityAssociationsOf(ctx, clusterUID)
			var out []podidentity.Identity
			for _, a := range as {
				out = append(out, podidentity.Identity{Namespace: a.Namespace, ServiceAccount: a.ServiceAccount})
			}
			return out, err
		},
		DataDir: filepath.Join(dataDir, "clusters"), K8s: k8sbuild.Dir(cfg.K8sDir), KeksURL: baseURL, IssuerURL: issuerURL(cfg.RegistryAddress), KeksCAFile: caFile, KeksBinary: exe,
		STSHosts: stsHosts(st, cfg.Listen),
		NodeIdentities: func(ctx context.Context, region, cluster string) ([]string, map[string]string, error) {
			return nodes.Identities(ctx, ec2Svc, region, cluster)
		},
		Credentials: func(ctx context.Context) ([]authn.Credential, error) {
			keys, err := iamSvc.ActiveKeys(ctx)
			if err != nil {
				return nil, err
			}
			out := make([]authn.Credential, 0, len(keys))
			for _, k := range keys {
				c := authn.Credential{Secret: k.Key.Secret, Principal: awsproto.Principal{Account: k.Identity.Account, ARN: k.Identity.ARN, UserID: k.Identity.UserID, AccessKeyID: k.Key.ID}}
				if k.Key.Session != nil {
					c.SessionToken, c.Expiration = k.Key.Session.Token, k.Key.Session.Expiration
				}
				out = append(out, c)
			}
			return out, nil
		},
		VPCCIDR: func(id string) string {
			v, err := ec2Svc.GetVPC(context.Background(), id)
			if err != nil {
				return ""
			}
			return v.CIDR
		},
	}, st, eksSvc, log.With("component", "controlplane"))
	if err != nil {
		return err
	}
	kube.Config = cp.AdminConfig // keks's client of a cluster is as its control plane's runtime says
	if !cfg.NoReconcile {
		eksSvc.DatabaseSize = cp.DatabaseSize // a smaller scaling tier must hold the cluster's etcd database
	}

	nodeCtl := nodes.New(nodes.Config{DataDir: filepath.Join(dataDir, "instances"), K8s: k8sbuild.Dir(cfg.K8sDir), KeksBinary: exe, Endpoint: baseURL, CABundle: caFile, Kube: kube,
		MetadataAddress: cfg.MetadataAddress},
		ec2Svc, eksSvc, iamSvc, log.With("component", "nodes"))
	ngCtl := nodegroups.New(eksSvc, ec2Svc, kube, nodeCtl.Wake, log.With("component", "nodegroups"))
	nodeCtl.HostLacks, ngCtl.HostLacks = hostLacks, hostLacks
	metadata := &imds.Handler{
		Instances:    metadataInstances(ec2Svc),
		IssueSession: iamSvc.IssueRoleSession,
		Options:      metadataOptions,
		Now:          now,
		Log:          log.With("component", "imds"),
	}
	placer := &placement.Placer{EC2: ec2Svc, LocalDir: filepath.Join(dataDir, "instances"), Log: log.With("component", "placement")}
	// Set before anything serves: a launch larger than every host of its
	// zone is refused, not left to crash-loop its kubelet.
	ec2Svc.MaxVCPUs = placer.MaxVCPUs
	firewall := newSecurityGroups(ec2Svc, eksSvc, cfg.Slot, log.With("component", "security-groups"))
	var agentWork *agentInstances
	if agentsLn != nil {
		placer.Hosts = op.agents.ListHosts
		op.agents.Removed = deleteNodesOfHost(ec2Svc, nodeCtl)
		nodeCtl.Place = placer.Place
		// keks's host reaches other hosts' nodes from its control-plane
		// range (API servers on the host runtime) or, with none there, from
		// its registry address (the egress proxy that API servers in a
		// management cluster dial through); agent hosts route both back.
		keksSources := []netip.Prefix{cfg.Slot.ControlPlaneRange(), netip.PrefixFrom(cfg.Slot.RegistryAddress(), 32)}
		planner := &overlay.Planner{EC2: ec2Svc, Hosts: hostAddresses(op.agents.ListHosts), ControlPlane: keksSources}
		nodeCtl.Overlay, nodeCtl.OverlaySource = planner.For, keksSources
		agentWork = &agentInstances{ec2: ec2Svc, nodes: nodeCtl, metadata: metadata, poll: assignmentsRecheck, network: planner.For,
			firewalls: firewall.Firewalls}
		agentsLn.serveInstances(agentWork)
	}
	ngCtl.EvictionDeadline = cfg.EvictionDeadline
	// Auto Scaling's groups are the node groups' (internal/autoscaling);
	// the controller records their scaling activities.
	asSvc := &autoscaling.Service{Store: st, EKS: eksSvc, EC2: ec2Svc, Now: now}
	ngCtl.Activities = asSvc
	ebsCtl := ebs.New(ec2Svc, ebs.Config{Dir: filepath.Join(dataDir, "ebs")}, log.With("component", "ebs"))
	if agentsLn != nil && agentsLn.api.instances != nil {
		agentsLn.serveVolumes(&agentVolumes{ec2: ec2Svc, dir: filepath.Join(dataDir, "ebs"), log: log.With("component", "agents")})
	}
	elbCtl := elb.New(eksSvc, st, kube, cfg.Slot.LoadBalancerPool(), filepath.Join(dataDir, "elb"), exe, log.With("component", "elb"))
	ecrSvc := &ecr.Service{Store: st, Host: strings.TrimSuffix(cfg.RegistryAddress, ":443"), Region: cfg.Region,
		InstanceLive: func(ctx context.Context, id string) bool {
			in, err := ec2Svc.GetInstance(ctx, id)
			return err == nil && (in.State == ec2.StateRunning || in.State == ec2.StatePending)
		},
		InstanceRole: func(ctx context.Context, id string) (string, string, error) {
			in, err := ec2Svc.GetInstance(ctx, id)
			if err != nil {
				return "", "", err
			}
			return in.RoleARN, in.OwnerID, nil
		}}
	if err := ecrSvc.Open(ctx); err != nil {
		return fmt.Errorf("open ECR: %w", err)
	}
	logsSvc := &cwlogs.Service{Store: st, Dir: filepath.Join(dataDir, "cloudwatch"), Now: now, Log: log.With("component", "logs")}
	if err := logsSvc.Open(ctx); err != nil {
		return fmt.Errorf("open CloudWatch Logs: %w", err)
	}
	kmsMaster, err := kms.LoadOrCreateMasterKey(filepath.Join(dataDir, "kms-master.key"))
	if err != nil {
		return fmt.Errorf("open KMS: %w", err)
	}
	kmsSvc := &kms.Service{Store: st, MasterKey: kmsMaster, Now: now}
	eksSvc.KMSKeyState = func(ctx context.Context, region, account, keyARN string) (string, error) {
		k, err := kmsSvc.DescribeKey(ctx, kms.Scope{Region: region, Account: account}, keyARN)
		if err != nil {
			return "", err
		}
		return k.State, nil
	}
	ec2Svc.KMSKey = func(ctx context.Context, region, account, keyID string) (string, bool, error) {
		r, err := kmsSvc.Resolve(ctx, kms.Scope{Region: region, Account: account}, keyID)
		if err != nil {
			return "", false, err
		}
		return r.Key.ARN, r.Key.Enabled(), nil
	}
	addonCtl := addons.New(eksSvc, kube, ecrSvc.Host, log.With("component", "addons"))
	addonCtl.AWSEndpoint = issuerURL(cfg.RegistryAddress)
	for _, f := range k8sbuild.SnapshotCRDs {
		addonCtl.SnapshotCRDs = append(addonCtl.SnapshotCRDs, k8sbuild.Dir(cfg.K8sDir).AddonProgramFile(k8sbuild.SnapshotController, f))
	}
	for _, f := range k8sbuild.KarpenterCRDs {
		addonCtl.KarpenterCRDs = append(addonCtl.KarpenterCRDs, k8sbuild.Dir(cfg.K8sDir).AddonProgramFile(k8sbuild.Karpenter, f))
	}
	if ca, err := os.ReadFile(caFile); err == nil {
		addonCtl.CA = string(ca)
	}
	if cfg.RegistryAddress != "" {
		nodeCtl.SetRegistry(ecrSvc.Host)
	}

	az := &authz.Authorizer{IAM: iamSvc, Now: now}
	cfn, err := newCloudFormation(st, iamSvc, cfg.Listen, caFile, now, log.With("component", "cloudformation"))
	if err != nil {
		return err
	}
	insightsSvc := insights.New(st, eksSvc, insights.KubeSource{Client: kube.For, APIServers: cp.APIServerConfigs}, log.With("component", "insights"))
	insightsSvc.Audit = insights.AuditLog{Dir: cp.LogDir} // clusters with audit logging on: who used deprecated APIs
	router := &awsproto.Router{Keys: iamSvc, Authz: az, Log: log, Now: now, Region: cfg.Region, Services: map[string]*awsproto.Service{}}
	for _, s := range []*awsproto.Service{
		(&eksapi.Handler{EKS: eksSvc, KMS: kmsSvc, Insights: insightsSvc}).Service(),
		(&iamapi.Handler{IAM: iamSvc}).Service(),
		(&stsapi.Handler{IAM: iamSvc}).Service(),
		(&ec2api.Handler{EC2: ec2Svc, SubnetInUse: subnetInUse(eksSvc), InstancesChanged: nodeCtl.Wake,
			InstanceProfile: iamSvc.InstanceProfileRole,
			RoleARN: func(ctx context.Context, name string) (string, error) {
				r, err := iamSvc.GetRole(ctx, name)
				if err != nil {
					return "", err
				}
				return r.ARN, nil
			}}).Service(),
		(&ecrapi.Handler{ECR: ecrSvc}).Service(),
		(&kmsapi.Handler{KMS: kmsSvc}).Service(),
		(&logsapi.Handler{Logs: logsSvc}).Service(),
		(&ssmapi.Handler{SSM: &ssm.Service{Store: st, Now: now}}).Service(),
		(&eksauthapi.Handler{Auth: &eksauth.Service{EKS: eksSvc, IAM: iamSvc, Now: now,
			SigningKey: func(ctx context.Context, clusterUID string) (crypto.PublicKey, error) {
				sec, err := controlplane.LoadSecrets(ctx, st, clusterUID)
				if err != nil {
					return nil, err
				}
				k, err := pki.ParseKey(sec.ServiceAcctKey)
				if err != nil {
					return nil, err
				}
				return k.Public(), nil
			}}}).Service(),
		op.service(),
		cfn.api,
		(&autoscalingapi.Handler{AS: asSvc}).Service(),
	} {
		router.Services[s.Name] = s
	}
	mux := http.NewServeMux()
	oidc := &authn.OIDC{Lookup: func(ctx context.Context, id string) (*eks.Cluster, []byte, error) {
		all, err := eksSvc.ListAllClusters(ctx)
		if err != nil {
			return nil, nil, err
		}
		for i := range all {
			if all[i].ID == id {
				sec, err := controlplane.LoadSecrets(ctx, st, all[i].UID)
				if err != nil {
					return nil, nil, err
				}
				return &all[i], sec.ServiceAcctKey, nil
			}
		}
		return nil, nil, errors.New("no such cluster")
	}}
	mux.Handle("GET /id/", oidc)
	mux.Handle("/", router)
	passwordFile, err := ensureAdminPassword(ctx, iamSvc, dataDir)
	if err != nil {
		return err
	}
	consoleHandler, err := newConsole(st, iamSvc, cfg.Listen, caFile, cfg.Region, now, log.With("component", "console"))
	if err != nil {
		return err
	}
	mux.Handle(console.Prefix+"/", consoleHandler)
	mux.Handle("GET "+console.Prefix, http.RedirectHandler(console.Prefix+"/", http.StatusSeeOther))
	var reg *registry.Registry
	var builder *imageBuilder
	k8sDir := k8sbuild.Dir(cfg.K8sDir)
	platformImages := images.Platform(images.Sources{CoreDNS: k8sDir.CoreDNSPath(), CoreDNSTag: k8sbuild.CoreDNSAddonVersion,
		Busybox: images.BusyboxBinary(k8sDir.BusyboxPath()), Programs: filepath.Dir(exe), AgentTag: eks.PodIdentityAgentVersion,
		Upstream: upstreamImages(k8sDir), EBSCSIDriver: k8sDir.AddonProgramPath(k8sbuild.EBSCSIDriver), EBSCSIDriverImage: k8sbuild.EBSCSIDriver.Image()})
	if cfg.RegistryAddress != "" {
		if reg, err = registry.New(filepath.Join(dataDir, "registry"), ecrSvc.Check, log.With("component", "registry")); err != nil {
			return err
		}
		reg.Authorize = registryAuthorizer(az, ecrSvc, cfg.Region)
		reg.Repositories = ecrSvc
		builder = &imageBuilder{k8s: k8sbuild.Dir(cfg.K8sDir), caFile: caFile, platform: platformImages, host: ecrSvc.Host, reg: reg, log: log.With("component", "images")}
		reg.Public = builder.publicRepositories()
		reg.Build = builder.build
		mux.Handle("/v2/", reg)
	}

	var srv *http.Server
	var serveErr chan error
	if rep != nil {
		// The replica's front door has agentWork all along: it now serves
		// keks itself, with the leader's certificate.
		srv, serveErr = rep.srv, rep.serveErr
		rep.cert.Store(tlsCert)
		rep.door.serve(mux)
	} else {
		ln, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
		}
		srv = &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{*tlsCert}, MinVersion: tls.VersionTLS12},
			ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		serveErr = make(chan error, 8)
		go func() { serveErr <- srv.ServeTLS(ln, "", "") }()
	}
	// The registry address, which every instance and pod reaches, serves
	// the registry and the clusters' OIDC discovery documents and nothing
	// else: the AWS APIs answer on the listen address.
	// HTTP/1.1 only: go-containerregistry's registry holds one lock while it
	// reads an upload's body, so a client pushing layers side by side over
	// one HTTP/2 connection (whose flow-control window they share) stalls.
	regTLS := &tls.Config{Certificates: []tls.Certificate{*tlsCert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
	regSrv := &http.Server{Handler: instanceFacing(reg, oidc, router), TLSConfig: regTLS, TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ReadHeaderTimeout: srv.ReadHeaderTimeout, ErrorLog: srv.ErrorLog}
	if cfg.RegistryAddress != "" {
		regLn, err := listenRegistry(cfg.RegistryAddress)
		if err != nil {
			return err
		}
		go func() { serveErr <- regSrv.ServeTLS(regLn, "", "") }()
	}
	egressSrv := &http.Server{}
	if cfg.ControlPlaneRuntime == controlplane.RuntimeKubernetes && egressHost(cfg) != "" {
		if egressSrv, err = serveEgress(egressHost(cfg), *tlsCert, cp, serveErr, log); err != nil {
			return err
		}
	}
	agentsSrv := &http.Server{}
	if agentsLn != nil {
		agentsSrv = agentsLn.srv
		go func() { serveErr <- agentsSrv.ServeTLS(agentsLn.ln, "", "") }()
		log.Info("serving agents", "url", agentsLn.url)
	}
	imdsSrv := imds.NewServer(metadata, srv.ErrorLog)
	if cfg.MetadataAddress != "" {
		imdsLn, err := imds.Listen(cfg.MetadataAddress)
		if err != nil {
			return err
		}
		go func() { serveErr <- imdsSrv.Serve(imdsLn) }()
	}
	if passwordFile != "" {
		log.Info("console sign-in", "url", baseURL+console.Prefix+"/", "user", iam.AdminUserName, "account", boot.AccountID, "password", passwordFile)
	}
	log.Info("keks serving", "endpoint", baseURL, "console", baseURL+console.Prefix+"/", "region", cfg.Region, "account", boot.AccountID, "data", dataDir, "slot", int(cfg.Slot))
	if cfg.Started != nil {
		cfg.Started(&Models{IAM: iamSvc, EC2: ec2Svc, EKS: eksSvc, ECR: ecrSvc, Logs: logsSvc, Insights: insightsSvc, Bootstrap: boot, CAFile: caFile, Endpoint: baseURL, AgentsURL: op.agentsURL})
	}

	// Every background task has this owner: shutdown cancels them and waits.
	cpCtx, stopCP := context.WithCancel(ctx)
	var tasks sync.WaitGroup
	run := func(task func(context.Context)) {
		tasks.Add(1)
		go func() { defer tasks.Done(); task(cpCtx) }()
	}
	if agentWork != nil {
		for _, prefix := range assignmentSources {
			run(func(ctx context.Context) { wakeOnChange(ctx, st, prefix, agentWork.changed.fire) })
		}
	}
	if reg != nil {
		run(func(ctx context.Context) {
			if err := images.Seed(ctx, ecrSvc.Host, reg.Transport(), platformImages, log.With("component", "images")); err != nil && ctx.Err() == nil {
				log.Error("seed platform images", "err", err)
			}
			if err := builder.refresh(ctx); err != nil && ctx.Err() == nil {
				log.Error("refresh test images", "err", err)
			}
		})
	}
	cpDone := make(chan error, 1)
	if cfg.NoReconcile {
		log.Warn("reconcilers are off: clusters will stay CREATING")
	} else {
		run(func(ctx context.Context) { cpDone <- cp.Run(ctx) })
		run(func(ctx context.Context) { watchReplicas(ctx, st, cp.EnqueueAll) })
		run(access.awsAuth.Run)
		run(func(ctx context.Context) { access.watchEntries(ctx, st, eks.AccessEntryPrefix) })
		run(func(ctx context.Context) { access.watchEntries(ctx, st, eks.PodIdentityAssociationPrefix) })
		// The webhooks' profiles file is rewritten when a profile changes.
		run(func(ctx context.Context) { access.watchEntries(ctx, st, eks.FargateProfilePrefix) })
		fargateCtl := fargatescheduler.New(fargatescheduler.Config{EKS: eksSvc, EC2: ec2Svc, Kube: kube, Log: log.With("component", "fargate-scheduler"),
			Served: cp.FargateProfilesServed, InstancesChanged: nodeCtl.Wake, Logs: logsSvc, DataDir: filepath.Join(dataDir, "instances")})
		run(func(ctx context.Context) { _ = fargateCtl.Run(ctx) })
		run(func(ctx context.Context) { _ = nodeCtl.Run(ctx) })
		run(func(ctx context.Context) { _ = ngCtl.Run(ctx) })
		run(func(ctx context.Context) { _ = addonCtl.Run(ctx) })
		run(func(ctx context.Context) { _ = elbCtl.Run(ctx) })
		run(func(ctx context.Context) { _ = ebsCtl.Run(ctx) })
		// Control-plane logs of the types a cluster enables, to CloudWatch Logs.
		shipper := cplogs.New(eksSvc.ListAllClusters, logsSvc, cp.LogDir, filepath.Join(dataDir, "cplogs-places.json"),
			log.With("component", "cplogs"))
		run(func(ctx context.Context) { _ = shipper.Run(ctx) })
		// EKS's automatic upgrades when a version's support ends.
		lifecycle := versionlifecycle.New(eksSvc, insightsSvc, log.With("component", "version-lifecycle"))
		run(func(ctx context.Context) { _ = lifecycle.Run(ctx) })
		// Reconcilers pass at an idle pace; a change in the store wakes them at once.
		run(func(ctx context.Context) {
			wakeOnChange(ctx, st, "eks/", ngCtl.Wake, addonCtl.Wake, nodeCtl.Wake, shipper.Wake, fargateCtl.Wake, lifecycle.Wake)
		})
		run(func(ctx context.Context) {
			wakeOnChange(ctx, st, ec2.InstancePrefix, ngCtl.Wake, nodeCtl.Wake, ebsCtl.Wake, fargateCtl.Wake)
		})
		run(func(ctx context.Context) { wakeOnChange(ctx, st, ec2.EBSPrefix, ebsCtl.Wake) })
		runSecurityGroups(run, st, firewall)
		// CloudFormation's stacks move on (its engine acts through the APIs).
		run(cfn.run)
		run(cfn.watch)
	}
	run(func(ctx context.Context) { _ = insightsSvc.Run(ctx) }) // refreshes insights asked for, off the request path
	run(func(ctx context.Context) { pruneSessions(ctx, iamSvc, log) })
	run(iamSvc.Run) // writes access keys' and roles' last use
	// CloudWatch Logs' retention and byte caps.
	run(logsSvc.Run)
	run(func(ctx context.Context) {
		every(ctx, time.Hour, func() {
			if err := kmsSvc.PurgeDeleted(ctx); err != nil {
				log.Warn("purge deleted KMS keys", "err", err)
			}
		})
	})
	run(func(ctx context.Context) { rotateLogs(ctx, dataDir, log) })
	if cfg.DemoCluster != "" && !cfg.NoReconcile {
		d := &demo{name: cfg.DemoCluster, region: cfg.Region, registry: ecrSvc.Host, profile: cfg.Profile, keksExe: exe, kubeconfig: cfg.Kubeconfig, boot: boot,
			iam: iamSvc, ec2: ec2Svc, eks: eksSvc, log: log.With("component", "demo")}
		run(func(ctx context.Context) {
			if err := d.run(ctx); err != nil && ctx.Err() == nil {
				log.Error("demo cluster not ready", "err", err)
			}
		})
	}

	select {
	case <-ctx.Done():
	case err = <-serveErr:
	case err = <-cpDone:
	}
	// In order: no new requests (desired state stops changing), then the
	// reconcilers finish their passes, then the registry address goes; the
	// store closes and the locks are released last (deferred).
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	_ = regSrv.Shutdown(shutdownCtx)
	_ = imdsSrv.Shutdown(shutdownCtx)
	_ = egressSrv.Shutdown(shutdownCtx)
	_ = agentsSrv.Shutdown(shutdownCtx)
	stopCP()
	if !waitTimeout(&tasks, 15*time.Second) {
		log.Warn("background tasks still running after 15 s; stopping anyway")
	}
	kube.Close() // the clusters' informers, once nothing reads them
	if rep != nil && rep.lost() {
		// Another replica leads (or will once the lease is seen gone): the
		// host's addresses and the slot are its now.
		return rep.lostOr(err)
	}
	if cfg.MetadataAddress != "" {
		if err := imds.ReleaseAddress(cfg.MetadataAddress); err != nil {
			log.Warn("remove the metadata service address", "err", err)
		}
	}
	if cfg.RegistryAddress != "" {
		if err := network.DeleteLink(registryBridge); err != nil {
			log.Warn("remove the registry address", "err", err)
		}
	}
	if rep == nil || rep.alone() {
		releaseSlot(cfg, eksSvc, ec2Svc, log)
	}
	log.Info("keks stopped; clusters keep running")
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// releaseSlot gives the server's host slot back when nothing of it runs any
// more: no cluster, no instance. Otherwise the slot stays held, so that what
// runs keeps its addresses.
func releaseSlot(cfg Config, e *eks.Service, ec2Svc *ec2.Service, log *slog.Logger) {
	if cfg.SlotRegistry == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	clusters, err := e.ListAllClusters(ctx)
	if err != nil || len(clusters) > 0 {
		return
	}
	instances, err := ec2Svc.Instances(ctx, cfg.Region)
	if err != nil {
		return
	}
	for _, in := range instances {
		if in.State != ec2.StateTerminated {
			return
		}
	}
	// The namespace of a slot other than 0 is removed by the process that
	// made it, outside, once this one is gone (hostslot.Slot.Enter).
	if err := cfg.Slot.Free(cfg.SlotRegistry); err != nil {
		log.Warn("give the host slot back", "slot", cfg.Slot, "err", err)
		return
	}
	log.Info("nothing left running: host slot given back", "slot", int(cfg.Slot))
}

func subnetInUse(e *eks.Service) func(string) (bool, error) {
	return func(id string) (bool, error) {
		all, err := e.ListAllClusters(context.Background())
		if err != nil {
			return false, err
		}
		for _, c := range all {
			for _, s := range c.Spec.SubnetIDs {
				if s == id {
					return true, nil
				}
			}
		}
		return false, nil
	}
}

// every runs fn each period until ctx ends (housekeeping: sessions, logs).
func every(ctx context.Context, period time.Duration, fn func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

func pruneSessions(ctx context.Context, s *iam.Service, log *slog.Logger) {
	every(ctx, 10*time.Minute, func() {
		if err := s.PruneSessions(ctx); err != nil {
			log.Warn("prune expired sessions", "err", err)
		}
	})
}

// waitTimeout waits for wg, at most d; it reports whether wg finished.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// metadataOptions are every instance's metadata options until instances
// carry their own: IMDSv2 only, with a PUT response hop limit of 1, so that
// pods behind their node never get a token, nor the node role's keys.
func metadataOptions(*ec2.Instance) (hopLimit int, tokensRequired bool) { return 1, true }
