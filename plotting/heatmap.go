package plotting

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Heatmap draws every feature's rank in every week: rows are features in
// the order given, top to bottom, columns are weeks, oldest first. Rank 1
// is darkest; rank 0 means no record and leaves a grey cell.
//
// ranks[f][w] is feature f's rank in week w. Colours follow the square root
// of the rank, spending more shades on the leading features, where a
// change matters; the colour bar shows the scale.
func Heatmap(w io.Writer, format Format, title string, weeks, names []string, ranks [][]int) error {
	const chart = "heatmap"
	if err := checkFormat(format); err != nil {
		return err
	}
	if err := checkWeeks(chart, weeks); err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("%s: no features given; pass one name per feature: %w", chart, ErrNoData)
	}
	if len(ranks) != len(names) {
		return fmt.Errorf("%s: %d rank rows for %d features; give one row per feature: %w", chart, len(ranks), len(names), ErrLength)
	}
	maxRank := 0
	for f, row := range ranks {
		if len(row) != len(weeks) {
			return fmt.Errorf("%s: feature %q has %d ranks for %d weeks; give one per week, 0 where a week has no record: %w",
				chart, names[f], len(row), len(weeks), ErrLength)
		}
		for wk, r := range row {
			if r < 0 {
				return fmt.Errorf("%s: feature %q has rank %d in week %s; ranks start at 1 (0 = no record): %w", chart, names[f], r, weeks[wk], ErrValue)
			}
			maxRank = max(maxRank, r)
		}
	}
	if maxRank == 0 {
		return fmt.Errorf("%s: every rank is 0 (no week has a record); run the experiments first: %w", chart, ErrNoData)
	}

	n := len(names)
	p := newPlot("week", "")
	p.X.Tick.Label.Font.Size = tickSize
	p.Y.Tick.Label.Font.Size = 8.5
	cells := &rankCells{ranks: ranks, maxRank: maxRank}
	p.Add(cells, topTicks{})
	p.X.Min, p.X.Max = -0.5, float64(len(weeks))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5
	p.X.Padding, p.Y.Padding = 0, 0
	p.Y.Width = 0
	p.Y.Tick.Length = 0
	ticks := make(plot.ConstantTicks, n)
	for f, name := range names {
		ticks[f] = plot.Tick{Value: rowY(f, n), Label: shorten(name, maxNameRunes)}
	}
	p.Y.Tick.Marker = ticks

	const rowHeight = 11
	width := 10 * vg.Inch
	height := max(vg.Length(n)*rowHeight+vg.Points(230), 6*vg.Inch)
	barW := vg.Points(90) // room for the colour bar
	return render(w, format, width, height, func(c draw.Canvas) {
		c = header(c, title, nil)
		pc := draw.Crop(c, 0, -barW, 0, 0)
		setWeekAxis(p, weeks, dataWidth(p, pc))
		p.Draw(pc)
		dc := p.DataCanvas(pc)
		// Start the bar below the data top: the turned week labels above
		// reach over to the right.
		drawRankScale(c, dc.Max.X+vg.Points(18), dc.Max.Y-vg.Points(24), max(min(dc.Size().Y-vg.Points(60), vg.Points(320)), vg.Points(100)), maxRank)
	})
}

// viridis is sampled at nine even steps; colours between are interpolated.
// It is perceptually uniform, prints in greyscale and reads with the
// common colour-vision deficiencies.
var viridis = []color.RGBA{
	{0x44, 0x01, 0x54, 0xff}, {0x47, 0x2d, 0x7b, 0xff}, {0x3b, 0x52, 0x8b, 0xff},
	{0x2c, 0x72, 0x8e, 0xff}, {0x21, 0x91, 0x8c, 0xff}, {0x28, 0xae, 0x80, 0xff},
	{0x5e, 0xc9, 0x62, 0xff}, {0xad, 0xdc, 0x30, 0xff}, {0xfd, 0xe7, 0x25, 0xff},
}

// rankPos places rank r (1..maxRank) on [0, 1] along the colour scale.
func rankPos(r, maxRank int) float64 {
	if maxRank <= 1 {
		return 0
	}
	return math.Sqrt(float64(r-1) / float64(maxRank-1))
}

// rankColor is the colour of rank r; 0 is missing.
func rankColor(r, maxRank int) color.Color {
	if r <= 0 {
		return missingColor
	}
	t := rankPos(r, maxRank) * float64(len(viridis)-1)
	i := min(int(t), len(viridis)-2)
	f := t - float64(i)
	a, b := viridis[i], viridis[i+1]
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + f*(float64(y)-float64(x)))) }
	return color.RGBA{R: mix(a.R, b.R), G: mix(a.G, b.G), B: mix(a.B, b.B), A: 0xff}
}

