package fastcpu

import (
	"fmt"
	"math/bits"
	"sync"
)

// Blocking parameters (GotoBLAS/BLIS style): the micro-kernel computes an mr×nr tile of C from an mr×kc packed
// panel of A and a kc×nr packed panel of B (both in L1); an mc×kc block of A (in L2) is reused across the B
// panels of a task.
const (
	mr    = 6
	nr    = 16 // AVX2 / portable kernel width; the AVX-512 kernel is 2*nr wide.
	kc    = 256
	mcMax = 240
)

// kernelFn computes one mr×w tile of C: c[r*ldc+q] (+)= Σ_t a[t*mr+r]·b[t*w+q], w the kernel's width.
type kernelFn func(k int, a, b, c []float32, ldc int, accumulate bool)

// Operand is a batch of matrices inside a flat slice: element (b, r, k) is Data[Batch[b]+Rows[r]+K[k]]. The offset
// tables make any axis layout (transposed operands, several batch/cross/contracting axes) readable without a
// transposed copy; the packing routines take fast paths when Rows or K is contiguous.
type Operand struct {
	Data           []float32
	Batch, Rows, K []int
}

// Gemm computes c[b][i][j] = Σ_k a(b, i, k)·b(b, j, k) for the batch of matrices a [batch, m, k] and
// b [batch, n, k]; c is contiguous [batch, m, n] and is fully overwritten.
func Gemm(c []float32, a, b Operand) {
	batch, m, n, k := len(a.Batch), len(a.Rows), len(b.Rows), len(a.K)
	if len(b.Batch) != batch || len(b.K) != k || len(c) < batch*m*n {
		panic(fmt.Sprintf("fastcpu.Gemm: mismatched sizes: a batch=%d m=%d k=%d, b batch=%d n=%d k=%d, len(c)=%d",
			batch, m, k, len(b.Batch), n, len(b.K), len(c)))
	}
	if batch*m*n == 0 {
		return
	}
	if k == 0 {
		clear(c[:batch*m*n])
		return
	}
	// Matrix-vector products: one dot product per output, reading the matrix once.
	if n == 1 {
		gemv(c, a, b)
		return
	}
	if m == 1 {
		gemv(c, b, a)
		return
	}
	// The tile shape is fixed, so a skinny product wastes less when C is computed transposed: e.g. for n = 2
	// the plain order uses 1/8 of each 6×16 tile and the swapped order 1/3. Transposed stores are slower, so
	// only swap for a clear gain.
	if 4*tiles(n, m) < 3*tiles(m, n) {
		gemm(c, b, a, m*n, 1, n)
		return
	}
	gemm(c, a, b, m*n, n, 1)
}

// gemv computes c[b*rows + i] = Σ_k mat(b, i, k)·vec(b, 0, k): one dot product per output row over each
// contiguous run of the matrix's K offsets (the whole K when it is contiguous, a tap's channels in a convolution).
func gemv(c []float32, mat, vec Operand) {
	batch, rows, k := len(mat.Batch), len(mat.Rows), len(mat.K)
	v := getFloats(batch * k)
	defer putFloats(v)
	for bi := range batch {
		for t, ko := range vec.K {
			v.s[bi*k+t] = vec.Data[vec.Batch[bi]+vec.Rows[0]+ko]
		}
	}
	runs := kRuns(mat.K)
	short := 8*(len(runs)-1) > k // runs shorter than 8 on average: element by element
	const chunk = 512
	chunks := ceilDiv(rows, chunk)
	parallelFor(numWorkers(2*batch*rows*k), batch*chunks, func(t int) {
		bi, ch := t/chunks, t%chunks
		x := v.s[bi*k : (bi+1)*k]
		base := mat.Batch[bi]
		for i := ch * chunk; i < min(rows, (ch+1)*chunk); i++ {
			row := base + mat.Rows[i]
			var s float32
			if short {
				for t, ko := range mat.K {
					s += x[t] * mat.Data[row+ko]
				}
			} else {
				for r := 0; r+1 < len(runs); r++ {
					t0, t1 := runs[r], runs[r+1]
					s += dot(x[t0:t1], mat.Data[row+mat.K[t0]:])
				}
			}
			c[bi*rows+i] = s
		}
	})
}

// kRuns returns the start indices of the maximal runs of consecutive offsets in offs, followed by len(offs).
func kRuns(offs []int) []int {
	runs := []int{0}
	for t := 1; t < len(offs); t++ {
		if offs[t] != offs[t-1]+1 {
			runs = append(runs, t)
		}
	}
	return append(runs, len(offs))
}

