// Package awsprototest gives wire packages' tests a front door of their
// own: one access key, and an authorizer that allows every call and
// remembers what it was asked.
package awsprototest

import (
	"context"
	"net/http"
	"sync"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
)

// Keys knows one access key, of the account's user admin.
type Keys struct{ ID, Secret, Account string }

// ResolveAccessKey answers for the one key, and as IAM does for any other.
func (k Keys) ResolveAccessKey(_ context.Context, id string) (string, string, awsproto.Principal, error) {
	if id != k.ID {
		return "", "", awsproto.Principal{}, awserr.Errorf(awserr.CodeInvalidClientTokenID, "The security token included in the request is invalid.")
	}
	return k.Secret, "", awsproto.Principal{Account: k.Account, ARN: "arn:aws:iam::" + k.Account + ":user/admin", UserID: "AIDATEST", AccessKeyID: id}, nil
}

// RecordingAuthorizer allows every call and keeps the checks it was asked
// about, by the operation's first action, so tests see what the front door
// would have decided on.
type RecordingAuthorizer struct {
	mu   sync.Mutex
	last map[string][]awsproto.Check
}

// Authorize records checks and allows.
func (a *RecordingAuthorizer) Authorize(_ context.Context, _ *awsproto.Call, _ *http.Request, _ string, checks []awsproto.Check) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.last == nil {
		a.last = map[string][]awsproto.Check{}
	}
	if len(checks) > 0 {
		a.last[checks[0].Action] = checks
	}
	return nil
}

// ChecksOf are the checks of the last call whose first action was action.
func (a *RecordingAuthorizer) ChecksOf(action string) []awsproto.Check {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last[action]
}
