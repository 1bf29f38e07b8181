package plotting

import (
	"cmp"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Compare draws every feature's importance in two weeks as pairs of
// horizontal bars, one row per feature, sorted by week B (the newer week,
// usually) from most to least important. Rows make long feature names
// readable and let the image grow with the number of features instead of
// squeezing 82 labels under one axis. NaN means no record and is marked
// "n/a"; the axis fits the data, negative values included.
func Compare(w io.Writer, format Format, title, weekA, weekB string, names []string, a, b []float64) error {
	const chart = "compare"
	if err := checkFormat(format); err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("%s: no features given; pass one name per feature: %w", chart, ErrNoData)
	}
	weekA, weekB = cmp.Or(weekA, "week A"), cmp.Or(weekB, "week B")
	found := false
	for _, s := range []struct {
		week string
		vs   []float64
	}{{weekA, a}, {weekB, b}} {
		if len(s.vs) != len(names) {
			return fmt.Errorf("%s: week %s has %d values for %d features; give one per feature, NaN where it has no record: %w",
				chart, s.week, len(s.vs), len(names), ErrLength)
		}
		for i, v := range s.vs {
			if math.IsInf(v, 0) {
				return fmt.Errorf("%s: feature %q is infinite in week %s; check the experiment that produced it: %w", chart, names[i], s.week, ErrValue)
			}
			found = found || !math.IsNaN(v)
		}
	}
	if !found {
		return fmt.Errorf("%s: every value is NaN in both weeks %s and %s; run the experiments first: %w", chart, weekA, weekB, ErrNoData)
	}

	order := compareOrder(a, b)
	n := len(order)
	labels := make([]string, n)
	sa, sb := make([]float64, n), make([]float64, n)
	for row, i := range order {
		labels[row] = shorten(names[i], maxNameRunes)
		sa[row], sb[row] = a[i], b[i]
	}

	p := newPlot(fmt.Sprintf("importance (rows sorted by %s)", weekB), "")
	colA, colB := okabeIto[1], okabeIto[0]
	p.Add(zebra{rows: n}, gridLines{vertical: true}, zeroLine{vertical: true},
		&hbars{values: sa, offset: 0.2, color: colA},
		&hbars{values: sb, offset: -0.2, color: colB},
		topTicks{})
	p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5
	p.Y.Padding = 0
	p.Y.Width = 0
	p.Y.Tick.Length = 0
	ticks := make(plot.ConstantTicks, n)
	for row, l := range labels {
		ticks[row] = plot.Tick{Value: rowY(row, n), Label: l}
	}
	p.Y.Tick.Marker = ticks
	p.X.Min, p.X.Max = padded(withZero(p.X.Min, p.X.Max))

	items := []legendItem{{name: weekA, color: colA}, {name: weekB, color: colB}}
	const rowHeight = 14
	width := 10 * vg.Inch
	height := max(vg.Length(n)*rowHeight+vg.Points(150), 4*vg.Inch)
	return render(w, format, width, height, func(c draw.Canvas) {
		p.Draw(header(c, title, items))
	})
}

// compareOrder returns feature indices sorted by b descending; features
// without a value in b follow, sorted by a. Ties keep the input order.
func compareOrder(a, b []float64) []int {
	order := make([]int, len(a))
	for i := range order {
		order[i] = i
	}
	key := func(i int) (bool, float64) {
		if !math.IsNaN(b[i]) {
			return true, b[i]
		}
		return false, a[i]
	}
	slices.SortStableFunc(order, func(i, j int) int {
		hi, vi := key(i)
		hj, vj := key(j)
		switch {
		case hi != hj:
			if hi {
				return -1
			}
			return 1
		case math.IsNaN(vi) || math.IsNaN(vj):
			return cmpNaNLast(vi, vj)
		}
		return cmp.Compare(vj, vi)
	})
	return order
}

func cmpNaNLast(x, y float64) int {
	switch {
	case math.IsNaN(x) && math.IsNaN(y):
		return 0
	case math.IsNaN(x):
		return 1
	case math.IsNaN(y):
		return -1
	}
	return 0
}

