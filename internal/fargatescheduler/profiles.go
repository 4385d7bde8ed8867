package fargatescheduler

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/keksdev/keks/internal/authn"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/fargate"
)

// profilesPass moves new profiles to ACTIVE and finishes deletions; it
// says whether one is still in flight.
func (s *clusterPass) profilesPass(ctx context.Context) (busy bool) {
	for i := range s.profiles {
		fp := &s.profiles[i]
		var err error
		switch fp.Status {
		case eks.FargateProfileCreating:
			busy = true
			err = s.activate(ctx, fp)
		case eks.FargateProfileDeleting:
			busy = true
			err = s.finishDeletion(ctx, fp)
		}
		if err != nil && ctx.Err() == nil {
			s.c.cfg.Log.Warn("fargate profile not converged", "cluster", s.cl.Name, "profile", fp.Name, "err", err)
		}
	}
	return busy
}

// activate makes a profile ACTIVE once its pod execution role can join the
// cluster (in CONFIG_MAP mode EKS maps it in aws-auth, as here) and the
// webhooks match pods to it.
func (s *clusterPass) activate(ctx context.Context, fp *eks.FargateProfile) error {
	if s.cl.Spec.AuthenticationMode == eks.AuthModeConfigMap || s.cl.Spec.AuthenticationMode == "" {
		if err := s.mapRoleInAWSAuth(ctx, fp.PodExecutionRoleARN); err != nil {
			return fmt.Errorf("map the pod execution role in aws-auth: %w", err)
		}
	}
	if s.c.cfg.Served != nil && !s.c.cfg.Served(s.cl.UID, fp.Name) {
		return nil // the next pass, once the control plane has written it
	}
	_, err := s.c.cfg.EKS.SetFargateProfile(ctx, fp, func(p *eks.FargateProfile) error {
		if p.Status == eks.FargateProfileCreating {
			p.Status = eks.FargateProfileActive
		}
		return nil
	})
	if err == nil {
		s.c.cfg.Log.Info("fargate profile active", "cluster", s.cl.Name, "profile", fp.Name)
	}
	return err
}

// fargateRoleMapping is what EKS adds to aws-auth for a profile's role.
func fargateRoleMapping(roleARN string) authn.RoleMapping {
	return authn.RoleMapping{RoleARN: roleARN, Username: "system:node:{{SessionName}}",
		Groups: []string{"system:bootstrappers", "system:nodes", "system:node-proxier"}}
}

// mapRoleInAWSAuth adds the role's mapping to kube-system/aws-auth unless
// the role is mapped already.
func (s *clusterPass) mapRoleInAWSAuth(ctx context.Context, roleARN string) error {
	cms := s.cs.CoreV1().ConfigMaps("kube-system")
	cm, err := cms.Get(ctx, "aws-auth", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		cm = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system"}}
		err = nil
	}
	if err != nil {
		return err
	}
	auth := authn.ParseAWSAuth(cm.Data)
	if slices.ContainsFunc(auth.MapRoles, func(m authn.RoleMapping) bool { return strings.EqualFold(m.RoleARN, roleARN) }) {
		return nil
	}
	roles := append(auth.MapRoles, fargateRoleMapping(roleARN))
	data, err := yaml.Marshal(roles)
	if err != nil {
		return err
	}
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	cm.Data["mapRoles"] = string(data)
	if cm.ResourceVersion == "" {
		_, err = cms.Create(ctx, cm, metav1.CreateOptions{})
	} else {
		_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
	}
	return err
}

// finishDeletion stops the profile's pods (their controllers make new
// ones, which another profile may take or which stay Pending) and removes
// the profile once none of its nodes is left.
func (s *clusterPass) finishDeletion(ctx context.Context, fp *eks.FargateProfile) error {
	for _, p := range s.fargatePods() {
		if p.Labels[fargate.ProfileLabel] != fp.Name || p.DeletionTimestamp != nil {
			continue
		}
		if err := s.cs.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("stop pod %s/%s: %w", p.Namespace, p.Name, err)
		}
	}
	for _, in := range s.nodes {
		if in.Fargate.Profile == fp.Name {
			return nil // its pod is still going; the instance goes with it
		}
	}
	if err := s.c.cfg.EKS.ForgetFargateProfile(ctx, fp); err != nil {
		return err
	}
	s.c.cfg.Log.Info("fargate profile deleted", "cluster", s.cl.Name, "profile", fp.Name)
	return nil
}
