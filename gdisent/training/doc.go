// Package training is gdisent's training loop: compiled train steps that minimise named losses with one Adam per
// context scope, a Loop with loss History, progress Reporters for the terminal and GoNB notebooks, non-finite loss
// detection, and atomic, exactly resumable checkpoints.
//
// The pieces, and how models use them:
//
//   - Adam (Kingma & Ba 2015, arXiv:1412.6980) updates only the trainable variables under one context scope and
//     keeps its own state, so a GAN's generator, discriminator, Q head or InfoGAN-CR's contrastive discriminator
//     (Lin et al. 2020, arXiv:1906.06034) each get their own optimiser; Adam.Reset re-initialises a network's
//     weights and its optimiser state mid-training.
//   - Step compiles a StepFn into one graph: it logs scalars (Outputs.Log) and minimises losses
//     (Outputs.Minimize). A step whose logged values are not all finite leaves every variable unchanged.
//   - Loop runs a user StepFunc: it hands it a random source derived from (seed, step), records a History,
//     reports progress, stops on NaN/Inf with a *NonFiniteError naming the step and the loss, and writes
//     checkpoints (variables, optimiser state, RNG state, step and history) that resume bit-exactly.
//
// Hyperparameters are read from the context (ctx.SetParams / context.GetParamOr), e.g. "learning_rate",
// "adam_beta1", "adam_beta2", "adam_epsilon" for Adam (scoped: ctx.In("discriminator").SetParam(...) only
// affects that network), and "seed", "checkpoint_dir", "checkpoint_every", "checkpoint_keep" for the Loop.
package training
