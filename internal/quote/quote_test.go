package quote

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestShort(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"short text is quoted whole", "dense_1", `"dense_1"`},
		{"text of exactly the limit is kept", strings.Repeat("a", MaxRunes), `"` + strings.Repeat("a", MaxRunes) + `"`},
		{"longer text is cut with an ellipsis", strings.Repeat("a", MaxRunes+1), `"` + strings.Repeat("a", MaxRunes) + `…"`},
		{"multi-byte runes are never split", strings.Repeat("é", MaxRunes+3), `"` + strings.Repeat("é", MaxRunes) + `…"`},
		{"invalid UTF-8 is escaped", "a\xffb", `"a\xffb"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Short(tt.in); got != tt.want {
				t.Errorf("Short(%.20q…) = %.40q…, want %.40q…", tt.in, got, tt.want)
			}
		})
	}
}

func TestShortBoundsAHugeInput(t *testing.T) {
	got := Short(strings.Repeat("x", 200<<20))
	if len(got) > MaxRunes+10 {
		t.Fatalf("Short of 200 MB gave %d bytes", len(got))
	}
}

func TestCutKeepsValidUTF8(t *testing.T) {
	for n := range 8 {
		if got := Cut("日本語のテキスト", n); !utf8.ValidString(got) {
			t.Errorf("Cut(_, %d) = %q is not valid UTF-8", n, got)
		}
	}
}

func TestList(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want string
	}{
		{"an empty list is empty", nil, ""},
		{"a short list is quoted whole", []string{"a", "b"}, `"a", "b"`},
		{"a long list says how many more", []string{"a", "b", "c", "d", "e", "f", "g"}, `"a", "b", "c", "d", "e" and 2 more`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := List(tt.in); got != tt.want {
				t.Errorf("List(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
