// Package metrics scores any representation against ground-truth factors of variation with the standard
// disentanglement metrics, under either of two published protocols:
//
//   - BetaVAE score (Higgins et al. 2017, "β-VAE: learning basic visual concepts with a constrained variational
//     framework"),
//   - FactorVAE score (Kim & Mnih 2018, "Disentangling by factorising"),
//   - MIG, mutual information gap (Chen et al. 2018, "Isolating sources of disentanglement in VAEs"),
//   - DCI disentanglement, completeness and informativeness (Eastwood & Williams 2018, "A framework for the
//     quantitative evaluation of disentangled representations"),
//   - SAP, separated attribute predictability (Kumar et al. 2018, "Variational inference of disentangled latent
//     concepts from unlabeled observations"),
//   - Modularity and Explicitness (Ridgeway & Mozer 2018, "Learning deep disentangled embeddings with the
//     F-statistic loss"),
//   - IRS, interventional robustness score (Suter et al. 2019, "Robustly disentangled causal mechanisms:
//     validating deep representations for interventional robustness"),
//   - the unsupervised scores (Gaussian total correlation, Gaussian Wasserstein correlation, mutual information
//     score) and the downstream task scores (Locatello et al. 2019, "Challenging common assumptions in the
//     unsupervised learning of disentangled representations"),
//   - Fairness (Locatello et al. 2019, "On the fairness of disentangled representations").
//
// Protocols (Config.Protocol):
//
//   - DisentanglementLib (default): the settings of disentanglement_lib's unsupervised_study_v1 (and of its
//     fairness_study_v1 for fairness) — 10,000 train / 5,000 test points, L = 64 per FactorVAE/BetaVAE vote,
//     20-bin histograms, prune threshold 0.05, GBT for DCI, LinearSVC SAP on discrete factors; scores are held-out
//     (eval) accuracies.
//   - InfoGANCR: the protocol behind the published InfoGAN-CR numbers (Lin et al. 2020, "InfoGAN-CR and
//     ModelCentrality: self-supervised model training and selection for disentangling GANs"): FactorVAE and
//     BetaVAE on 500 groups of L = 100 (group i fixes factor i mod K), normalising variances from 73,728 random
//     samples, training accuracy; one sample set of 73,728 for the other metrics with train = test; continuous
//     SAP (R²) for the factors flagged in Config.ContinuousFactors; DCI from Lasso(α = 0.02) on z-normalised data
//     with completeness averaged uniformly. IRS, the unsupervised, downstream and fairness scores are not part of
//     InfoGAN-CR's protocol; under it they use its sample set.
//
// Classifiers. Both protocols' published numbers were computed with scikit-learn ≤ 0.21, so both presets use that
// version's models: LogisticRegression() was liblinear one-vs-rest with a penalised intercept (Config.LogReg =
// LogRegLiblinear, the default under both protocols; it scores Explicitness 0.04–0.06 lower than the multinomial
// L-BFGS default of scikit-learn ≥ 0.22, LogRegLBFGS, which is there to compare with a current scikit-learn), and
// LogisticRegressionCV was one-vs-rest. Gradient-boosted trees use exact splits as scikit-learn's
// GradientBoostingClassifier (Config.GBT.ApproxBins switches to faster, approximate histogram splits). Rather than
// a separate "published" preset, the protocol presets themselves are the published configurations: a number
// computed with DefaultConfig() or InfoGANCRConfig() can stand beside the paper's.
//
// Inputs: MIG, DCI, SAP, Modularity, Explicitness, IRS, the unsupervised and the downstream scores need only
// samples (codes n×D, factor classes n×K) and have array entry points (RunArrays, MIG, DCI, ...); BetaVAE,
// FactorVAE and fairness need interventions and take an Encoder and a FactorSource (Evaluate, BetaVAE, FactorVAE,
// Fairness). All randomness comes from math/rand/v2 PCG streams derived from Config.Seed, so results are
// deterministic for a deterministic encoder.
//
// Mutual information is computed here from contingency tables, in nats. The classifiers live in the classify
// sub-package; their deviations from scikit-learn are documented there. README.md beside this file tabulates every
// metric with its protocol defaults and how it was checked.
package metrics
