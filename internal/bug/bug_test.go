package bug

import (
	"strings"
	"testing"
)

func panicky() {
	var s []int
	_ = s[3]
}

func TestStackStartsWhereThePanicWas(t *testing.T) {
	var stack string
	func() {
		defer func() {
			if recover() != nil {
				stack = Stack()
			}
		}()
		panicky()
	}()
	first, _, _ := strings.Cut(strings.TrimSpace(stack), "\n")
	if !strings.HasSuffix(first, "bug.panicky") || !strings.Contains(stack, "bug_test.go:10") {
		t.Errorf("stack starts %q, want the frame that panicked:\n%s", first, stack)
	}
	if strings.Contains(stack, "runtime.") {
		t.Errorf("stack shows runtime frames:\n%s", stack)
	}
}

func TestStackOutsideAPanicIsEmpty(t *testing.T) {
	if s := Stack(); s != "" {
		t.Errorf("Stack() without a panic = %q", s)
	}
}
