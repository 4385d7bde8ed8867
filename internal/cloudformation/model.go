// Package cloudformation is keks's CloudFormation: stacks, their resources
// and events in the store, templates (JSON or YAML) and their intrinsic
// functions, and the engine that drives each stack operation through the
// resource providers of internal/cloudformation/resources, acting as the
// stack's caller.
package cloudformation

import (
	"net/http"
	"time"

	"github.com/keksdev/keks/internal/awserr"
)

// CloudFormation's error codes.
const (
	CodeValidation          = "ValidationError"
	CodeAlreadyExists       = "AlreadyExistsException"
	CodeInsufficientCaps    = "InsufficientCapabilitiesException"
	CodeTokenAlreadyExists  = "TokenAlreadyExistsException"
	CodeLimitExceeded       = "LimitExceededException"
	CodeStackNotFound       = "StackNotFoundException"
	CodeOperationInProgress = "OperationInProgressException"
	CodeInvalidOperation    = "InvalidOperationException"
)

func init() {
	awserr.RegisterStatus(CodeAlreadyExists, http.StatusBadRequest)
}

// Stack statuses.
const (
	CreateInProgress                = "CREATE_IN_PROGRESS"
	CreateFailed                    = "CREATE_FAILED"
	CreateComplete                  = "CREATE_COMPLETE"
	RollbackInProgress              = "ROLLBACK_IN_PROGRESS"
	RollbackFailed                  = "ROLLBACK_FAILED"
	RollbackComplete                = "ROLLBACK_COMPLETE"
	DeleteInProgress                = "DELETE_IN_PROGRESS"
	DeleteFailed                    = "DELETE_FAILED"
	DeleteComplete                  = "DELETE_COMPLETE"
	DeleteSkipped                   = "DELETE_SKIPPED"
	UpdateInProgress                = "UPDATE_IN_PROGRESS"
	UpdateCompleteCleanupInProgress = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
	UpdateComplete                  = "UPDATE_COMPLETE"
	UpdateFailed                    = "UPDATE_FAILED"
	UpdateRollbackInProgress        = "UPDATE_ROLLBACK_IN_PROGRESS"
	UpdateRollbackFailed            = "UPDATE_ROLLBACK_FAILED"
	UpdateRollbackCleanup           = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
	UpdateRollbackComplete          = "UPDATE_ROLLBACK_COMPLETE"
)

// AllStatuses are every stack status, for ListStacks' filter.
var AllStatuses = []string{CreateInProgress, CreateFailed, CreateComplete, RollbackInProgress, RollbackFailed, RollbackComplete,
	DeleteInProgress, DeleteFailed, DeleteComplete, UpdateInProgress, UpdateCompleteCleanupInProgress, UpdateComplete, "UPDATE_FAILED",
	UpdateRollbackInProgress, UpdateRollbackFailed, UpdateRollbackCleanup, UpdateRollbackComplete, "REVIEW_IN_PROGRESS",
	"IMPORT_IN_PROGRESS", "IMPORT_COMPLETE", "IMPORT_ROLLBACK_IN_PROGRESS", "IMPORT_ROLLBACK_FAILED", "IMPORT_ROLLBACK_COMPLETE"}

// InProgress says whether a stack status is one the engine drives.
func InProgress(status string) bool {
	switch status {
	case CreateInProgress, RollbackInProgress, DeleteInProgress, UpdateInProgress, UpdateCompleteCleanupInProgress,
		UpdateRollbackInProgress, UpdateRollbackCleanup:
		return true
	}
	return false
}

// Stack is one stack, live or deleted.
type Stack struct {
	ID           string           `json:"id"` // arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>
	UUID         string           `json:"uuid"`
	Name         string           `json:"name"`
	Region       string           `json:"region"`
	Account      string           `json:"account"`
	Status       string           `json:"status"`
	StatusReason string           `json:"statusReason,omitempty"`
	Description  string           `json:"description,omitempty"`
	Created      time.Time        `json:"created"`
	Updated      time.Time        `json:"updated,omitzero"`
	Deleted      time.Time        `json:"deleted,omitzero"`
	Template     string           `json:"template"`
	Parameters   []ParameterValue `json:"parameters,omitempty"`
	Capabilities []string         `json:"capabilities,omitempty"`
	Tags         []Tag            `json:"tags,omitempty"`
	OnFailure    string           `json:"onFailure"` // ROLLBACK, DELETE, DO_NOTHING
	RoleARN      string           `json:"roleArn,omitempty"`
	Timeout      int              `json:"timeoutInMinutes,omitempty"`
	Outputs      []Output         `json:"outputs,omitempty"`
	Imports      []string         `json:"imports,omitempty"` // the exports its template imports
	Caller       Caller           `json:"caller"`
	// Op counts the stack's operations; a resource done in this one carries it.
	Op      int       `json:"op"`
	OpStart time.Time `json:"opStart"`
	// Token is the ClientRequestToken of the operation in progress or last.
	Token string `json:"token,omitempty"`
	// TokenOp is the operation Token came with (CreateStack, UpdateStack, DeleteStack).
	TokenOp string `json:"tokenOp,omitempty"`
	// Previous is the template and parameters before the update in
	// progress, which an update rollback returns to.
	Previous *Previous `json:"previous,omitempty"`
	// TerminationProtection refuses DeleteStack.
	TerminationProtection bool `json:"terminationProtection,omitempty"`
}

