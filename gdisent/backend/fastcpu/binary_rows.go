package fastcpu

// One loop per op and stride case (0: broadcast value, 1: contiguous), so each is a straight-line loop the
// compiler can bounds-check once; see execBinary.

func rowAdd(dst, a, b []float32, sa, sb int) {
	switch {
	case sa == 1 && sb == 1:
		a, b = a[:len(dst)], b[:len(dst)]
		for i := range dst {
			dst[i] = a[i] + b[i]
		}
	case sa == 1:
		a, y := a[:len(dst)], b[0]
		for i := range dst {
			dst[i] = a[i] + y
		}
	case sb == 1:
		x, b := a[0], b[:len(dst)]
		for i := range dst {
			dst[i] = x + b[i]
		}
	default:
		v := a[0] + b[0]
		for i := range dst {
			dst[i] = v
		}
	}
}

func rowSub(dst, a, b []float32, sa, sb int) {
	switch {
	case sa == 1 && sb == 1:
		a, b = a[:len(dst)], b[:len(dst)]
		for i := range dst {
			dst[i] = a[i] - b[i]
		}
	case sa == 1:
		a, y := a[:len(dst)], b[0]
		for i := range dst {
			dst[i] = a[i] - y
		}
	case sb == 1:
		x, b := a[0], b[:len(dst)]
		for i := range dst {
			dst[i] = x - b[i]
		}
	default:
		v := a[0] - b[0]
		for i := range dst {
			dst[i] = v
		}
	}
}

func rowMul(dst, a, b []float32, sa, sb int) {
	switch {
	case sa == 1 && sb == 1:
		a, b = a[:len(dst)], b[:len(dst)]
		for i := range dst {
			dst[i] = a[i] * b[i]
		}
	case sa == 1:
		a, y := a[:len(dst)], b[0]
		for i := range dst {
			dst[i] = a[i] * y
		}
	case sb == 1:
		x, b := a[0], b[:len(dst)]
		for i := range dst {
			dst[i] = x * b[i]
		}
	default:
		v := a[0] * b[0]
		for i := range dst {
			dst[i] = v
		}
	}
}

func rowDiv(dst, a, b []float32, sa, sb int) {
	switch {
	case sa == 1 && sb == 1:
		a, b = a[:len(dst)], b[:len(dst)]
		for i := range dst {
			dst[i] = a[i] / b[i]
		}
	case sa == 1:
		a, y := a[:len(dst)], b[0]
		for i := range dst {
			dst[i] = a[i] / y
		}
	case sb == 1:
		x, b := a[0], b[:len(dst)]
		for i := range dst {
			dst[i] = x / b[i]
		}
	default:
		v := a[0] / b[0]
		for i := range dst {
			dst[i] = v
		}
	}
}

func rowMax(dst, a, b []float32, sa, sb int) {
	switch {
	case sa == 1 && sb == 1:
		a, b = a[:len(dst)], b[:len(dst)]
		for i := range dst {
			dst[i] = max(a[i], b[i])
		}
	case sa == 1:
		a, y := a[:len(dst)], b[0]
		for i := range dst {
			dst[i] = max(a[i], y)
		}
	case sb == 1:
		x, b := a[0], b[:len(dst)]
		for i := range dst {
			dst[i] = max(x, b[i])
		}
	default:
		v := max(a[0], b[0])
		for i := range dst {
			dst[i] = v
		}
	}
}

func rowMin(dst, a, b []float32, sa, sb int) {
	switch {
	case sa == 1 && sb == 1:
		a, b = a[:len(dst)], b[:len(dst)]
		for i := range dst {
			dst[i] = min(a[i], b[i])
		}
	case sa == 1:
		a, y := a[:len(dst)], b[0]
		for i := range dst {
			dst[i] = min(a[i], y)
		}
	case sb == 1:
		x, b := a[0], b[:len(dst)]
		for i := range dst {
			dst[i] = min(x, b[i])
		}
	default:
		v := min(a[0], b[0])
		for i := range dst {
			dst[i] = v
		}
	}
}
