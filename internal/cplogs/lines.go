package cplogs

import (
	"bytes"
	"encoding/json"
	"time"
)

// maxRead bounds what one pass reads of one file, so a burst is shipped
// over a few passes rather than held in memory at once.
const maxRead = 4 << 20

// completeLines splits data into its complete lines and says how many
// bytes they take; a line still being written waits for the next pass.
func completeLines(data []byte) (lines [][]byte, used int) {
	for {
		i := bytes.IndexByte(data[used:], '\n')
		if i < 0 {
			return lines, used
		}
		if line := bytes.TrimRight(data[used:used+i], "\r"); len(line) > 0 {
			lines = append(lines, line)
		}
		used += i + 1
	}
}

// timestampOf is when a line was logged: an audit event's stageTimestamp,
// or a klog header's time (Lmmdd hh:mm:ss.uuuuuu, in the year that puts it
// closest before now); now when the line has neither.
func timestampOf(typ string, line []byte, now time.Time) time.Time {
	if typ == "audit" {
		var ev struct {
			StageTimestamp time.Time `json:"stageTimestamp"`
		}
		if json.Unmarshal(line, &ev) == nil && !ev.StageTimestamp.IsZero() {
			return ev.StageTimestamp
		}
		return now
	}
	if len(line) < 21 || !bytes.ContainsAny(line[:1], "IWEF") {
		return now
	}
	t, err := time.ParseInLocation("0102 15:04:05.000000", string(line[1:21]), time.UTC)
	if err != nil {
		return now
	}
	t = t.AddDate(now.Year(), 0, 0)
	if t.After(now.Add(time.Hour)) {
		t = t.AddDate(-1, 0, 0)
	}
	return t
}
