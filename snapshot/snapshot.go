package snapshot

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tracker-ml/tracker/internal/quote"
)

// Layer classes the loader accepts and the engine runs.
const (
	ClassDense              = "Dense"
	ClassActivation         = "Activation"
	ClassDropout            = "Dropout"
	ClassBatchNormalization = "BatchNormalization"
	ClassFlatten            = "Flatten"
)

// Activations lists the activation functions a Dense or Activation layer may use.
var Activations = []string{
	"linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "softplus",
	"softsign", "hard_sigmoid", "swish", "silu", "gelu", "exponential",
}

// Errors returned by New; match them with errors.Is.
var (
	// ErrInvalid marks an architecture or weight set that does not form a
	// runnable chain (wrong shape, wrong tensor count, unknown class).
	ErrInvalid = errors.New("invalid model")
	// ErrNonFinite marks weights that hold NaN or Inf.
	ErrNonFinite = errors.New("non-finite weights")
)

// Spec is a layer's architecture without its weights. Only the fields that
// matter for its class are set; the zero value of the others is omitted from
// the encoding so the hash does not depend on irrelevant fields.
type Spec struct {
	Name       string  `json:"name"`
	Class      string  `json:"class"`
	Units      int     `json:"units,omitempty"`      // Dense
	Activation string  `json:"activation,omitempty"` // Dense, Activation
	UseBias    bool    `json:"use_bias,omitempty"`   // Dense
	Rate       float64 `json:"rate,omitempty"`       // Dropout
	Epsilon    float64 `json:"epsilon,omitempty"`    // BatchNormalization
	Center     bool    `json:"center,omitempty"`     // BatchNormalization: has beta
	Scale      bool    `json:"scale,omitempty"`      // BatchNormalization: has gamma

	// The fields below are settings a writer needs to give the model back
	// in the form it was read, but that the engine does not run on. They
	// are tagged "-" so they stay out of the content hash (stored hashes
	// depend on the exact spec JSON, and a momentum or a wiring change
	// leaves predictions alone); the store keeps them in fields of their
	// own. A version stored before they were kept has them zero, and
	// writers fall back to Keras's defaults.

	// Momentum is BatchNormalization's moving-average momentum; zero means
	// not known.
	Momentum float64 `json:"-"`
	// Inbound names the layer that feeds this one when the source was a
	// functional model (the InputLayer's name for the first layer); it is
	// empty when the source was Sequential or is not known.
	Inbound string `json:"-"`
}

// Tensor is one named weight array of a layer, in row-major order.
// Dense kernels are (inputs, units), as Keras stores them.
type Tensor struct {
	Name  string // role within the layer: kernel, bias, gamma, beta, moving_mean, moving_variance
	Shape []int
	Data  []float32
}

// Size is the number of elements the shape describes.
func (t Tensor) Size() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Layer is a Spec with its weights.
type Layer struct {
	Spec
	Weights []Tensor
}

// Params counts the layer's weights.
func (l Layer) Params() int {
	n := 0
	for _, t := range l.Weights {
		n += len(t.Data)
	}
	return n
}

// Source is one file a snapshot was read from.
type Source struct {
	Role   string `json:"role"` // structure, weights or model
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Meta describes where a snapshot came from. It is not part of the hash.
type Meta struct {
	Format       string   `json:"format"` // for example keras2-json+weights-h5
	KerasVersion string   `json:"keras_version"`
	Backend      string   `json:"backend"`
	Sources      []Source `json:"sources"`
}

// Snapshot is an immutable, validated model version.
type Snapshot struct {
	inputs int
	layers []Layer
	meta   Meta
	hash   [sha256.Size]byte
}

// New checks that layers form a runnable chain fed by inputs features and
// returns the snapshot. It copies nothing: the caller hands over ownership
// of the tensors and must not change them afterwards.
func New(inputs int, layers []Layer, meta Meta) (*Snapshot, error) {
	if inputs <= 0 {
		return nil, fmt.Errorf("%w: the model has %d inputs", ErrInvalid, inputs)
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("%w: the model has no layers", ErrInvalid)
	}
	width := inputs
	dense := 0
	for i := range layers {
		w, err := checkLayer(&layers[i], width)
		if err != nil {
			return nil, err
		}
		if layers[i].Class == ClassDense {
			dense++
		}
		width = w
	}
	if dense == 0 {
		return nil, fmt.Errorf("%w: the model has no Dense layer", ErrInvalid)
	}
	s := &Snapshot{inputs: inputs, layers: layers, meta: meta}
	s.hash = contentHash(inputs, layers)
	return s, nil
}

// checkLayer validates one layer fed by width values and returns its output width.
func checkLayer(l *Layer, width int) (int, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: layer %s (%s): %s", ErrInvalid, quote.Short(l.Name), quote.Cut(l.Class, 40), fmt.Sprintf(format, args...))
	}
	if l.Name == "" {
		return 0, fmt.Errorf("%w: a %s layer has no name", ErrInvalid, quote.Short(l.Class))
	}
	want := func(names ...string) error {
		if len(l.Weights) != len(names) {
			return bad("has %d weight tensors, want %d (%v)", len(l.Weights), len(names), names)
		}
		for i, n := range names {
			if l.Weights[i].Name != n {
				return bad("weight %d is %s, want %q", i, quote.Short(l.Weights[i].Name), n)
			}
			if l.Weights[i].Size() != len(l.Weights[i].Data) {
				return bad("weight %q has shape %v but %d values", n, l.Weights[i].Shape, len(l.Weights[i].Data))
			}
		}
		return nil
	}
	switch l.Class {
	case ClassDense:
		if l.Units <= 0 {
			return 0, bad("has %d units", l.Units)
		}
		if !slices.Contains(Activations, l.Activation) {
			return 0, bad("activation %s is not supported (supported: %s)", quote.Short(l.Activation), strings.Join(Activations, ", "))
		}
		names := []string{"kernel"}
		if l.UseBias {
			names = append(names, "bias")
		}
		if err := want(names...); err != nil {
			return 0, err
		}
		if k := l.Weights[0].Shape; !slices.Equal(k, []int{width, l.Units}) {
			return 0, bad("kernel has shape %v, want [%d %d] (inputs from the layer before, units)", k, width, l.Units)
		}
		if l.UseBias && !slices.Equal(l.Weights[1].Shape, []int{l.Units}) {
			return 0, bad("bias has shape %v, want [%d]", l.Weights[1].Shape, l.Units)
		}
		return l.Units, nil
	case ClassActivation:
		if !slices.Contains(Activations, l.Activation) {
			return 0, bad("activation %s is not supported (supported: %s)", quote.Short(l.Activation), strings.Join(Activations, ", "))
		}
		return width, want()
	case ClassDropout:
		if l.Rate < 0 || l.Rate >= 1 {
			return 0, bad("rate %v is outside [0, 1)", l.Rate)
		}
		return width, want()
	case ClassFlatten:
		return width, want()
	case ClassBatchNormalization:
		if !(l.Epsilon > 0) {
			return 0, bad("epsilon %v is not positive", l.Epsilon)
		}
		var names []string
		if l.Scale {
			names = append(names, "gamma")
		}
		if l.Center {
			names = append(names, "beta")
		}
		names = append(names, "moving_mean", "moving_variance")
		if err := want(names...); err != nil {
			return 0, err
		}
		for _, t := range l.Weights {
			if !slices.Equal(t.Shape, []int{width}) {
				return 0, bad("%s has shape %v, want [%d]", t.Name, t.Shape, width)
			}
		}
		return width, nil
	}
	return 0, bad("layer class %s is not supported (supported: Dense, Activation, Dropout, BatchNormalization, Flatten)", quote.Cut(l.Class, 40))
}

