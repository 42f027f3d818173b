// Package plots makes paper-quality figures for disentanglement experiments on
// top of gonum.org/v1/plot: image grids and latent traversals (also as animated
// GIFs), training curves, scatter plots, bar charts, heatmaps and
// singular-value spectra, alone or as aligned panels on shared axes.
//
// Every builder returns a *plot.Plot (or a small plot.Plotter that can be added
// to one), so figures can be customised with the usual gonum idioms before
// being written with [Save] / [Bytes] or shown inline in a GoNB notebook with
// [Display] / [DisplayUpdate].
//
// All text uses one typeface, [Font] (Liberation Sans, shipped with gonum), and
// SVG and PDF files embed it, so figures look the same on every machine.
// Legends sit beside the data area, never over the data.
package plots
