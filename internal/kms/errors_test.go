package kms

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/keksdev/keks/internal/awserr"
)

// TestErrorsCarryKMSStatuses: KMS's NotFoundException is a 400 even where
// awserr's shared table says 404 for it (EKS's NotFoundException).
func TestErrorsCarryKMSStatuses(t *testing.T) {
	awserr.RegisterStatus(CodeNotFound, http.StatusNotFound) // as internal/eks does
	s, sc, _ := newTestService(t)
	_, err := s.DescribeKey(context.Background(), sc, "alias/none")
	var e *awserr.Error
	if !errors.As(err, &e) || e.Code != CodeNotFound || e.Status != http.StatusBadRequest {
		t.Fatalf("not found: %#v", err)
	}
	if st := Errorf(CodeDryRun, "x").Status; st != http.StatusPreconditionFailed {
		t.Fatalf("dry run status %d", st)
	}
}
