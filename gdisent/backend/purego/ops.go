package purego

import (
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/pkg/errors"
)

// reverseGatherThreshold is the axis length above which Reverse uses one Gather instead of per-element slices.
const reverseGatherThreshold = 16

// Compile implements backends.Builder and drops the rewrite bookkeeping.
func (b *Builder) Compile(outputs []backends.Op, shardings []*backends.ShardingSpec) (backends.Executable, error) {
	b.views, b.muls = nil, nil
	return b.Builder.Compile(outputs, shardings)
}

// Reverse implements backends.Builder: x with the listed axes reversed. Short axes are reversed by one Slice per
// element and a Concatenate in reverse order; long axes by a Gather with constant reversed indices.
func (b *Builder) Reverse(x backends.Op, axes ...int) (backends.Op, error) {
	shape, err := b.OpShape(x)
	if err != nil {
		return nil, errors.WithMessage(err, "purego Reverse")
	}
	rank := shape.Rank()
	seen := make([]bool, rank)
	for _, axis := range axes {
		if axis < 0 {
			axis += rank
		}
		if axis < 0 || axis >= rank {
			return nil, errors.Errorf("purego Reverse: axis out of range for shape %s (axes=%v)", shape, axes)
		}
		if seen[axis] {
			continue
		}
		seen[axis] = true
		n := shape.Dimensions[axis]
		if n <= 1 {
			continue
		}
		if n > reverseGatherThreshold {
			x, err = b.reverseGather(x, shape, axis)
		} else {
			x, err = b.reverseSlices(x, shape, axis)
		}
		if err != nil {
			return nil, errors.WithMessagef(err, "purego Reverse(shape=%s, axis=%d)", shape, axis)
		}
	}
	return x, nil
}

func (b *Builder) reverseSlices(x backends.Op, shape shapes.Shape, axis int) (backends.Op, error) {
	n := shape.Dimensions[axis]
	parts := make([]backends.Op, 0, n)
	starts := make([]int, shape.Rank())
	limits := slices.Clone(shape.Dimensions)
	for i := n - 1; i >= 0; i-- {
		starts[axis], limits[axis] = i, i+1
		part, err := b.Builder.Slice(x, slices.Clone(starts), slices.Clone(limits), unitStrides(len(starts)))
		if err != nil {
			return nil, err
		}
		parts = append(parts, part)
	}
	return b.Builder.Concatenate(axis, parts...)
}

func (b *Builder) reverseGather(x backends.Op, shape shapes.Shape, axis int) (backends.Op, error) {
	n, rank := shape.Dimensions[axis], shape.Rank()
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(n - 1 - i)
	}
	indices, err := b.Builder.Constant(idx, n, 1)
	if err != nil {
		return nil, err
	}
	offsetAxes := make([]int, 0, rank-1)
	for i := range rank {
		if i != axis {
			offsetAxes = append(offsetAxes, i)
		}
	}
	sliceSizes := slices.Clone(shape.Dimensions)
	sliceSizes[axis] = 1
	// The indices' batch axis (length n) lands at the position of `axis`, the only one not in offsetAxes.
	return b.Builder.Gather(x, indices, 1, offsetAxes, []int{axis}, []int{axis}, sliceSizes, false)
}

// Pad implements backends.Builder with XLA semantics: for each axis, Interior fill values are inserted between
// elements first, then Start/End are added (positive) or removed (negative) at the edges.
func (b *Builder) Pad(x, fillValue backends.Op, axesConfig ...backends.PadAxis) (backends.Op, error) {
	shape, err := b.OpShape(x)
	if err != nil {
		return nil, errors.WithMessage(err, "purego Pad")
	}
	fillShape, err := b.OpShape(fillValue)
	if err != nil {
		return nil, errors.WithMessage(err, "purego Pad fill value")
	}
	if !fillShape.IsScalar() || fillShape.DType != shape.DType {
		return nil, errors.Errorf("purego Pad: fill value must be a scalar of dtype %s, got %s", shape.DType, fillShape)
	}
	if len(axesConfig) > shape.Rank() {
		return nil, errors.Errorf("purego Pad: %d axes configured for operand of shape %s", len(axesConfig), shape)
	}
	for axis, cfg := range axesConfig {
		if cfg.Interior < 0 {
			return nil, errors.Errorf("purego Pad: negative interior padding %d on axis %d", cfg.Interior, axis)
		}
		x, shape, err = b.padAxis(x, fillValue, shape, axis, cfg)
		if err != nil {
			return nil, errors.WithMessagef(err, "purego Pad(shape=%s, axis=%d, config=%+v)", shape, axis, cfg)
		}
	}
	return x, nil
}