func tiles(m, n int) int { return (m + mr - 1) / mr * mr * ((n + nr - 1) / nr * nr) }

// gemm computes C(b, i, j) = Σ_k A(b, i, k)·B(b, j, k) into c[b*batchStride + i*rowStride + j*colStride].
//
// The work is split into (batch, block of rows, block of B panels) tasks, at least two per worker when possible;
// each task packs its own A and B blocks, one kc slice of K at a time, so no packed copy of a whole operand is made.
func gemm(c []float32, a, b Operand, batchStride, rowStride, colStride int) {
	batch, m, n, k := len(a.Batch), len(a.Rows), len(b.Rows), len(a.K)
	workers := numWorkers(2 * batch * m * n * k)
	size := batch * batchStride
	if workers > 1 && k >= 2048 && size <= 1<<18 {
		// Long contraction, small output (weight gradients): each worker streams its own range of K into a
		// private C, then the partial results are added.
		parts := make([]*floats, workers)
		per := ceilDiv(k, workers)
		parallelFor(workers, workers, func(p int) {
			k0, k1 := p*per, min(k, (p+1)*per)
			parts[p] = getFloats(size)
			ap, bp := a, b
			ap.K, bp.K = a.K[k0:k1], b.K[k0:k1]
			gemmTasks(parts[p].s, ap, bp, batchStride, rowStride, colStride, 1)
		})
		dst := c[:size]
		copy(dst, parts[0].s)
		for _, p := range parts[1:] {
			for i, v := range p.s {
				dst[i] += v
			}
		}
		for _, p := range parts {
			putFloats(p)
		}
		return
	}
	gemmTasks(c, a, b, batchStride, rowStride, colStride, workers)
}

// gemmTasks is gemm on the given number of workers.
func gemmTasks(c []float32, a, b Operand, batchStride, rowStride, colStride, workers int) {
	batch, m, n, k := len(a.Batch), len(a.Rows), len(b.Rows), len(a.K)
	kern, w := microKernel, nr
	if wideKernel != nil && n >= 3*nr/2 {
		kern, w = wideKernel, 2*nr
	}
	// Split rows first (each task then streams whole rows of B), then B panels, until there are enough tasks.
	nPanels := ceilDiv(n, w)
	mc := min(mcMax, ceilDiv(m, mr)*mr)
	if want := 2 * workers; batch*ceilDiv(m, mc) < want {
		mc = max(mr, ceilDiv(ceilDiv(m*batch, want), mr)*mr)
	}
	pb := nPanels // B panels per task
	for pb > 1 && batch*ceilDiv(m, mc)*ceilDiv(nPanels, pb) < 2*workers {
		pb = ceilDiv(pb, 2)
	}
	mBlocks, nBlocks := ceilDiv(m, mc), ceilDiv(nPanels, pb)
	aKUnit := isUnit(a.K)
	bRowsUnit, bKUnit := isUnit(b.Rows), isUnit(b.K)
	// When several tasks would pack the same (small) B, pack all of it once: e.g. a convolution's kernel, shared by
	// the row blocks of every output position.
	var bAll *floats
	if batch == 1 && mBlocks > 1 && k*nPanels*w <= 1<<20 {
		bAll = getFloats(k * nPanels * w)
		defer putFloats(bAll)
		for k0 := 0; k0 < k; k0 += kc {
			kl := min(kc, k-k0)
			packBPanels(bAll.s[k0*nPanels*w:], b, b.Batch[0], b.Rows, b.K[k0:k0+kl], 0, nPanels, w, bRowsUnit, bKUnit)
		}
	}
	parallelFor(workers, batch*mBlocks*nBlocks, func(t int) {
		bi := t / (mBlocks * nBlocks)
		ib := (t / nBlocks) % mBlocks
		jb := t % nBlocks
		i0, i1 := ib*mc, min((ib+1)*mc, m)
		p0, p1 := jb*pb, min((jb+1)*pb, nPanels)
		ap := getFloats(mc * kc)
		defer putFloats(ap)
		var bp *floats
		if bAll == nil {
			bp = getFloats((p1 - p0) * kc * w)
			defer putFloats(bp)
		}
		tmp := getFloats(mr * w)
		defer putFloats(tmp)
		cb := bi * batchStride
		for k0 := 0; k0 < k; k0 += kc {
			kl := min(kc, k-k0)
			first := k0 == 0
			ks := a.K[k0 : k0+kl]
			packA(ap.s, a, a.Batch[bi], a.Rows[i0:i1], ks, aKUnit)
			var bBlock []float32
			if bAll != nil {
				bBlock = bAll.s[k0*nPanels*w+p0*kl*w:]
			} else {
				bBlock = bp.s
				packBPanels(bBlock, b, b.Batch[bi], b.Rows, b.K[k0:k0+kl], p0, p1, w, bRowsUnit, bKUnit)
			}
			for p := p0; p < p1; p++ {
				bPanel := bBlock[(p-p0)*kl*w:]
				j0 := p * w
				nEff := min(w, n-j0)
				for i := i0; i < i1; i += mr {
					aPanel := ap.s[(i-i0)*kl:]
					mEff := min(mr, i1-i)
					if mEff == mr && nEff == w && colStride == 1 {
						kern(kl, aPanel, bPanel, c[cb+i*rowStride+j0:], rowStride, !first)
						continue
					}
					kern(kl, aPanel, bPanel, tmp.s, w, false)
					for r := range mEff {
						row := c[cb+(i+r)*rowStride+j0*colStride:]
						for q := range nEff {
							if first {
								row[q*colStride] = tmp.s[r*w+q]
							} else {
								row[q*colStride] += tmp.s[r*w+q]
							}
						}
					}
				}
			}
		}
	})
}