// rowY puts row 0 at the top of the axis.
func rowY(row, n int) float64 { return float64(n - 1 - row) }

// hbars draws one horizontal bar per row from 0 to the row's value.
type hbars struct {
	values []float64
	offset float64 // from the row's centre, in rows
	color  color.Color
}

const barThickness = 0.38 // in rows, two bars and a gap per row

func (h *hbars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = 0, 0
	for _, v := range h.values {
		if !math.IsNaN(v) {
			xmin, xmax = math.Min(xmin, v), math.Max(xmax, v)
		}
	}
	return xmin, xmax, -0.5, float64(len(h.values)) - 0.5
}

func (h *hbars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	n := len(h.values)
	na := textStyle(sans, 7)
	na.Color = axisColor
	na.YAlign = draw.YCenter
	for row, v := range h.values {
		y := rowY(row, n) + h.offset
		if math.IsNaN(v) {
			c.FillText(na, vg.Point{X: trX(0) + 2, Y: trY(y)}, "n/a")
			continue
		}
		x0, x1 := trX(0), trX(v)
		if x1 < x0 {
			x0, x1 = x1, x0
		}
		r := vg.Rectangle{
			Min: vg.Point{X: x0, Y: trY(y - barThickness/2)},
			Max: vg.Point{X: x1, Y: trY(y + barThickness/2)},
		}
		c.SetColor(h.color)
		c.Fill(r.Path())
	}
}

// zebra shades every other row so the eye can follow a row from its name
// to its bars across a wide chart.
type zebra struct{ rows int }

func (z zebra) Plot(c draw.Canvas, p *plot.Plot) {
	_, trY := p.Transforms(&c)
	c.SetColor(color.RGBA{R: 0xf4, G: 0xf4, B: 0xf4, A: 0xff})
	for row := 1; row < z.rows; row += 2 {
		y := rowY(row, z.rows)
		r := vg.Rectangle{
			Min: vg.Point{X: c.Min.X, Y: trY(y - 0.5)},
			Max: vg.Point{X: c.Max.X, Y: trY(y + 0.5)},
		}
		c.Fill(r.Path())
	}
}

// topTicks repeats the x tick labels above the data area, so a tall chart
// can be read without scrolling to its bottom.
type topTicks struct{}

// style turns labels that the bottom axis turns, but upwards.
func (topTicks) style(p *plot.Plot) text.Style {
	sty := p.X.Tick.Label
	if sty.Rotation != 0 {
		sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	} else {
		sty.YAlign = draw.YBottom
	}
	return sty
}

func (t topTicks) Plot(c draw.Canvas, p *plot.Plot) {
	sty := t.style(p)
	ls := draw.LineStyle{Color: axisColor, Width: vg.Points(0.5)}
	c.StrokeLine2(ls, c.Min.X, c.Max.Y, c.Max.X, c.Max.Y)
	trX, _ := p.Transforms(&c)
	for _, t := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
		x := trX(t.Value)
		if !c.ContainsX(x) {
			continue
		}
		l := p.X.Tick.Length
		if t.IsMinor() {
			c.StrokeLine2(ls, x, c.Max.Y, x, c.Max.Y+l/2)
			continue
		}
		c.StrokeLine2(ls, x, c.Max.Y, x, c.Max.Y+l)
		c.FillText(sty, vg.Point{X: x, Y: c.Max.Y + l + 2}, strings.TrimSpace(t.Label))
	}
}

// GlyphBoxes reserves the room above the data area for the labels.
func (t topTicks) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	sty := t.style(p)
	var h vg.Length
	for _, t := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
		if !t.IsMinor() {
			h = max(h, sty.Rectangle(strings.TrimSpace(t.Label)).Max.Y)
		}
	}
	h += p.X.Tick.Length + 4
	return []plot.GlyphBox{{X: 0.5, Y: 1, Rectangle: vg.Rectangle{Max: vg.Point{Y: h}}}}
}
