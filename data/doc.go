// Package data provides the datasets used by gdisent: dSprites rendered procedurally on demand and its colour and
// noise variants, the published ground-truth sets read from files (dSprites, SmallNORB, Cars3D, 3D Shapes,
// MPI3D, or any set converted to a simple .npz layout), MNIST read from IDX files, a 2D ring of Gaussians for
// mode-collapse studies, and readers for the IDX, .npy and .npz formats.
//
// dSprites (Matthey, Higgins, Hassabis & Lerchner 2017, "dSprites: Disentanglement testing Sprites dataset",
// https://github.com/deepmind/dsprites-dataset) is reproduced from its generative process: every combination of
// shape (3), scale (6), orientation (40), posX (32) and posY (32) appears once, in the original order, but the
// images are rasterised here rather than read from the 3 GB archive (see [DSprites] for the rasterisation).
// [LoadDSpritesFile] reads the archive itself when the original pixels matter. color-dSprites and noisy-dSprites
// ([NewColorDSprites], [NewNoisyDSprites]) follow disentanglement_lib (Locatello et al. 2019).
//
// # Datasets from files
//
// Every file-backed set is a [GridDataset]: one image per combination of factor classes, which is what the
// disentanglement metrics need. [Open] takes a path (or a procedural name, see [Named]) and detects the format:
//
//	dSprites     dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz as distributed (streamed, kept as bits)
//	SmallNORB    the directory of the six official smallnorb-*-{dat,cat,info}.mat files (.gz or not), read
//	             natively; images resized to 64×64; factors category 5, elevation 9, azimuth 18, lighting 6,
//	             with the instance (10) a nuisance
//	MPI3D        mpi3d_toy.npz / mpi3d_realistic.npz / mpi3d_real.npz as distributed (images in grid order;
//	             factors colour, shape, size, camera height, background, two arm axes: 4 (6), 4 (6), 2, 3, 3, 40, 40)
//	Cars3D       converted, see below: elevation 4, azimuth 24, object 183, 64×64×3
//	3D Shapes    converted, see below: floor hue 10, wall hue 10, object hue 10, scale 8, shape 4,
//	             orientation 15, 64×64×3
//	anything     an .npz in the data.NPZLayout: images plus factor classes (or values), or images in grid order
//
// Cars3D and 3D Shapes come as MATLAB and HDF5 files, for which Go has no reader; one Python line each converts
// them to the .npz layout (numpy.savez stores the images uncompressed, so they are read lazily from the file):
//
//	# Cars3D (Reed et al. 2015; the cars/*.mat files of nips2015-analogy-data): grid order elevation, azimuth, car
//	python -c "import glob,numpy as np,scipy.io as s;from PIL import Image as I;fs=sorted(glob.glob('cars/*.mat'));x=np.stack([np.stack([np.asarray(I.fromarray(m[:,:,:,a,e]).resize((64,64),I.LANCZOS)) for e in range(4) for a in range(24)]) for m in (s.loadmat(f)['im'] for f in fs)]);np.savez('cars3d.npz',images=x.reshape(len(fs),4,24,64,64,3).transpose(1,2,0,3,4,5).reshape(-1,64,64,3))"
//	# 3D Shapes (Burgess & Kim 2018): images and per-image factor values, as in the HDF5 file
//	python -c "import h5py,numpy as np;f=h5py.File('3dshapes.h5','r');np.savez('3dshapes.npz',images=f['images'][()],labels=f['labels'][()])"
//	# optional: MPI3D uncompressed, to read its 12 GB of images lazily instead of inflating them into memory
//	python -c "import numpy as np;np.savez('mpi3d_toy_stored.npz',images=np.load('mpi3d_toy.npz')['images'])"
//
// The file name picks the preset (cars, 3dshapes or shapes3d, mpi3d, mpi3d_real), which names the factors and
// checks the published grid; other names load generically.
//
// MNIST (LeCun, Bottou, Bengio & Haffner 1998, "Gradient-based learning applied to document recognition") is read
// from the original IDX files, gzipped or not; see [LoadMNIST].
//
// The ring of Gaussians follows Metz, Poole, Pfau & Sohl-Dickstein 2017 ("Unrolled Generative Adversarial
// Networks"); see [Ring].
//
// Images are flat float32 slices in row-major [N, H, W, C] order with values in [0, 1], as the models expect.
package data
