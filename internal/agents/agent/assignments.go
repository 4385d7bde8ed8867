package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/keksdev/keks/internal/agents"
)

// assignmentsWait is how long one long poll waits for a change.
const assignmentsWait = 30 * time.Second

// watchAssignments long-polls keks for the host's assignments and hands
// each new revision to out, dropping one the converger has not taken yet:
// only the newest matters. It returns at ctx's end, or when keks no longer
// knows the host.
func watchAssignments(ctx context.Context, id *Identity, retry time.Duration, log *slog.Logger, out chan *agents.Assignments) error {
	// The long poll outlasts the 30 s the other calls may take.
	client := &http.Client{Transport: id.client.Transport}
	since := ""
	healthy := true
	for ctx.Err() == nil {
		as, err := pollAssignments(ctx, client, id.Server, since)
		var refused *refusal
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.As(err, &refused) && refused.Code == agents.CodeUnknownHost:
			return fmt.Errorf("%w (%s)", errUnknownHost, refused.Message)
		case err != nil:
			if healthy {
				log.Warn("waiting for keks to answer with this host's assignments", "err", err, "retry", retry)
			}
			healthy = false
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(retry):
			}
			continue
		}
		if !healthy {
			log.Info("assignments taken again", "revision", as.Revision)
			healthy = true
		}
		if as == nil || (as.Revision == since && since != "") {
			continue // the wait ended without a change
		}
		since = as.Revision
		select {
		case <-out:
		default:
		}
		out <- as
	}
	return nil
}

// pollAssignments asks for the host's assignments once they differ from
// revision since ("" answers at once); nil means unchanged.
func pollAssignments(ctx context.Context, client *http.Client, server, since string) (*agents.Assignments, error) {
	ctx, cancel := context.WithTimeout(ctx, assignmentsWait+15*time.Second)
	defer cancel()
	q := url.Values{"wait": {strconv.Itoa(int(assignmentsWait / time.Second))}}
	if since != "" {
		q.Set("since", since)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, server+agents.AssignmentsPath+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reach keks at %s: %w", server, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("read keks's assignments: %w", err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		return nil, nil
	default:
		return nil, refusalOf(resp, data)
	}
	var as agents.Assignments
	if err := json.Unmarshal(data, &as); err != nil {
		return nil, fmt.Errorf("keks's assignments: %w", err)
	}
	return &as, nil
}

// reportInstance posts an instance's state to keks.
func reportInstance(ctx context.Context, id *Identity, st agents.InstanceStatus) error {
	return call(ctx, id.client, id.Server, agents.InstanceStatusPath, st, nil)
}
