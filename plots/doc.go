// Package plots makes paper-quality figures for disentanglement experiments on
// top of gonum.org/v1/plot: image grids and latent traversals, training curves,
// scatter plots, bar charts, heatmaps and singular-value spectra.
//
// Every builder returns a *plot.Plot (or a small plot.Plotter that can be added
// to one), so figures can be customised with the usual gonum idioms before
// being written with [Save] / [Bytes] or shown inline in a GoNB notebook with
// [Display] / [DisplayUpdate].
package plots
