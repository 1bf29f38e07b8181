// Package dataset reads the outside files a method runs on: a data CSV
// (comma or semicolon, with or without a header) streamed into float32
// rows with an optional label column, and a feature-names file. Every
// refusal names the file, row, line and column, and never a command-line
// flag: the CLI adds the flag that fixes it.
package dataset
