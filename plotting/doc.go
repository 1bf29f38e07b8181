// Package plotting draws importance charts (trajectories across weeks, week
// comparisons, heatmaps) from plain series types with gonum.org/v1/plot,
// writing PNG or SVG to an io.Writer. It imports no other tracker package.
package plotting
