package plotting

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Errors returned by the charts; match them with errors.Is. The messages
// that wrap them name the series, feature or week at fault.
var (
	// ErrFormat reports an output format other than PNG or SVG.
	ErrFormat = errors.New("unsupported chart format")
	// ErrNoData reports a chart with nothing to draw.
	ErrNoData = errors.New("no data to plot")
	// ErrLength reports slices that should match in length but do not.
	ErrLength = errors.New("length mismatch")
	// ErrValue reports a value a chart cannot place (Inf, negative rank).
	ErrValue = errors.New("invalid value")
)

// Format is an output image format.
type Format string

// The supported formats: PNG for files and terminals, SVG for HTML reports.
const (
	PNG Format = "png"
	SVG Format = "svg"
)

// FormatFor picks the format from a file name's extension, so a command can
// take a single -o flag.
func FormatFor(path string) (Format, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png":
		return PNG, nil
	case ".svg":
		return SVG, nil
	case "":
		return "", fmt.Errorf("chart file %q has no extension; end it in .png or .svg: %w", path, ErrFormat)
	default:
		return "", fmt.Errorf("chart file %q: extension %q is not supported; end it in .png or .svg: %w", path, ext, ErrFormat)
	}
}

func checkFormat(f Format) error {
	if f != PNG && f != SVG {
		return fmt.Errorf("format %q: want %q or %q: %w", string(f), PNG, SVG, ErrFormat)
	}
	return nil
}

// dpi sets PNG resolution: 100 keeps pixel sizes round (10 in = 1000 px).
const dpi = 100

// render draws a chart of the given size and writes it in format f.
func render(w io.Writer, f Format, width, height vg.Length, drawFn func(c draw.Canvas)) error {
	switch f {
	case PNG:
		c := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
		drawFn(draw.New(c))
		if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(w); err != nil {
			return fmt.Errorf("write png chart: %w", err)
		}
		return nil
	case SVG:
		c := vgsvg.New(width, height)
		dc := draw.New(c)
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
		drawFn(dc)
		var buf bytes.Buffer
		if _, err := c.WriteTo(&buf); err != nil {
			return err
		}
		if _, err := io.WriteString(w, svgFonts.Replace(buf.String())); err != nil {
			return fmt.Errorf("write svg chart: %w", err)
		}
		return nil
	}
	return checkFormat(f)
}

// svgFonts adds metric-compatible fallbacks to the font family, so an SVG
// shown where Liberation Sans is not installed keeps its text layout without
// embedding a 400 kB font in every chart.
var svgFonts = strings.NewReplacer(
	"font-family:Liberation Sans;", "font-family:'Liberation Sans',Arial,Helvetica,sans-serif;",
)

// Fonts: a sans serif reads better than gonum's default serif at small sizes.
var (
	sans = font.Font{Typeface: "Liberation", Variant: "Sans"}
	bold = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
)

const (
	titleSize = 14
	labelSize = 11
	tickSize  = 9
	// margin keeps text off the image edge.
	margin = vg.Length(12)
)

var (
	textColor = color.RGBA{R: 0x22, G: 0x22, B: 0x22, A: 0xff}
	axisColor = color.RGBA{R: 0x66, G: 0x66, B: 0x66, A: 0xff}
	gridColor = color.RGBA{R: 0xe3, G: 0xe3, B: 0xe3, A: 0xff}
	zeroColor = color.RGBA{R: 0x88, G: 0x88, B: 0x88, A: 0xff}
	// missingColor marks a week with no record; light enough to read as
	// "nothing here" next to any palette colour.
	missingColor = color.RGBA{R: 0xe6, G: 0xe6, B: 0xe6, A: 0xff}
)

// okabeIto is the Okabe-Ito palette reordered for white backgrounds: the
// strong colours first and yellow, which is faint on white, last.
var okabeIto = []color.Color{
	color.RGBA{R: 0x00, G: 0x72, B: 0xb2, A: 0xff}, // blue
	color.RGBA{R: 0xe6, G: 0x9f, B: 0x00, A: 0xff}, // orange
	color.RGBA{R: 0x00, G: 0x9e, B: 0x73, A: 0xff}, // bluish green
	color.RGBA{R: 0xd5, G: 0x5e, B: 0x00, A: 0xff}, // vermillion
	color.RGBA{R: 0xcc, G: 0x79, B: 0xa7, A: 0xff}, // reddish purple
	color.RGBA{R: 0x56, G: 0xb4, B: 0xe9, A: 0xff}, // sky blue
	color.RGBA{R: 0x00, G: 0x00, B: 0x00, A: 0xff}, // black
	color.RGBA{R: 0xc8, G: 0xb4, B: 0x00, A: 0xff}, // yellow, darkened to show on white
}

