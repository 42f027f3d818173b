// Package explore is an interactive latent explorer for any gdisent.Generator in a GoNB notebook: sliders over
// the latent codes, over a set of latent directions (SeFa, GANSpace, Latent Discovery, Jacobian directions: the
// columns of a D×K matrix) or along a curved path (the leading Jacobian direction followed step by step, Ramesh
// et al. 2018, "A Spectral Regularizer for Unsupervised Disentanglement"), a base sample drawn from the prior or
// encoded from a real image, and the generated image redrawn in place as a slider moves.
//
// The cell program keeps the generator (and its compiled graph) in memory and answers each slider event with one
// Generate call; the widget talks to it through GoNB's comms channel and shows the image with GoNB's
// display-update-by-id. The mapping from sliders to a latent vector is State, plain Go with no notebook
// dependency; Explorer adds rendering and export (plots.Save: PNG, SVG, PDF) and Explorer.Show the widget.
//
//	e, err := explore.New(model, explore.Options{Directions: dirs.Vectors})
//	stats, err := e.Show(context.Background()) // until Done is clicked
package explore
