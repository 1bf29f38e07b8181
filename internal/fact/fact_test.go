package fact

import (
	"errors"
	"fmt"
	"testing"
)

var errKind = errors.New("kind words")

func TestErrorfMatchesItsKindWithoutItsWords(t *testing.T) {
	err := Errorf(errKind, "week %s has %d rows", "2019-01-14", 3)
	if !errors.Is(err, errKind) || err.Error() != "week 2019-01-14 has 3 rows" {
		t.Errorf("Errorf = %q (is kind: %v)", err, errors.Is(err, errKind))
	}
	if wrapped := fmt.Errorf("read: %w", err); !errors.Is(wrapped, errKind) {
		t.Errorf("a wrapped fact no longer matches its kind")
	}
	if errors.Is(err, errors.New("kind words")) {
		t.Errorf("matched another sentinel with the same words")
	}
}

func TestWrapKeepsTheMessageAndWhatItMatches(t *testing.T) {
	inner := Errorf(errKind, "3 features, want 4")
	other := errors.New("other kind")
	err := Wrap(other, inner)
	if err.Error() != "3 features, want 4" || !errors.Is(err, other) || !errors.Is(err, errKind) {
		t.Errorf("Wrap = %q; is other %v, is inner's kind %v", err, errors.Is(err, other), errors.Is(err, errKind))
	}
}
