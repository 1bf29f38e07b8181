package nn

import (
	"strings"
	"testing"
)

func TestGroupReturnsAPanicAsAnError(t *testing.T) {
	for _, c := range []struct {
		name  string
		funcs []func()
		want  string // "" for no error
	}{
		{"functions that return give no error", []func(){func() {}, func() {}}, ""},
		{"a panic is an internal error naming its value", []func(){func() {}, func() { panic("boom") }}, "internal error in adam update: boom"},
		{"a runtime error is one too", []func(){func() { var s []int; _ = s[3] }}, "internal error in adam update: runtime error: index out of range"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var g group
			for _, f := range c.funcs {
				g.Go("adam update", f)
			}
			err := g.Wait()
			switch {
			case c.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}
