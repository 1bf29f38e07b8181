package cli

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress draws a one-line bar with an ETA on stderr when stderr is a
// terminal, and nothing otherwise, so logs and pipes stay clean. Redraws
// are limited to a few a second.
type progress struct {
	w     io.Writer // nil when not a terminal
	label string
	now   func() time.Time
	start time.Time
	last  time.Time
}

func newProgress(env Env, label string) *progress {
	p := &progress{label: label, now: time.Now}
	if env.ErrTTY {
		p.w = env.ErrOut
	}
	p.start = p.now()
	return p
}

const barWidth = 24

// update redraws the bar for done of total units.
func (p *progress) update(done, total int) {
	if p.w == nil || total <= 0 {
		return
	}
	now := p.now()
	if done < total && now.Sub(p.last) < 150*time.Millisecond {
		return
	}
	p.last = now
	fmt.Fprintf(p.w, "\r%s\033[K", progressLine(p.label, done, total, now.Sub(p.start)))
}

// done clears the bar.
func (p *progress) done() {
	if p.w != nil {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// progressLine renders "label [=====>    ] 41/82  ETA 12s".
func progressLine(label string, done, total int, elapsed time.Duration) string {
	filled := barWidth * done / total
	bar := strings.Repeat("=", filled)
	if filled < barWidth {
		bar += ">" + strings.Repeat(" ", barWidth-filled-1)
	}
	eta := "ETA -"
	if done > 0 && done < total {
		left := time.Duration(float64(elapsed) * float64(total-done) / float64(done))
		eta = "ETA " + left.Round(time.Second).String()
	} else if done >= total {
		eta = "took " + elapsed.Round(time.Millisecond).String()
	}
	return fmt.Sprintf("%s [%s] %d/%d  %s", label, bar, done, total, eta)
}
