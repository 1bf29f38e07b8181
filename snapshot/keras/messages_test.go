package keras

import (
	"strings"
	"testing"
)

// TestBadStructureMessagesShowNoGoValues feeds the parser structures whose
// values have the wrong type: every refusal must quote what the file says,
// never a Go rendering such as <nil> or map[...].
func TestBadStructureMessagesShowNoGoValues(t *testing.T) {
	seq := func(layers string) string {
		return `{"class_name": "Sequential", "config": {"name": "s", "layers": [` + layers + `]}}`
	}
	k1 := func(layers string) string {
		return `{"class_name": "Sequential", "keras_version": "1.2.2", "config": [` + layers + `]}`
	}
	tests := []struct{ name, config string }{
		{"Dense units that is null", seq(`{"class_name": "Dense", "config": {"name": "d", "units": null, "batch_input_shape": [null, 3]}}`)},
		{"Dense units that is an object", seq(`{"class_name": "Dense", "config": {"name": "d", "units": {"a": 1}, "batch_input_shape": [null, 3]}}`)},
		{"Dense units that is a list", seq(`{"class_name": "Dense", "config": {"name": "d", "units": [1, null], "batch_input_shape": [null, 3]}}`)},
		{"Dense with no units at all", seq(`{"class_name": "Dense", "config": {"name": "d", "batch_input_shape": [null, 3]}}`)},
		{"an activation that is a list", seq(`{"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": [null], "input_dim": 3}}`)},
		{"an activation object with no name", seq(`{"class_name": "Activation", "config": {"name": "a", "activation": {"x": null}}}`)},
		{"a Dropout rate that is an object", seq(`{"class_name": "Dropout", "config": {"name": "r", "rate": {"v": null}}}`)},
		{"a BatchNormalization axis that is an object", seq(`{"class_name": "BatchNormalization", "config": {"name": "b", "axis": {"a": null}}}`)},
		{"an input shape that is an object", seq(`{"class_name": "Dense", "config": {"name": "d", "units": 2, "batch_input_shape": {"a": null}}}`)},
		{"an input shape with a null width", seq(`{"class_name": "Dense", "config": {"name": "d", "units": 2, "batch_input_shape": [null, null]}}`)},
		{"an input_dim that is an object", seq(`{"class_name": "Dense", "config": {"name": "d", "units": 2, "input_dim": {"a": null}}}`)},
		{"an input_dim that is a list", seq(`{"class_name": "Dense", "config": {"name": "d", "units": 2, "input_dim": [null]}}`)},
		{"a layer name that is an object", seq(`{"class_name": "Conv2D", "config": {"name": {"a": null}}}`)},
		{"a class name that is an object", `{"class_name": {"a": null}, "config": {}}`},
		{"a model class that is unknown", `{"class_name": "Graph", "config": {"a": null}}`},
		{"a layer that is a list", seq(`[null, {"a": 1}]`)},
		{"a layer config that is a list", seq(`{"class_name": "Dense", "config": [null]}`)},
		{"a Keras 1 Dense output_dim that is null", k1(`{"class_name": "Dense", "config": {"name": "dense_1", "output_dim": null, "input_dim": 3}}`)},
		{"a Keras 1 Dense output_dim that is an object", k1(`{"class_name": "Dense", "config": {"name": "dense_1", "output_dim": {"a": null}, "input_dim": 3}}`)},
		{"a Keras 1 Dropout p that is null", k1(`{"class_name": "Dropout", "config": {"name": "dropout_1", "p": null}}`)},
		{"a Keras 1 Merge layer", k1(`{"class_name": "Merge", "config": {"name": "merge_1", "layers": [null]}}`)},
		{"a functional model with object endpoints", `{"class_name": "Model", "config": {"name": "m", "layers": [{"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 2}, "inbound_nodes": [{"a": null}]}], "input_layers": {"a": null}, "output_layers": [null]}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused in the file's own terms", func(t *testing.T) {
			mc, err := parseStructure([]byte(tc.config))
			if err == nil {
				_, err = mc.weightBudget()
			}
			if err == nil {
				t.Fatal("accepted")
			}
			t.Log(err)
			if strings.Contains(tc.config, `"keras_version": "1.`) && !strings.Contains(err.Error(), "Keras 1") {
				t.Errorf("message %q does not say the file is a Keras 1 model", err)
			}
			for _, bad := range []string{"<nil>", "map[", "[]interface", "%!"} {
				if strings.Contains(err.Error(), bad) {
					t.Errorf("message %q contains %s", err, bad)
				}
			}
		})
	}
}
