package eksctl

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Logger prints progress as eksctl does: a timestamp, an icon, two spaces.
// Verbosity follows eksctl's -v: 0 silent, 1 errors... 3 info (default),
// 4 debug (CloudFormation events as they come).
type Logger struct {
	Out       io.Writer
	Verbosity int
	Now       func() time.Time

	mu sync.Mutex
}

func (l *Logger) print(level int, icon, format string, args ...any) {
	if l == nil || l.Out == nil || l.Verbosity < level {
		return
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.Out, "%s [%s]  %s\n", now().Format("2006-01-02 15:04:05"), icon, fmt.Sprintf(format, args...))
}

// Info is a step.
func (l *Logger) Info(format string, args ...any) { l.print(3, "ℹ", format, args...) }

// Success is a finished step.
func (l *Logger) Success(format string, args ...any) { l.print(3, "✔", format, args...) }

// Warning is something the user should know.
func (l *Logger) Warning(format string, args ...any) { l.print(2, "!", format, args...) }

// Critical is a failure.
func (l *Logger) Critical(format string, args ...any) { l.print(1, "✖", format, args...) }

// Debug is detail shown with --verbose 4.
func (l *Logger) Debug(format string, args ...any) { l.print(4, "▶", format, args...) }
