package awsproto

import (
	"encoding/json"
	"time"
)

// Epoch is a timestamp as the AWS JSON 1.1 protocol writes one by default:
// seconds since the Unix epoch as a number, to the millisecond.
type Epoch time.Time

func (e Epoch) MarshalJSON() ([]byte, error) {
	return json.Marshal(float64(time.Time(e).UnixMilli()) / 1000)
}
