package tracker

import (
	"fmt"
	"strings"
	"testing"
)

// Damage found through bbolt is tested on real stores (damaged_test.go);
// these are the panics guard must leave alone.
func TestGuardLetsBugsPanic(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		fn   func() error
		want string // in the panic that must go on up
	}{
		{"a panic in tracker's own code goes on up", func() error { panic("boom") }, "boom"},
		{"a nil pointer dereference goes on up, though it is a memory fault", func() error {
			var s *Store
			return s.Close()
		}, "nil pointer dereference"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), tc.want) {
					t.Errorf("recovered %v, want a panic saying %q", r, tc.want)
				}
			}()
			err := guard("s.db", "reading it", tc.fn)
			t.Errorf("guard returned %v, want the panic", err)
		})
	}
}