// rankCells fills one cell per feature and week. Runs of equal rank in a
// row are merged and cells of one colour share a path, which keeps an
// 82 × 104 SVG small.
type rankCells struct {
	ranks   [][]int
	maxRank int
}

func (h *rankCells) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	n := len(h.ranks)
	// Cells overlap their right and upper neighbours a little: abutting
	// anti-aliased edges would otherwise leave light seams.
	const overlap = vg.Length(0.5)
	paths := make([]vg.Path, h.maxRank+1)
	for f, row := range h.ranks {
		y := rowY(f, n)
		y0, y1 := trY(y-0.5), trY(y+0.5)
		if f > 0 {
			y1 += overlap
		}
		for start := 0; start < len(row); {
			end := start + 1
			for end < len(row) && row[end] == row[start] {
				end++
			}
			x0, x1 := trX(float64(start)-0.5), trX(float64(end)-0.5)
			if end < len(row) {
				x1 += overlap
			}
			pa := &paths[row[start]]
			pa.Move(vg.Point{X: x0, Y: y0})
			pa.Line(vg.Point{X: x1, Y: y0})
			pa.Line(vg.Point{X: x1, Y: y1})
			pa.Line(vg.Point{X: x0, Y: y1})
			pa.Close()
			start = end
		}
	}
	for r, pa := range paths {
		if len(pa) > 0 {
			c.SetColor(rankColor(r, h.maxRank))
			c.Fill(pa)
		}
	}
}

// drawRankScale draws the colour bar with rank 1 at the top at (x, top),
// and a grey swatch for "no record" under it.
func drawRankScale(c draw.Canvas, x, top, height vg.Length, maxRank int) {
	const barW = 12
	sty := textStyle(sans, tickSize)
	sty.YAlign = draw.YCenter
	head := textStyle(sans, labelSize)
	head.YAlign = draw.YBottom
	c.FillText(head, vg.Point{X: x, Y: top + 4}, "rank")

	bottom := top - height
	yOf := func(pos float64) vg.Length { return top - vg.Length(pos)*height }
	const steps = 64
	for i := range steps {
		y0, y1 := yOf(float64(i)/steps), yOf(float64(i+1)/steps)
		if i > 0 {
			y0 += 0.5 // no seams, as in rankCells
		}
		r := 1 + int(math.Round(math.Pow(float64(i)/(steps-1), 2)*float64(maxRank-1)))
		c.SetColor(rankColor(r, maxRank))
		c.Fill(vg.Rectangle{Min: vg.Point{X: x, Y: y1}, Max: vg.Point{X: x + barW, Y: y0}}.Path())
	}
	ls := draw.LineStyle{Color: axisColor, Width: vg.Points(0.5)}
	c.StrokeLines(ls, []vg.Point{{X: x, Y: bottom}, {X: x + barW, Y: bottom}, {X: x + barW, Y: top}, {X: x, Y: top}, {X: x, Y: bottom}})
	for _, r := range scaleRanks(maxRank) {
		y := yOf(rankPos(r, maxRank))
		c.StrokeLine2(ls, x+barW, y, x+barW+3, y)
		c.FillText(sty, vg.Point{X: x + barW + 5, Y: y}, strconv.Itoa(r))
	}
	y := bottom - vg.Points(18)
	c.SetColor(missingColor)
	c.Fill(vg.Rectangle{Min: vg.Point{X: x, Y: y - 5}, Max: vg.Point{X: x + barW, Y: y + 5}}.Path())
	c.StrokeLines(ls, []vg.Point{{X: x, Y: y - 5}, {X: x + barW, Y: y - 5}, {X: x + barW, Y: y + 5}, {X: x, Y: y + 5}, {X: x, Y: y - 5}})
	c.FillText(sty, vg.Point{X: x + barW + 5, Y: y}, "no record")
}

// scaleRanks picks the ranks labelled on the colour bar: 1, a few round
// ranks whose labels do not collide on the square-root scale, and the last.
func scaleRanks(maxRank int) []int {
	out := []int{1}
	for _, r := range []int{2, 3, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000} {
		if r < maxRank && rankPos(r, maxRank)-rankPos(out[len(out)-1], maxRank) >= 0.07 && rankPos(maxRank, maxRank)-rankPos(r, maxRank) >= 0.07 {
			out = append(out, r)
		}
	}
	if maxRank > 1 {
		out = append(out, maxRank)
	}
	return out
}