// glyphs give each line a shape as well as a colour, so lines stay apart in
// greyscale prints and for readers who cannot tell two colours apart.
var glyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{},
	draw.BoxGlyph{},
	draw.PyramidGlyph{},
	draw.RingGlyph{},
	draw.SquareGlyph{},
	draw.TriangleGlyph{},
	draw.CrossGlyph{},
	draw.PlusGlyph{},
}

// dashes are used once the colours run out.
var dashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}}

// lineStyle returns the colour, shape and dash of line i.
func lineStyle(i int) (color.Color, draw.GlyphDrawer, []vg.Length) {
	n := len(okabeIto)
	return okabeIto[i%n], glyphs[i%len(glyphs)], dashes[(i/n)%len(dashes)]
}

func textStyle(f font.Font, size vg.Length) text.Style {
	return text.Style{
		Color:   textColor,
		Font:    font.From(f, size),
		XAlign:  draw.XLeft,
		YAlign:  draw.YBottom,
		Handler: plot.DefaultTextHandler,
	}
}

// newPlot returns a plot with readable fonts and quiet axes. The title is
// drawn by header, not by the plot, so that a legend can sit under it.
func newPlot(xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.BackgroundColor = nil
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, labelSize)
		a.Label.TextStyle.Color = textColor
		a.Label.Padding = vg.Points(6)
		a.Tick.Label.Font = font.From(sans, tickSize)
		a.Tick.Label.Color = textColor
		a.Tick.Length = vg.Points(4)
		a.Tick.Color = axisColor
		a.Color = axisColor
	}
	p.Y.Tick.Marker = niceTicks{}
	p.X.Tick.Marker = niceTicks{}
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	return p
}

// legendItem is one entry of a legend: a swatch and its name.
type legendItem struct {
	name   string
	color  color.Color
	glyph  draw.GlyphDrawer // nil for a filled box (bars)
	dashes []vg.Length
}

const swatchWidth = vg.Length(22)

func (it legendItem) drawSwatch(c draw.Canvas, x, y vg.Length) {
	if it.glyph == nil {
		s := vg.Points(8)
		r := vg.Rectangle{Min: vg.Point{X: x + (swatchWidth-s)/2, Y: y - s/2}, Max: vg.Point{X: x + (swatchWidth+s)/2, Y: y + s/2}}
		c.SetColor(it.color)
		c.Fill(r.Path())
		return
	}
	c.StrokeLine2(draw.LineStyle{Color: it.color, Width: vg.Points(2), Dashes: it.dashes}, x, y, x+swatchWidth, y)
	c.DrawGlyphNoClip(draw.GlyphStyle{Color: it.color, Radius: vg.Points(3), Shape: it.glyph}, vg.Point{X: x + swatchWidth/2, Y: y})
}

// header draws the title and, under it, a legend that wraps into rows, and
// returns the canvas left for the plot. Keeping the legend above the data
// means it never covers a line or bar.
func header(c draw.Canvas, title string, items []legendItem) draw.Canvas {
	c = draw.Crop(c, margin, -margin, margin, -margin)
	if title != "" {
		sty := textStyle(bold, titleSize)
		sty.XAlign = draw.XCenter
		sty.YAlign = draw.YTop
		c.FillText(sty, vg.Point{X: c.Center().X, Y: c.Max.Y}, title)
		c.Max.Y -= sty.Height(title) + vg.Points(6)
	}
	if len(items) == 0 {
		return c
	}
	sty := textStyle(sans, labelSize)
	sty.YAlign = draw.YCenter
	gap := vg.Points(16)
	rowH := sty.Height("Xg") + vg.Points(4)
	// Lay the entries out in rows no wider than the canvas, then centre
	// each row.
	var rows [][]legendItem
	var widths []vg.Length
	var row []legendItem
	var rowW vg.Length
	for _, it := range items {
		w := swatchWidth + vg.Points(5) + sty.Width(it.name)
		if len(row) > 0 && rowW+gap+w > c.Size().X {
			rows, widths = append(rows, row), append(widths, rowW)
			row, rowW = nil, 0
		}
		if len(row) > 0 {
			rowW += gap
		}
		row = append(row, it)
		rowW += w
	}
	rows, widths = append(rows, row), append(widths, rowW)
	y := c.Max.Y - rowH/2
	for i, row := range rows {
		x := c.Center().X - widths[i]/2
		for _, it := range row {
			it.drawSwatch(c, x, y)
			x += swatchWidth + vg.Points(5)
			c.FillText(sty, vg.Point{X: x, Y: y}, it.name)
			x += sty.Width(it.name) + gap
		}
		y -= rowH
	}
	c.Max.Y -= vg.Length(len(rows))*rowH + vg.Points(10)
	return c
}

