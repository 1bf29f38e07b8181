package table

import (
	"encoding/csv"
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestCSVCellsAreNeutralisedByKind(t *testing.T) {
	for _, tc := range []struct {
		name string
		cell any
		want string
	}{
		{"user text that starts a formula gets an apostrophe", User("=1+1"), "'=1+1"},
		{"user text that looks like a signed number gets one too", User("-2"), "'-2"},
		{"user text that starts with a tab gets one", User("\tx"), "'\tx"},
		{"plain user text is left alone", User("age"), "age"},
		{"a negative number we formatted stays a number", "-0.5", "-0.5"},
		{"a signed change we formatted stays a number", "+3", "+3"},
		{"an exponent stays a number", "-1.5e-07", "-1.5e-07"},
		{"an int stays a number", -4, "-4"},
		{"our own text that is not a number is neutralised", "=cmd", "'=cmd"},
		{"our own -Inf is neutralised", "-Inf", "'-Inf"},
		{"a hex float is not a number here", "-0x1p3", "'-0x1p3"},
		{"a week is left alone", "2019-01-14", "2019-01-14"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			out := NewCSV(&b)
			if err := out.Add(tc.cell); err != nil {
				t.Fatal(err)
			}
			if err := out.Flush(); err != nil {
				t.Fatal(err)
			}
			rows, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if got := rows[0][0]; got != tc.want {
				t.Errorf("%q came out as %q, want %q", tc.cell, got, tc.want)
			}
		})
	}
}

func TestTextTableAlignsUnderAnUpperCaseHeader(t *testing.T) {
	tab := Table{Header: []string{"rank", "name"}}
	tab.Add(1, User("=age"))
	tab.Add(10, "income")
	var b strings.Builder
	if err := tab.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "RANK  NAME\n1     =age\n10    income\n"
	if b.String() != want {
		t.Errorf("text table:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	if err := tab.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if want := "rank,name\n1,'=age\n10,income\n"; b.String() != want {
		t.Errorf("CSV table %q, want %q", b.String(), want)
	}
}

// FuzzPlainNumber: whatever PlainNumber lets through as a number parses
// as one, so no text escapes neutralising by looking numeric.
func FuzzPlainNumber(f *testing.F) {
	for _, s := range []string{"-0.5", "+3", "1e-9", "Inf", "0x1p3", "1e", ".", "-.5e+3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := strconv.ParseFloat(s, 64); PlainNumber(s) && err != nil && !errors.Is(err, strconv.ErrRange) {
			t.Fatalf("PlainNumber(%q) but ParseFloat: %v", s, err)
		}
		if got := SpreadsheetSafe(s); !PlainNumber(s) && got != "" && strings.ContainsRune("=+-@\t\r", rune(got[0])) {
			t.Fatalf("SpreadsheetSafe(%q) = %q still starts a formula", s, got)
		}
	})
}