// packBPanels packs the B panels p0..p1-1 (w columns each) × ks into dst, panel p at dst[(p-p0)*len(ks)*w:].
func packBPanels(dst []float32, b Operand, base int, rows, ks []int, p0, p1, w int, rowsUnit, kUnit bool) {
	n, kl := len(rows), len(ks)
	if rowsUnit {
		packBRows(dst, b, base, rows[p0*w:min(p1*w, n)], ks, w)
		return
	}
	for p := p0; p < p1; p++ {
		j0 := p * w
		packB(dst[(p-p0)*kl*w:(p-p0+1)*kl*w], b, base, rows[j0:min(j0+w, n)], ks, w, kUnit)
	}
}

// packA packs rows (at most mcMax) × ks of a into panels of mr rows: panel p holds, for each t, the mr values
// a(rows[p*mr+r], ks[t]) at dst[p*mr*len(ks) + t*mr + r]; rows past the end are zero. Six consecutive rows are
// read six floats at a time; otherwise each row is read along the contiguous runs of ks (a convolution's patch:
// one run per kernel row or tap, over its channels).
func packA(dst []float32, a Operand, base int, rows, ks []int, kUnit bool) {
	kl := len(ks)
	data := a.Data
	var runs []int
	for p0 := 0; p0 < len(rows); p0 += mr {
		panel := dst[p0*kl : (p0+mr)*kl]
		rEff := min(mr, len(rows)-p0)
		switch {
		case rEff == mr && consecutive6(rows[p0:p0+mr]):
			start := base + rows[p0]
			for t, ko := range ks {
				// Element by element: a 6-float copy() or array assignment becomes a memmove call.
				src, d := data[start+ko:start+ko+mr], panel[t*mr:t*mr+mr]
				d[0], d[1], d[2], d[3], d[4], d[5] = src[0], src[1], src[2], src[3], src[4], src[5]
			}
		case rEff == mr:
			// Interleave six rows, run by run: six streaming reads, sequential writes.
			if runs == nil {
				runs = kRuns(ks)
			}
			for r := 0; r+1 < len(runs); r++ {
				t0, t1 := runs[r], runs[r+1]
				o := base + ks[t0]
				n := t1 - t0
				r0 := data[o+rows[p0]:][:n]
				r1, r2 := data[o+rows[p0+1]:][:n], data[o+rows[p0+2]:][:n]
				r3, r4 := data[o+rows[p0+3]:][:n], data[o+rows[p0+4]:][:n]
				r5 := data[o+rows[p0+5]:][:n]
				d := panel[t0*mr : t1*mr]
				for t := range r0 {
					e := d[t*mr : t*mr+mr]
					e[0], e[1], e[2], e[3], e[4], e[5] = r0[t], r1[t], r2[t], r3[t], r4[t], r5[t]
				}
			}
		case kUnit:
			for r := range mr {
				if r >= rEff {
					for t := range kl {
						panel[t*mr+r] = 0
					}
					continue
				}
				src := data[base+rows[p0+r]+ks[0]:][:kl]
				for t, v := range src {
					panel[t*mr+r] = v
				}
			}
		default:
			for t, ko := range ks {
				for r := range mr {
					v := float32(0)
					if r < rEff {
						v = data[base+rows[p0+r]+ko]
					}
					panel[t*mr+r] = v
				}
			}
		}
	}
}

