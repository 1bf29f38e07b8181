package report

import (
	_ "embed"
	"html/template"
	"io"
)

//go:embed report.html.tmpl
var pageText string

// page is parsed once: the template is part of the program, so a parse
// error is a bug, found by any test that writes a page.
var page = template.Must(template.New("report").Parse(pageText))

// Data is everything the page shows.
type Data struct {
	Model       string
	First, Last string // the oldest and the newest week covered
	Weeks       int
	Versions    []Version // one per week, oldest first
	Methods     []Method  // one per experiment of the newest week, most telling first
	Charts      []Chart
	Generated   string // when the page was written, as the reader should see it
}

// Version is one week covered: the version that speaks for it.
type Version struct {
	Week, Hash  string // Hash is the content hash, cut to a readable prefix
	Version     uint64
	Experiments int // how many records the version holds
}

// Method is one experiment's section: its ranking in the newest week and
// what changed since the week before.
type Method struct {
	Label, Params string
	Rows          []Row    // every ranked feature, best first
	Up, Down      []Move   // the movers since PrevWeek, largest first
	Zeroed        []Zeroed // the features that went to zero, strongest first
	Warnings      []string // disagreements with the weight-sum, one line each
	PrevWeek      string   // the week before, "" when the report covers one week
}

// Row is one feature in a method's ranking.
type Row struct {
	Rank          int
	Index         int
	Name          string
	Value, Spread string
	Move          string // places climbed since the week before, signed; "" when unknown
}

// Move is a feature whose rank moved since the week before.
type Move struct {
	Index    int
	Name     string
	From, To int
}

// Zeroed is a feature that went to zero: its value and rank in week
// WasWeek, and now.
type Zeroed struct {
	Index       int
	Name        string
	Was, Now    string
	WasWeek     string
	WasRank, To int
}

// Chart is one figure: an SVG image and its caption.
type Chart struct {
	Title string
	SVG   template.HTML // from plotting, which escapes its text
}

// Write writes the page for d to w. On an error part of the page may have
// been written: write to a buffer and keep it only on success.
func Write(w io.Writer, d Data) error {
	return page.Execute(w, d)
}