// Previous is what a stack was before an update.
type Previous struct {
	Template   string           `json:"template"`
	Parameters []ParameterValue `json:"parameters,omitempty"`
	Outputs    []Output         `json:"outputs,omitempty"`
}

// Caller is who a stack's operations act as: the principal that asked,
// from which keks mints forward access sessions again when it needs them
// (after a restart too). Nothing secret.
type Caller struct {
	ARN           string            `json:"arn"`
	UserID        string            `json:"userId"`
	Account       string            `json:"account"`
	SessionTags   map[string]string `json:"sessionTags,omitempty"`
	SessionPolicy string            `json:"sessionPolicy,omitempty"`
}

// ParameterValue is a stack's value of a template parameter.
type ParameterValue struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	NoEcho bool   `json:"noEcho,omitempty"`
}

// Tag is a stack tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Output is a resolved stack output.
type Output struct {
	Key         string `json:"key"`
	Value       string `json:"value"`
	Description string `json:"description,omitempty"`
	ExportName  string `json:"exportName,omitempty"`
}

// Resource is one resource of a stack.
type Resource struct {
	StackUUID    string            `json:"stackUuid"`
	LogicalID    string            `json:"logicalId"`
	Type         string            `json:"type"`
	PhysicalID   string            `json:"physicalId,omitempty"`
	Status       string            `json:"status,omitempty"`
	StatusReason string            `json:"statusReason,omitempty"`
	Updated      time.Time         `json:"updated"`
	Properties   map[string]any    `json:"properties,omitempty"`
	Attributes   map[string]any    `json:"attributes,omitempty"`
	State        map[string]string `json:"state,omitempty"`
	// Op is the stack operation the resource last acted in.
	Op int `json:"op"`
	// Pending is the provider operation started and not yet finished
	// (Create, Update, Delete), which the engine waits on.
	Pending string `json:"pending,omitempty"`
	// PendingProperties are the properties the pending Create or Update
	// applies, recorded on completion.
	PendingProperties map[string]any `json:"pendingProperties,omitempty"`
	// Token is the idempotency token of the current operation on it.
	Token string `json:"token,omitempty"`
	// Old is the physical resource a replacement superseded, deleted at
	// the update's cleanup (or, after an update rollback swapped them
	// back, the replacement).
	Old *Physical `json:"old,omitempty"`
	// Started is set once the pending operation's provider call returned:
	// until then a restart calls it again (with the same Token).
	Started bool `json:"started,omitempty"`
	// DeletionPolicy is the template's for it (Retain keeps it).
	DeletionPolicy string `json:"deletionPolicy,omitempty"`
	// DependsOn are the resources it needs, as of the template that made it.
	DependsOn []string `json:"dependsOn,omitempty"`
}

// Physical is one physical resource a record may hold besides its current one.
type Physical struct {
	Type       string            `json:"type"`
	PhysicalID string            `json:"physicalId"`
	Properties map[string]any    `json:"properties,omitempty"`
	Attributes map[string]any    `json:"attributes,omitempty"`
	State      map[string]string `json:"state,omitempty"`
	// Deleting is set once its Delete started.
	Deleting bool `json:"deleting,omitempty"`
}

// Event is one stack event.
type Event struct {
	ID           string    `json:"id"`
	StackID      string    `json:"stackId"`
	StackName    string    `json:"stackName"`
	LogicalID    string    `json:"logicalId"`
	PhysicalID   string    `json:"physicalId"`
	Type         string    `json:"type"`
	Time         time.Time `json:"time"`
	Status       string    `json:"status"`
	StatusReason string    `json:"statusReason,omitempty"`
	Properties   string    `json:"properties,omitempty"`
	Token        string    `json:"token,omitempty"`
}

// Store layout.
const (
	// Prefix holds every CloudFormation record; changes under it wake the engine.
	Prefix         = "cloudformation/"
	stacksPrefix   = Prefix + "stacks/"
	resourcePrefix = Prefix + "resources/"
	eventPrefix    = Prefix + "events/"
)

func stackKey(uuid string) string               { return stacksPrefix + uuid }
func resourcesOf(uuid string) string            { return resourcePrefix + uuid + "/" }
func resourceKey(uuid, logicalID string) string { return resourcesOf(uuid) + logicalID }
func eventsOf(uuid string) string               { return eventPrefix + uuid + "/" }
