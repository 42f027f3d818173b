// Package data provides the datasets used by gdisent: dSprites rendered procedurally on demand, MNIST read from
// IDX files, a 2D ring of Gaussians for mode-collapse studies, and readers for the IDX and .npy formats.
//
// dSprites (Matthey, Higgins, Hassabis & Lerchner 2017, "dSprites: Disentanglement testing Sprites dataset",
// https://github.com/deepmind/dsprites-dataset) is reproduced from its generative process: every combination of
// shape (3), scale (6), orientation (40), posX (32) and posY (32) appears once, in the original order, but the
// images are rasterised here rather than read from the 3 GB archive (see [DSprites] for the rasterisation).
//
// MNIST (LeCun, Bottou, Bengio & Haffner 1998, "Gradient-based learning applied to document recognition") is read
// from the original IDX files, gzipped or not; see [LoadMNIST].
//
// The ring of Gaussians follows Metz, Poole, Pfau & Sohl-Dickstein 2017 ("Unrolled Generative Adversarial
// Networks"); see [Ring].
//
// Images are flat float32 slices in row-major [N, H, W, C] order with values in [0, 1], as the models expect.
package data
