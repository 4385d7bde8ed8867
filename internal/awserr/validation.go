package awserr

// The wording of AWS's request validator, which every service answers a
// refused member with ("1 validation error detected: ..."); each service
// keeps its own code and status for it.

// maxEcho bounds how much of a refused value a message repeats, so a
// megabyte-long member does not come back in the error.
const maxEcho = 256

// Echo is a refused value as a message repeats it: cut at maxEcho bytes.
func Echo(value string) string {
	if len(value) > maxEcho {
		return value[:maxEcho] + "..."
	}
	return value
}

// ConstraintMessage is the validator's message for a value that fails a
// member's constraint.
func ConstraintMessage(value, field, constraint string) string {
	return "1 validation error detected: Value '" + Echo(value) + "' at '" + field + "' failed to satisfy constraint: " + constraint
}

// NullMessage is the validator's message for a required member the
// request does not have.
func NullMessage(field string) string {
	return "1 validation error detected: Value null at '" + field + "' failed to satisfy constraint: Member must not be null"
}