// consecutive6 reports whether rows holds six consecutive offsets.
func consecutive6(rows []int) bool {
	r := rows[:6]
	return r[1] == r[0]+1 && r[2] == r[0]+2 && r[3] == r[0]+3 && r[4] == r[0]+4 && r[5] == r[0]+5
}

// packBRows packs B when its columns are contiguous (cols is a unit run): for each t it reads the row segment of
// all the task's columns in order and splits it into panels of w columns (panel p at dst[p*len(ks)*w:]), zero
// padding the last one. Reading whole rows streams memory; one panel at a time would stride through it.
func packBRows(dst []float32, b Operand, base int, cols, ks []int, w int) {
	kl, n := len(ks), len(cols)
	full := n / w
	start := base + cols[0]
	for t, ko := range ks {
		row := b.Data[start+ko : start+ko+n]
		for p := range full {
			d := dst[(p*kl+t)*w : (p*kl+t+1)*w]
			copy(d, row[p*w:(p+1)*w])
		}
		if rest := n - full*w; rest > 0 {
			d := dst[(full*kl+t)*w : (full*kl+t+1)*w]
			copy(d, row[full*w:])
			clear(d[rest:])
		}
	}
}

// packB packs the (at most w) columns cols × ks of b into dst[t*w + q], zero padded to w columns.
func packB(dst []float32, b Operand, base int, cols, ks []int, w int, kUnit bool) {
	data := b.Data
	nEff := len(cols)
	switch {
	case kUnit:
		kl := len(ks)
		for q := range w {
			if q >= nEff {
				for t := range kl {
					dst[t*w+q] = 0
				}
				continue
			}
			src := data[base+cols[q]+ks[0]:][:kl]
			for t, v := range src {
				dst[t*w+q] = v
			}
		}
	default:
		for t, ko := range ks {
			for q := range w {
				v := float32(0)
				if q < nEff {
					v = data[base+cols[q]+ko]
				}
				dst[t*w+q] = v
			}
		}
	}
}

// isUnit reports whether offs is a contiguous run offs[0], offs[0]+1, ...
func isUnit(offs []int) bool {
	for i, o := range offs {
		if o != offs[0]+i {
			return false
		}
	}
	return true
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// floats is a pooled scratch slice.
type floats struct{ s []float32 }

// The scratch pool keeps free slices by capacity class (powers of two) across garbage collections, unlike a
// sync.Pool: a large buffer dropped at every GC comes back as fresh pages to fault in and zero (tens of ms for a
// convolution's padded input). It holds at most maxPooled bytes; beyond that, returned slices are left to the GC.
const maxPooled = 512 << 20

var (
	poolMu     sync.Mutex
	poolFree   [48][]*floats
	pooledSize int
)

func sizeClass(n int) int { return bits.Len(uint(max(n, 1) - 1)) }

func getFloats(n int) *floats {
	c := sizeClass(n)
	poolMu.Lock()
	if l := len(poolFree[c]); l > 0 {
		f := poolFree[c][l-1]
		poolFree[c] = poolFree[c][:l-1]
		pooledSize -= 4 * cap(f.s)
		poolMu.Unlock()
		f.s = f.s[:n]
		return f
	}
	poolMu.Unlock()
	return &floats{s: make([]float32, n, 1<<c)}
}

func putFloats(f *floats) {
	c := sizeClass(cap(f.s))
	if cap(f.s) != 1<<c {
		return // not from getFloats
	}
	poolMu.Lock()
	defer poolMu.Unlock()
	if pooledSize+4*cap(f.s) > maxPooled {
		return
	}
	pooledSize += 4 * cap(f.s)
	poolFree[c] = append(poolFree[c], f)
}

// kernelGo is the portable micro-kernel: c[r*ldc+q] (+)= Σ_t a[t*mr+r]·b[t*nr+q] for the mr×nr tile.
func kernelGo(k int, a, b, c []float32, ldc int, accumulate bool) {
	var acc [mr][nr]float32
	a, b = a[:k*mr], b[:k*nr]
	for t := range k {
		bt := (*[nr]float32)(b[t*nr:])
		at := (*[mr]float32)(a[t*mr:])
		for r := range mr {
			ar := at[r]
			row := &acc[r]
			for q := range nr {
				row[q] += ar * bt[q]
			}
		}
	}
	for r := range mr {
		row := (*[nr]float32)(c[r*ldc:])
		if accumulate {
			for q := range nr {
				row[q] += acc[r][q]
			}
		} else {
			*row = acc[r]
		}
	}
}
