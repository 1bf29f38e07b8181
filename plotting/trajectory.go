package plotting

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one line of a [Trajectory]: a method's value for one feature,
// one value per week. NaN means no record that week and leaves a gap, so a
// missing week is never mistaken for zero importance.
type Series struct {
	Name   string
	Values []float64
}

// Trajectory draws one feature's importance across weeks, one line per
// method (series). weeks label the x axis, oldest first.
//
// Methods measure in different units (accuracy drop, gradient magnitude), so
// normalize divides each series by its largest |value| to put them on one
// axis; the axis label then says so.
func Trajectory(w io.Writer, format Format, title string, weeks []string, series []Series, normalize bool) error {
	yLabel := "importance"
	if normalize {
		yLabel = "importance ÷ max |importance| of the method"
	}
	return lines(w, format, "trajectory", title, yLabel, weeks, series, normalize)
}

// Quality draws a model's quality metrics across weeks, one line per
// metric (accuracy, AUC: numbers between 0 and 1 that share an axis).
func Quality(w io.Writer, format Format, title string, weeks []string, series []Series) error {
	return lines(w, format, "quality", title, "metric", weeks, series, false)
}

// lines draws series across weeks on one axis labelled yLabel; chart names
// the figure in errors.
func lines(w io.Writer, format Format, chart, title, yLabel string, weeks []string, series []Series, normalize bool) error {
	if err := checkFormat(format); err != nil {
		return err
	}
	if err := checkWeeks(chart, weeks); err != nil {
		return err
	}
	if len(series) == 0 {
		return fmt.Errorf("%s: no series given; pass one per method: %w", chart, ErrNoData)
	}
	found := false
	for _, s := range series {
		if len(s.Values) != len(weeks) {
			return fmt.Errorf("%s: series %q has %d values for %d weeks; give one per week, NaN where a week has no record: %w",
				chart, s.Name, len(s.Values), len(weeks), ErrLength)
		}
		for i, v := range s.Values {
			if math.IsInf(v, 0) {
				return fmt.Errorf("%s: series %q is infinite in week %s; check the experiment that produced it: %w", chart, s.Name, weeks[i], ErrValue)
			}
			found = found || !math.IsNaN(v)
		}
	}
	if !found {
		return fmt.Errorf("%s: every value is NaN (no week has a record); run the experiments first: %w", chart, ErrNoData)
	}

	p := newPlot("week", yLabel)
	p.Add(gridLines{}, zeroLine{})
	items := make([]legendItem, len(series))
	// Markers on every point would clutter long histories; isolated points
	// are marked whatever the length so they do not vanish.
	markAll := len(weeks) <= 26
	for i, s := range series {
		vals := s.Values
		if normalize {
			vals = scaled(vals)
		}
		col, glyph, dash := lineStyle(i)
		p.Add(&gapLine{ys: vals, color: col, glyph: glyph, dashes: dash, markAll: markAll})
		items[i] = legendItem{name: s.Name, color: col, glyph: glyph, dashes: dash}
	}
	p.X.Min, p.X.Max = 0, float64(len(weeks)-1)
	p.Y.Min, p.Y.Max = withZero(p.Y.Min, p.Y.Max)

	const width, height = 10 * vg.Inch, 6 * vg.Inch
	return render(w, format, width, height, func(c draw.Canvas) {
		c = header(c, title, items)
		setWeekAxis(p, weeks, dataWidth(p, c))
		p.Draw(c)
	})
}

// scaled divides vs by its largest |value|, leaving NaN as NaN.
func scaled(vs []float64) []float64 {
	m := 0.0
	for _, v := range vs {
		if !math.IsNaN(v) {
			m = math.Max(m, math.Abs(v))
		}
	}
	out := make([]float64, len(vs))
	for i, v := range vs {
		out[i] = v
		if m > 0 {
			out[i] = v / m
		}
	}
	return out
}

// gapLine is a line through (i, ys[i]) that breaks at NaN.
type gapLine struct {
	ys      []float64
	color   color.Color
	glyph   draw.GlyphDrawer
	dashes  []vg.Length
	markAll bool
}

func (l *gapLine) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = 0, float64(len(l.ys)-1)
	ymin, ymax = math.Inf(1), math.Inf(-1)
	for _, y := range l.ys {
		if !math.IsNaN(y) {
			ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
		}
	}
	return xmin, xmax, ymin, ymax
}

// GlyphBoxes makes room for the markers at the edges of the data area.
func (l *gapLine) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	r := vg.Points(3)
	var boxes []plot.GlyphBox
	for i, y := range l.ys {
		if !math.IsNaN(y) {
			boxes = append(boxes, plot.GlyphBox{
				X: p.X.Norm(float64(i)), Y: p.Y.Norm(y),
				Rectangle: vg.Rectangle{Min: vg.Point{X: -r, Y: -r}, Max: vg.Point{X: r, Y: r}},
			})
		}
	}
	return boxes
}

func (l *gapLine) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	col := l.color
	ls := draw.LineStyle{Color: col, Width: vg.Points(2), Dashes: l.dashes}
	gs := draw.GlyphStyle{Color: col, Radius: vg.Points(3), Shape: l.glyph}
	var seg []vg.Point
	flush := func() {
		if len(seg) > 1 {
			c.StrokeLines(ls, c.ClipLinesXY(seg)...)
		}
		seg = seg[:0]
	}
	for i, y := range l.ys {
		if math.IsNaN(y) {
			flush()
			continue
		}
		seg = append(seg, vg.Point{X: trX(float64(i)), Y: trY(y)})
	}
	flush()
	for i, y := range l.ys {
		if math.IsNaN(y) {
			continue
		}
		alone := (i == 0 || math.IsNaN(l.ys[i-1])) && (i == len(l.ys)-1 || math.IsNaN(l.ys[i+1]))
		if l.markAll || alone {
			c.DrawGlyph(gs, vg.Point{X: trX(float64(i)), Y: trY(y)})
		}
	}
}

// zeroLine marks importance 0 when it is inside the axis, since importance
// below zero (a feature that helps when shuffled) is worth noticing.
type zeroLine struct{ vertical bool }

func (z zeroLine) Plot(c draw.Canvas, p *plot.Plot) {
	a := p.Y
	if z.vertical {
		a = p.X
	}
	if a.Min >= 0 || a.Max <= 0 {
		return
	}
	sty := draw.LineStyle{Color: zeroColor, Width: vg.Points(0.8)}
	trX, trY := p.Transforms(&c)
	if z.vertical {
		x := trX(0)
		c.StrokeLine2(sty, x, c.Min.Y, x, c.Max.Y)
		return
	}
	y := trY(0)
	c.StrokeLine2(sty, c.Min.X, y, c.Max.X, y)
}