// CheckFinite reports the first NaN or Inf weight, naming layer, tensor and index.
func (s *Snapshot) CheckFinite() error {
	for _, l := range s.layers {
		for _, t := range l.Weights {
			bad, first := 0, -1
			for i, v := range t.Data {
				if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
					if first < 0 {
						first = i
					}
					bad++
				}
			}
			if bad > 0 {
				return fmt.Errorf("%w: layer %s weight %s has %d NaN or Inf values (first at flat index %d, value %v)",
					ErrNonFinite, quote.Short(l.Name), quote.Short(t.Name), bad, first, t.Data[first])
			}
		}
	}
	return nil
}

// Inputs is the number of input features.
func (s *Snapshot) Inputs() int { return s.inputs }

// Outputs is the width of the last layer.
func (s *Snapshot) Outputs() int {
	w := s.inputs
	for _, l := range s.layers {
		if l.Class == ClassDense {
			w = l.Units
		}
	}
	return w
}

// Layers returns the layers in order. The slice and its tensors are shared:
// do not modify them.
func (s *Snapshot) Layers() []Layer { return s.layers }

// Meta returns where the snapshot came from.
func (s *Snapshot) Meta() Meta { return s.meta }

// Params is the total number of weights.
func (s *Snapshot) Params() int {
	n := 0
	for _, l := range s.layers {
		n += l.Params()
	}
	return n
}

// Hash is the hex SHA-256 of the architecture and the bits of every weight.
func (s *Snapshot) Hash() string { return hex.EncodeToString(s.hash[:]) }

// ShortHash is the first 12 hex digits of Hash, enough to tell versions apart.
func (s *Snapshot) ShortHash() string { return s.Hash()[:12] }

// Specs returns the architecture without weights.
func (s *Snapshot) Specs() []Spec {
	specs := make([]Spec, len(s.layers))
	for i, l := range s.layers {
		specs[i] = l.Spec
	}
	return specs
}

// hashVersion names the encoding contentHash uses; bump it only with a
// store migration, since stored hashes depend on it.
const hashVersion = "tracker-snapshot-v1"

// contentHash hashes inputs, each layer's Spec as JSON, and each tensor's
// name, shape and little-endian float32 bits.
func contentHash(inputs int, layers []Layer) [sha256.Size]byte {
	h := sha256.New()
	var buf [8]byte
	putInt := func(v int) {
		binary.LittleEndian.PutUint64(buf[:], uint64(v))
		h.Write(buf[:])
	}
	putBytes := func(b []byte) {
		putInt(len(b))
		h.Write(b)
	}
	putBytes([]byte(hashVersion))
	putInt(inputs)
	putInt(len(layers))
	for _, l := range layers {
		spec, err := json.Marshal(l.Spec)
		if err != nil {
			panic(err) // a Spec always marshals
		}
		putBytes(spec)
		putInt(len(l.Weights))
		for _, t := range l.Weights {
			putBytes([]byte(t.Name))
			putInt(len(t.Shape))
			for _, d := range t.Shape {
				putInt(d)
			}
			putBytes(Float32Bytes(t.Data))
		}
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// Float32Bytes encodes values as little-endian IEEE 754 bits.
func Float32Bytes(values []float32) []byte {
	b := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

// BytesFloat32 decodes little-endian IEEE 754 bits; len(b) must be a multiple of 4.
func BytesFloat32(b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("%d bytes is not a whole number of float32 values", len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}
