package keras

import (
	"os"
	"path/filepath"
	"testing"
)

// structureSeeds are small structure files in each dialect parseStructure
// reads: Keras 2.0 list-form Sequential, Keras 2.2 dict form, Keras 3 with
// module/registered_name, a functional chain, and to_yaml output.
var structureSeeds = []string{
	`{"class_name": "Sequential", "config": [{"class_name": "Dense", "config": {"name": "d1", "units": 3, "activation": "relu", "use_bias": true, "batch_input_shape": [null, 4]}}], "keras_version": "2.0.8", "backend": "tensorflow"}`,
	`{"class_name": "Sequential", "config": {"name": "sequential_1", "layers": [{"class_name": "Dense", "config": {"name": "dense_1", "units": 12, "activation": "relu", "batch_input_shape": [null, 8]}}, {"class_name": "Dropout", "config": {"name": "dropout_1", "rate": 0.2}}, {"class_name": "Dense", "config": {"name": "dense_2", "units": 1, "activation": "sigmoid"}}]}, "keras_version": "2.2.4", "backend": "tensorflow"}`,
	`{"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "layers": [{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 8], "name": "input_layer"}, "registered_name": null}, {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": 2, "activation": {"module": "keras.activations", "class_name": "function", "config": "softmax"}}, "registered_name": null}]}, "registered_name": null}`,
	`{"class_name": "Functional", "config": {"name": "model", "layers": [{"class_name": "InputLayer", "name": "in", "config": {"batch_input_shape": [null, 5], "name": "in"}, "inbound_nodes": []}, {"class_name": "BatchNormalization", "name": "bn", "config": {"name": "bn", "axis": -1, "epsilon": 0.001, "center": true, "scale": true}, "inbound_nodes": [[["in", 0, 0, {}]]]}, {"class_name": "Dense", "name": "out", "config": {"name": "out", "units": 2, "activation": "softmax"}, "inbound_nodes": [[["bn", 0, 0, {}]]]}], "input_layers": [["in", 0, 0]], "output_layers": [["out", 0, 0]]}}`,
	"class_name: Sequential\nconfig:\n- class_name: Dense\n  config: {name: dense_1, units: 3, activation: tanh, batch_input_shape: [null, 2]}\nkeras_version: 2.2.4\n",
	`{"class_name": "Sequential", "config": {"layers": [{"class_name": "LSTM", "config": {"name": "lstm_1", "units": 4}}]}}`,
	`{"class_name":"Sequential","config":[{"class_name":"Dense","config":{"name":"d","units":3,"input_dim":-3}}]}`,
	`{"class_name":"Sequential","config":[{"class_name":"Dense","config":{"name":"d","units":3,"batch_input_shape":[null,1e300]}}]}`,
	`[1, 2, 3]`,
	``,
}

// FuzzParseStructure feeds parseStructure arbitrary bytes: it must never
// panic, and whatever it accepts must be a usable chain.
func FuzzParseStructure(f *testing.F) {
	for _, s := range structureSeeds {
		f.Add([]byte(s))
	}
	// The structure files Keras wrote, when the shared fixtures are beside
	// the checkout: they steer the fuzzer towards real configs.
	matches, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "fixtures", "keras", "*", "*.json"))
	for _, m := range matches {
		if b, err := os.ReadFile(m); err == nil && len(b) < 1<<16 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		mc, err := parseStructure(data)
		if err != nil {
			return
		}
		if len(mc.layers) == 0 {
			t.Fatal("accepted a config with no layers")
		}
		if mc.inputs < 0 {
			t.Fatalf("accepted a negative input width %d", mc.inputs)
		}
		for _, l := range mc.layers {
			if l.class == "InputLayer" {
				t.Fatal("InputLayer left in the chain")
			}
			if l.order < 0 || l.order >= len(mc.all) {
				t.Fatalf("layer %q has order %d outside the %d config layers", l.name, l.order, len(mc.all))
			}
		}
	})
}
