package quality

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// lcg is the generator testdata/gen_reference.py draws its cases from
// (Knuth's MMIX constants); uniform is the top 53 bits over 2^53.
type lcg uint64

func (g *lcg) uniform() float64 {
	*g = *g*6364136223846793005 + 1442695040888963407
	return float64(uint64(*g)>>11) / 9007199254740992.0
}

// refCase is one case of testdata/sklearn_reference.json: how to build
// its rows, and scikit-learn's answers.
type refCase struct {
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	Seed     uint64   `json:"seed"`
	N        int      `json:"n"`
	K        int      `json:"k"`
	Base     float64  `json:"base"`
	Strength float64  `json:"strength"`
	Noise    float64  `json:"noise"`
	Round    float64  `json:"round"`
	Constant *float64 `json:"constant"`
	Perfect  bool     `json:"perfect"`

	Checksum float64 `json:"checksum"`
	Accuracy float64 `json:"accuracy"`
	LogLoss  float64 `json:"log_loss"`
	AUC      float64 `json:"auc"`
	Brier    float64 `json:"brier"`
}

// rows builds the case's predictions and labels exactly as the script
// does, step for step (explicit float64 conversions keep Go from fusing a
// multiply and an add, which Python never does).
func (c refCase) rows() ([]float64, []int) {
	g := lcg(c.Seed)
	k := 2
	if c.Kind == "multi" {
		k = c.K
	}
	probs := make([]float64, 0, c.N*k)
	labels := make([]int, 0, c.N)
	for range c.N {
		if c.Kind == "binary" {
			y := 0
			if g.uniform() < c.Base {
				y = 1
			}
			var p float64
			switch {
			case c.Perfect:
				p = float64(y)
			case c.Constant != nil:
				p = *c.Constant
			default:
				noise := float64(float64(g.uniform()+g.uniform()+g.uniform())-1.5) * c.Noise
				z := float64(float64(2*y-1)*c.Strength) + noise
				p = 0.5 + float64(0.5*z)/(1+math.Abs(z))
				if c.Round != 0 {
					p = math.Floor(float64(p*c.Round)+0.5) / c.Round
				}
			}
			probs = append(probs, 1-p, p)
			labels = append(labels, y)
			continue
		}
		y := int(math.Floor(g.uniform() * float64(k)))
		row := make([]float64, k)
		if c.Perfect {
			row[y] = 1
		} else {
			s := 0.0
			for j := range row {
				v := g.uniform()
				if j == y {
					v += c.Strength
				}
				row[j] = v * v
			}
			for _, v := range row {
				s += v
			}
			for j := range row {
				row[j] /= s
			}
		}
		probs = append(probs, row...)
		labels = append(labels, y)
	}
	return probs, labels
}

func readReference(t testing.TB) []refCase {
	t.Helper()
	b, err := os.ReadFile("testdata/sklearn_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Sklearn string    `json:"sklearn"`
		Cases   []refCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) < 8 {
		t.Fatalf("reference has %d cases, want the script's 10", len(ref.Cases))
	}
	return ref.Cases
}

// relClose reports whether got is want within rel relative, or within rel
// absolute of a want under 1 in size (a log loss of 1e-7 is compared on
// the scale of its own digits, not of 1).
func relClose(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Abs(want) || (want == 0 && math.Abs(got) <= rel)
}

// TestAgreesWithScikitLearn checks accuracy, log loss, AUC (binary and
// macro one-vs-rest) and Brier against scikit-learn's answers for the
// same rows, within 1e-9 relative. The rows are rebuilt here from the
// script's seeds; the checksum proves they are the script's rows.
func TestAgreesWithScikitLearn(t *testing.T) {
	const rel = 1e-9
	worst := 0.0
	for _, c := range readReference(t) {
		t.Run(c.Name, func(t *testing.T) {
			probs, labels := c.rows()
			k := len(probs) / len(labels)
			sum := 0.0
			for i, p := range probs {
				sum += p * float64(i%k+1)
			}
			for _, y := range labels {
				sum += float64(y)
			}
			if !relClose(sum, c.Checksum, 1e-12) {
				t.Fatalf("rows' checksum %v, the script's %v: reference_test.go no longer builds the script's rows", sum, c.Checksum)
			}
			m, err := Evaluate(probs, k, labels)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range []struct {
				name      string
				got, want float64
			}{
				{"accuracy_score", m.Accuracy, c.Accuracy},
				{"log_loss", m.LogLoss, c.LogLoss},
				{"roc_auc_score", m.AUC, c.AUC},
				{"brier_score_loss", m.Brier, c.Brier},
			} {
				if !relClose(v.got, v.want, rel) {
					t.Errorf("%s: quality %.17g, scikit-learn %.17g", v.name, v.got, v.want)
				}
				if v.want != 0 {
					worst = max(worst, math.Abs(v.got-v.want)/math.Abs(v.want))
				}
			}
		})
	}
	t.Logf("largest relative difference from scikit-learn: %.3g", worst)
}
