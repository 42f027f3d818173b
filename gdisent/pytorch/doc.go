// Package pytorch imports generators trained in PyTorch, so that gdisent's post-hoc direction methods
// (gdisent/directions: SeFa, GANSpace, Latent Discovery, Jacobian SVD and trajectories, Hessian penalty,
// coordinate encoders) run on them with exact gradients.
//
// # The route used: weights into gdisent/nn layers
//
// Save the generator's state_dict in PyTorch,
//
//	from safetensors.torch import save_file
//	save_file(G.state_dict(), "g.safetensors")
//	# or, without the safetensors package:
//	np.savez("g.npz", **{k: v.detach().cpu().numpy() for k, v in G.state_dict().items()})
//
// describe its architecture with a Config (DCGAN and LinearDCGAN cover the usual DCGAN generators of Radford et
// al. 2016), and Load it:
//
//	g, err := pytorch.Load(backend, "g.safetensors", pytorch.DCGAN(100, 64, 3, 64))
//	imgs, err := g.Generate(z, n)                 // gdisent.Generator: NHWC float32
//	w, err := g.LatentWeight()                    // SeFa's matrix
//	jt, err := directions.NewJacobianTool(backend, g.Context(), g.Graph, g.LatentDim(), directions.JacobianOptions{})
//
// ReadSafetensors reads .safetensors (an 8-byte little-endian header length, a JSON header giving each tensor's
// dtype, shape and byte range, then raw little-endian data; F32, F16, BF16 and F64 are converted to float32) and
// ReadNPZ reads np.savez/np.savez_compressed archives (through gdisent/data's .npy reader). PyTorch's own .pt
// pickles are not read (that needs Python).
//
// The layers are gdisent/nn's im2col convolutions, never GoMLX's native convolution, whose input gradient is
// wrong for even kernels (the DCGAN 4×4) in GoMLX v0.26 and which has no second-order gradient; with gdisent/nn
// the Jacobian-vector products by double VJP that the direction methods use are exact. Layouts are converted
// when the weights are loaded:
//   - nn.Linear weight (out, in) → Dense [in, out]; its output, in PyTorch's (c, h, w) order, is viewed as
//     [C, H, W] and transposed to NHWC (a BatchNorm1d over the features is applied before the view);
//   - nn.ConvTranspose2d weight (in, out, kH, kW) → [kH, kW, in, out], no kernel flip: nn.ConvTranspose2D has
//     PyTorch's definition (input i reaches output i·stride − padding + t through tap t), padding crops, and
//     output_padding adds rows at the bottom/right (supported up to the padding);
//   - nn.Conv2d weight (out, in, kH, kW) → [kH, kW, in, out] (both cross-correlations);
//   - nn.BatchNorm1d/2d weight, bias, running_mean, running_var → scale, offset, mean, variance, always in eval
//     mode with Config.Eps (PyTorch's eps is not in the state_dict; default 1e-5); num_batches_tracked is ignored;
//   - nn.Upsample(scale_factor=f, mode="nearest") → nn.UpsampleNearest.
//
// Images come out NHWC ([n, H, W, C]): PyTorch's NCHW output permuted by (0, 2, 3, 1) (ToNHWC and ToNCHW convert
// host slices). Wrong names, shapes or layouts (a Conv2d weight where a ConvTranspose2d was described, a
// transposed Linear, an HWIO kernel, a BatchNorm1d/2d mix-up, a missing prefix) are reported together in one
// error naming each tensor and what was expected; Config.Tensors lists what a Config expects.
//
// # The other route: ONNX (not used)
//
// github.com/gomlx/onnx-gomlx v0.3.4 (the release built on GoMLX v0.26) converts ONNX graphs to GoMLX. Checked
// against DCGAN generators exported by torch.onnx (opset 13), it lacks:
//   - ConvTranspose, which every DCGAN generator needs ("unimplemented ONNX op" at the first layer);
//   - LeakyRelu, Sigmoid and Resize (nn.Upsample), which the upsample-and-convolve variants need;
//   - and its Conv lowers to GoMLX's native convolution, with the even-kernel input-gradient error and no
//     second-order gradient described above, so even a Conv-only generator would give wrong Jacobians.
//
// It also fixes the batch size at export unless dynamic_axes are given, and torch 1.13 cannot export
// nn.Unflatten. It would read any architecture without a Config, so it becomes the better route once those ops
// exist and lower to gdisent/nn-style convolutions; it is not a dependency of gdisent.
package pytorch
