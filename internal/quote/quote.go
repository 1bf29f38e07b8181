// Package quote shortens user input before it goes into a message: a
// 200 MB layer name or a million-column header must not become 200 MB of
// stderr. Every message that repeats outside text quotes it through here.
package quote

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxRunes is how much of one piece of user text a message repeats: enough
// to recognise any real layer, column or file name.
const MaxRunes = 200

// MaxItems is how many items of a list a message repeats.
const MaxItems = 5

// Short is s quoted as strconv.Quote does, cut to MaxRunes runes with "…"
// when longer. Invalid UTF-8 is escaped, never copied raw.
func Short(s string) string {
	return strconv.Quote(Cut(s, MaxRunes))
}

// Cut returns s cut to at most n runes, ending in "…" when it was longer.
func Cut(s string, n int) string {
	if len(s) <= n { // bytes >= runes, so it fits
		return s
	}
	i, count := 0, 0
	for i < len(s) && count < n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		count++
	}
	if i >= len(s) {
		return s
	}
	return s[:i] + "…"
}

// List quotes the first MaxItems items with Short, joined by ", ", and says
// how many more there are: `"a", "b", "c" and 997 more`.
func List(items []string) string {
	n := min(len(items), MaxItems)
	q := make([]string, n)
	for i := range n {
		q[i] = Short(items[i])
	}
	s := strings.Join(q, ", ")
	if rest := len(items) - n; rest > 0 {
		s += fmt.Sprintf(" and %d more", rest)
	}
	return s
}
