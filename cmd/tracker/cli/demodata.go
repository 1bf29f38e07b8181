package cli

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/tracker-ml/tracker/experiments/nn"
)

// The demo's world: 82 features of which a few carry the label, each in a
// way a weak importance measure gets wrong. Weeks count from 0.
const (
	demoFeatures  = 82
	demoFades     = 17 // strong until demoFadeWeek, then no effect at all
	demoFadeWeek  = 7  // the eighth week
	demoShifted   = 5  // its distribution moves up from demoShiftWeek
	demoShiftWeek = 9  // the tenth week
	demoPairA     = 10 // with demoPairB: an interaction, no main effect
	demoPairB     = 11
	demoCopy      = 12 // a noisy copy of feature 0
)

// demoLinear are the main effects of features 0 to 9.
var demoLinear = []float64{1.6, -1.3, 1.1, 0.9, -0.8, 0.7, 0.6, -0.5, 0.4, 0.3}

// demoNames names the planted features; the rest are noise_NN.
func demoNames() []string {
	planted := map[int]string{
		0: "tenure_months", 1: "support_tickets", 2: "monthly_spend", 3: "logins_per_week",
		4: "days_since_login", 5: "basket_value", 6: "referrals", 7: "late_payments",
		8: "app_rating", 9: "newsletter_opens", demoPairA: "promo_a", demoPairB: "promo_b",
		demoCopy: "tenure_copy", demoFades: "legacy_score",
	}
	names := make([]string, demoFeatures)
	for i := range names {
		if n, ok := planted[i]; ok {
			names[i] = n
		} else {
			names[i] = fmt.Sprintf("noise_%02d", i)
		}
	}
	return names
}

// demoRows draws one week's rows: standard normal features, the copy and
// the shift applied, and a label drawn from the planted logistic model.
func demoRows(rng *rand.Rand, week, rows int) nn.Labeled {
	d := nn.Labeled{Rows: rows, X: make([]float32, rows*demoFeatures), Labels: make([]int, rows)}
	for r := range rows {
		x := d.X[r*demoFeatures : (r+1)*demoFeatures]
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		x[demoCopy] = x[0] + float32(0.3*rng.NormFloat64())
		if week >= demoShiftWeek {
			x[demoShifted] += 1.5
		}
		var z float64
		for i, b := range demoLinear {
			v := float64(x[i])
			if i == demoShifted && week >= demoShiftWeek {
				v -= 1.5 // the effect follows the old centre: the shift is drift, not signal
			}
			z += b * v
		}
		z += 1.8 * float64(x[demoPairA]) * float64(x[demoPairB])
		if week < demoFadeWeek {
			z += 1.4 * float64(x[demoFades])
		}
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			d.Labels[r] = 1
		}
	}
	return d
}

// writeDemoCSV writes rows with a header of the feature names and a
// "churned" label column.
func writeDemoCSV(path string, names []string, d nn.Labeled) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, n := range names {
		w.WriteString(n)
		w.WriteByte(',')
	}
	w.WriteString("churned\n")
	buf := make([]byte, 0, 32)
	for r := range d.Rows {
		for _, v := range d.X[r*demoFeatures : (r+1)*demoFeatures] {
			w.Write(strconv.AppendFloat(buf[:0], float64(v), 'g', -1, 32))
			w.WriteByte(',')
		}
		w.WriteString(strconv.Itoa(d.Labels[r]))
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
