// Package directions finds interpretable latent directions in pretrained generators and provides the spectral
// (Jacobian) view of a generator, all generic over a GoMLX generator graph function G: z [B, D] → x [B, ...].
//
// Closed-form / sampling methods (pure Go on gonum, after reading weights or sampling features):
//   - SeFa (Shen & Zhou, "Closed-Form Factorization of Latent Semantics in GANs", CVPR 2021): top eigenvectors
//     of W̃W̃ᵀ for the (column-normalised) weight W̃ [D, M] of the first layer that reads z.
//   - GANSpace (Härkönen et al., "GANSpace: Discovering Interpretable GAN Controls", NeurIPS 2020): PCA of a
//     feature over sampled z, components mapped back to z by least-squares regression (the non-StyleGAN path).
//
// Jacobian tools (Ramesh, Choi & LeCun, "A Spectral Regularizer for Unsupervised Disentanglement", 2018;
// Khrulkov & Oseledets 2018 for the iterative SVD): Jᵀu by one VJP, Jv by double-VJP or central differences,
// top-k right-singular vectors of J = ∂G/∂z by block power iteration on JᵀJ with QR and Rayleigh–Ritz, singular
// spectra, curved trajectories that follow the leading vector, and a spectral alignment regularizer (see
// SpectralAlignmentLoss for the exact loss; the paper's own form was not available and is UNVERIFIED).
//
// Learned methods (train steps built with gdisent/training's Step and per-scope Adam, whose state lives under
// training.OptimizerScope; G is frozen and runs in inference mode, so its batch-norm statistics do not move):
//   - Latent Discovery (Voynov & Babenko, "Unsupervised Discovery of Interpretable Directions in the GAN Latent
//     Space", ICML 2020): orthogonal A = expm(S − Sᵀ) (or linear A) and a reconstructor R(x, x') predicting the
//     direction index (cross-entropy) and the shift (L1, weight 0.25).
//   - Hessian Penalty (Peebles et al., "The Hessian Penalty: A Weak Prior for Unsupervised Disentanglement",
//     ECCV 2020): the unbiased finite-difference estimator as a loss term, and direction discovery over an
//     orthogonal A.
//   - An encoder trained post hoc on direction coordinates c = Aᵀz of generated images (Locatello-style two-stage
//     protocol), exposed as a metrics.Encoder.
//
// Conventions: directions are the columns of a D×k gonum matrix with unit norm. The generator must be
// per-example (no batch statistics): call it in inference mode. Extra generator calls use ctx.Reuse(), so G's
// variables must already exist in ctx (trained, loaded, or created by an earlier call in the same graph).
// Public functions that run graphs never panic: GoMLX exceptions come back as errors. Graph-building functions
// (those taking *Node) panic GoMLX-style on invalid input, like any GoMLX layer.
package directions
