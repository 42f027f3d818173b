package data

// ImageShape is [1 1 2]: gdisent.Dataset sees each point of the ring as a 1×1 observation with two channels
// (x, y), the layout of low-dimensional data in the GAN models (infogan.RingConfig). SampleImages's n×2 points are
// exactly these n observations, row-major.
func (g Ring) ImageShape() [3]int { return [3]int{1, 1, 2} }