func (b *Builder) fill(fillValue backends.Op, dtype dtypes.DType, dims []int) (backends.Op, error) {
	return b.Builder.BroadcastInDim(fillValue, shapes.Make(dtype, slices.Clone(dims)...), nil)
}

func (b *Builder) padAxis(x, fillValue backends.Op, shape shapes.Shape, axis int, cfg backends.PadAxis) (
	backends.Op, shapes.Shape, error) {
	var err error
	dims := slices.Clone(shape.Dimensions)
	n := dims[axis]
	if cfg.Interior > 0 && n > 1 {
		// [..., n, ...] -> [..., n, 1, ...] ++ fill[..., n, interior, ...] -> [..., n*(1+interior), ...] -> slice.
		expanded := slices.Insert(slices.Clone(dims), axis+1, 1)
		if x, err = b.Builder.Reshape(x, expanded...); err != nil {
			return nil, shape, err
		}
		fillDims := slices.Clone(expanded)
		fillDims[axis+1] = cfg.Interior
		f, err := b.fill(fillValue, shape.DType, fillDims)
		if err != nil {
			return nil, shape, err
		}
		if x, err = b.Builder.Concatenate(axis+1, x, f); err != nil {
			return nil, shape, err
		}
		dims[axis] = n * (1 + cfg.Interior)
		if x, err = b.Builder.Reshape(x, dims...); err != nil {
			return nil, shape, err
		}
		newN := (n-1)*(1+cfg.Interior) + 1
		if x, err = b.sliceAxis(x, dims, axis, 0, newN); err != nil {
			return nil, shape, err
		}
		dims[axis] = newN
	}
	// Negative edges: remove elements.
	if cfg.Start < 0 || cfg.End < 0 {
		start, limit := max(-cfg.Start, 0), dims[axis]-max(-cfg.End, 0)
		if limit < start {
			return nil, shape, errors.Errorf("negative padding removes more than the %d elements of the axis", dims[axis])
		}
		if x, err = b.sliceAxis(x, dims, axis, start, limit); err != nil {
			return nil, shape, err
		}
		dims[axis] = limit - start
	}
	// Positive edges: concatenate fill blocks.
	if cfg.Start > 0 || cfg.End > 0 {
		parts := make([]backends.Op, 0, 3)
		if cfg.Start > 0 {
			fd := slices.Clone(dims)
			fd[axis] = cfg.Start
			f, err := b.fill(fillValue, shape.DType, fd)
			if err != nil {
				return nil, shape, err
			}
			parts = append(parts, f)
		}
		if dims[axis] > 0 {
			parts = append(parts, x)
		}
		if cfg.End > 0 {
			fd := slices.Clone(dims)
			fd[axis] = cfg.End
			f, err := b.fill(fillValue, shape.DType, fd)
			if err != nil {
				return nil, shape, err
			}
			parts = append(parts, f)
		}
		if len(parts) == 1 {
			x = parts[0]
		} else if x, err = b.Builder.Concatenate(axis, parts...); err != nil {
			return nil, shape, err
		}
		dims[axis] += max(cfg.Start, 0) + max(cfg.End, 0)
	}
	return x, shapes.Make(shape.DType, dims...), nil
}

func (b *Builder) sliceAxis(x backends.Op, dims []int, axis, start, limit int) (backends.Op, error) {
	if start == 0 && limit == dims[axis] {
		return x, nil
	}
	starts := make([]int, len(dims))
	limits := slices.Clone(dims)
	starts[axis], limits[axis] = start, limit
	return b.Builder.Slice(x, starts, limits, unitStrides(len(dims)))
}

func unitStrides(rank int) []int {
	s := make([]int, rank)
	for i := range s {
		s[i] = 1
	}
	return s
}

// ConvGeneral implements backends.Builder, replacing nil or non-positive strides and dilations by 1s: SimpleGo's
// shape inference rejects nil strides and its executor crashes on input dilations without kernel dilations.
func (b *Builder) ConvGeneral(input, kernel backends.Op, axes backends.ConvolveAxesConfig,
	strides []int, paddings [][2]int, inputDilations, kernelDilations []int,
	channelGroupCount, batchGroupCount int) (backends.Op, error) {
	n := len(axes.InputSpatial)
	ones := func(v []int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = 1
			if i < len(v) && v[i] > 0 {
				out[i] = v[i]
			}
		}
		return out
	}
	if paddings == nil {
		paddings = make([][2]int, n)
	}
	return b.Builder.ConvGeneral(input, kernel, axes, ones(strides), paddings, ones(inputDilations),
		ones(kernelDilations), channelGroupCount, batchGroupCount)
}