// weekTicks labels weeks at a stride that keeps labels turned 45° from
// touching, counting back from the newest week so it is always labelled.
// Every week still gets a small tick.
func weekTicks(weeks []string, span vg.Length, sty text.Style) plot.ConstantTicks {
	n := len(weeks)
	stride := 1
	if n > 1 {
		// Two labels turned 45° need their baselines about 1.5 line
		// heights apart horizontally.
		need := sty.Height("0") * 1.6
		per := span / vg.Length(n-1)
		for _, s := range []int{1, 2, 4, 8, 13, 26, 52, 104, 208} {
			stride = s
			if per*vg.Length(s) >= need {
				break
			}
		}
		for per*vg.Length(stride) < need {
			stride *= 2
		}
	}
	ticks := make(plot.ConstantTicks, n)
	for i := range weeks {
		ticks[i] = plot.Tick{Value: float64(i)}
		if (n-1-i)%stride == 0 {
			// The trailing space keeps the turned label off the tick
			// mark, and makes an empty week label a labelled tick.
			ticks[i].Label = weeks[i] + " "
		}
	}
	return ticks
}

// setWeekAxis puts weeks on the x axis with labels turned 45°. span is the
// width the axis will have.
func setWeekAxis(p *plot.Plot, weeks []string, span vg.Length) {
	labels := make([]string, len(weeks))
	for i, w := range weeks {
		labels[i] = shorten(w, 16)
	}
	p.X.Tick.Label.Rotation = math.Pi / 4
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	p.X.Tick.Marker = weekTicks(labels, span, p.X.Tick.Label)
}

// dataWidth estimates the width of the data area p will get on c, so tick
// strides can be chosen before drawing.
func dataWidth(p *plot.Plot, c draw.Canvas) vg.Length {
	saved := p.X.Tick.Marker
	p.X.Tick.Marker = plot.ConstantTicks{}
	w := p.DataCanvas(c).Size().X
	p.X.Tick.Marker = saved
	return w
}

// shorten cuts long labels in the middle, keeping the start and the end
// (often "_worst" or "_mean"), so that one name cannot squeeze the chart.
func shorten(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	head := (max - 1) / 2
	tail := max - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// maxNameRunes bounds feature names on an axis.
const maxNameRunes = 32

// gridLines draws light lines across the data area at the labelled ticks,
// so a reader can follow a level far from the axis.
type gridLines struct {
	vertical bool
}

func (g gridLines) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	a := p.Y
	if g.vertical {
		a = p.X
	}
	sty := draw.LineStyle{Color: gridColor, Width: vg.Points(0.7)}
	for _, v := range majorValues(a) {
		if g.vertical {
			x := trX(v)
			if c.ContainsX(x) {
				c.StrokeLine2(sty, x, c.Min.Y, x, c.Max.Y)
			}
			continue
		}
		y := trY(v)
		if c.ContainsY(y) {
			c.StrokeLine2(sty, c.Min.X, y, c.Max.X, y)
		}
	}
}

// majorValues returns the values of the labelled ticks of a.
func majorValues(a plot.Axis) []float64 {
	var vs []float64
	for _, t := range a.Tick.Marker.Ticks(a.Min, a.Max) {
		if !t.IsMinor() {
			vs = append(vs, t.Value)
		}
	}
	return vs
}

// niceTicks labels five to ten round values: gonum's default gives three,
// too few to read a value off a 6-inch axis.
type niceTicks struct{}

func (niceTicks) Ticks(min, max float64) []plot.Tick {
	step := niceStep((max - min) / 8)
	prec := max0(-int(math.Floor(math.Log10(step) + 1e-9)))
	if r := step / math.Pow10(-prec); math.Abs(r-math.Round(r)) > 1e-9 {
		prec++ // 2.5, 0.25
	}
	var ticks []plot.Tick
	for k := math.Ceil(min/step - 1e-9); k*step <= max+step*1e-9; k++ {
		v := k * step
		if k == 0 {
			v = 0 // no "-0.00"
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', prec, 64)})
	}
	return ticks
}

// withZero extends [min, max] to 0 when 0 is near, so the axis shows the
// level that means "no importance" without flattening small changes.
func withZero(min, max float64) (float64, float64) {
	span := max - min
	switch {
	case min > 0 && min <= span/2:
		min = 0
	case max < 0 && -max <= span/2:
		max = 0
	}
	return min, max
}

// padded widens [min, max] by a few percent at each end that is not 0, so
// the longest bar stops short of the frame.
func padded(min, max float64) (float64, float64) {
	pad := (max - min) * 0.04
	if min != 0 {
		min -= pad
	}
	if max != 0 {
		max += pad
	}
	return min, max
}

// niceStep rounds x up to 1, 2, 2.5 or 5 times a power of ten.
func niceStep(x float64) float64 {
	if x <= 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return 1
	}
	p := math.Pow10(int(math.Floor(math.Log10(x))))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= x*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

func max0(i int) int {
	if i < 0 {
		return 0
	}
	return i
}

// checkWeeks rejects a chart without weeks.
func checkWeeks(chart string, weeks []string) error {
	if len(weeks) == 0 {
		return fmt.Errorf("%s: no weeks given; ingest at least one week first: %w", chart, ErrNoData)
	}
	return nil
}
