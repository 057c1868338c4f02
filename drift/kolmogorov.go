package drift

import "math"

// This file ports the distribution of the one-sample two-sided Kolmogorov
// statistic D_n from SciPy 1.10 (scipy/stats/_ksstats.py, which follows
// Simard & L'Ecuyer 2011 in choosing between the exact Durbin matrix and
// Pomeranz algorithms, the Pelz-Good asymptotic series and twice the
// one-sided Smirnov tail), together with the Smirnov tail itself
// (scipy/special/cephes/kolmogorov.c). ks_2samp uses it for the asymptotic
// two-sample p-value.

const (
	scaleUp   = 0x1p128  // _EP128: rescaling factor against overflow and underflow
	scaleDown = 0x1p-128 // _EM128
	scaleExp  = 128      // _E128
)

// KolmogorovSF returns P(D_n >= d), the survival function of the two-sided
// one-sample Kolmogorov statistic D_n for a sample of size n, as
// scipy.stats.kstwo.sf(d, n) computes it. It returns NaN when d is NaN, n
// < 1 or n > 2^31-1.
func KolmogorovSF(d float64, n int64) float64 {
	if n < 1 || math.IsNaN(d) || n > math.MaxInt32 {
		return math.NaN()
	}
	return kolmognSF(int(n), d)
}

// kolmognSF is _kolmogn(n, x, cdf=False).
func kolmognSF(n int, x float64) float64 {
	if x >= 1 {
		return 0
	}
	if x <= 0 {
		return 1
	}
	fn := float64(n)
	t := fn * x
	if t <= 1 { // Ruben-Gambino: 1/2n <= x <= 1/n.
		if t <= 0.5 {
			return 1
		}
		var cdf float64
		if n <= 140 {
			cdf = 1
			r, s := 1/fn, 2*t-1
			for i := 1; i <= n; i++ {
				cdf *= float64(i) * r * s
			}
		} else {
			cdf = math.Exp(logFactorialOverPower(n) + fn*math.Log(2*t-1))
		}
		return clip01(1 - cdf)
	}
	if t >= fn-1 { // Ruben-Gambino.
		return clip01(2 * powOnePlus(-x, n))
	}
	if x >= 0.5 { // Exact: twice the one-sided tail.
		return clip01(2 * smirnovSF(n, x))
	}
	nxx := t * x
	if n <= 140 {
		switch {
		case nxx <= 0.754693:
			return clip01(1 - kolmogDurbin(n, x))
		case nxx <= 4:
			return clip01(1 - kolmogPomeranz(n, x))
		default:
			return clip01(2 * smirnovSF(n, x))
		}
	}
	// The survival function has its own cut-offs on n*x^2.
	if nxx >= 370 {
		return 0
	}
	if nxx >= 2.2 {
		return clip01(2 * smirnovSF(n, x))
	}
	var cdf float64
	if n <= 100000 && fn*math.Pow(x, 1.5) <= 1.4 {
		cdf = kolmogDurbin(n, x)
	} else {
		cdf = pelzGoodCDF(n, x)
	}
	return clip01(1 - cdf)
}

// stirlingCoeffs are B_{2j}/(2j)/(2j-1) for j = 8, ..., 1 (highest first).
var stirlingCoeffs = [...]float64{
	-2.955065359477124183e-2, 6.4102564102564102564e-3,
	-1.9175269175269175269e-3, 8.4175084175084175084e-4,
	-5.952380952380952381e-4, 7.9365079365079365079e-4,
	-2.7777777777777777778e-3, 8.3333333333333333333e-2,
}

// logFactorialOverPower returns log(n!/n^n) by Stirling's series.
func logFactorialOverPower(n int) float64 {
	fn := float64(n)
	rn := 1 / fn
	x := rn / fn
	poly := 0.0
	for _, c := range stirlingCoeffs {
		poly = poly*x + c
	}
	return math.Log(fn)/2 - fn + math.Log(2*math.Pi)/2 + rn*poly
}

// kolmogDurbin returns P(D_n <= d) by the Marsaglia-Tsang-Wang form of
// Durbin's matrix algorithm: the (k,k) entry of H^n times n!/n^n, with
// explicit binary exponents against overflow.
func kolmogDurbin(n int, d float64) float64 {
	if d >= 1 {
		return 1
	}
	nd := float64(n) * d
	if nd <= 0.5 {
		return 0
	}
	k := int(math.Ceil(nd))
	h := float64(k) - nd
	m := 2*k - 1

	v := make([]float64, m)
	w := make([]float64, m)
	fac := 1.0
	for j := 1; j <= m; j++ {
		v[j-1] = 1 - math.Pow(h, float64(j))
		w[j-1] = fac
		fac /= float64(j)
		v[j-1] *= fac
	}
	tt := math.Pow(math.Max(2*h-1, 0), float64(m)) - 2*math.Pow(h, float64(m))
	v[m-1] = (1 + tt) * fac

	H := make([]float64, m*m) // row-major
	for i := 1; i < m; i++ {
		for r := i - 1; r < m; r++ {
			H[r*m+i] = w[r-i+1]
		}
	}
	for r := 0; r < m; r++ {
		H[r*m] = v[r]
	}
	for c := 0; c < m; c++ {
		H[(m-1)*m+c] = v[m-1-c]
	}

	// Only row k-1 of the running power is needed: keep it as a vector.
	row := make([]float64, m)
	row[k-1] = 1
	next := make([]float64, m)
	sq := make([]float64, m*m)
	expnt, hexpnt := 0, 0
	for nn := n; nn > 0; nn /= 2 {
		if nn%2 == 1 {
			vecMat(next, row, H, m)
			row, next = next, row
			expnt += hexpnt
		}
		if nn == 1 {
			break // the last squaring would not be used
		}
		matSquare(sq, H, m)
		H, sq = sq, H
		hexpnt *= 2
		if math.Abs(H[(k-1)*m+k-1]) > scaleUp {
			for i := range H {
				H[i] /= scaleUp
			}
			hexpnt += scaleExp
		}
	}

	p := row[k-1]
	fn := float64(n)
	for i := 1; i <= n; i++ {
		p = float64(i) * p / fn
		if math.Abs(p) < scaleDown {
			p *= scaleUp
			expnt -= scaleExp
		}
	}
	if expnt != 0 {
		p = math.Ldexp(p, expnt)
	}
	return clip01(p)
}

// vecMat sets dst = x·A for the m×m row-major matrix A.
func vecMat(dst, x, a []float64, m int) {
	clear(dst)
	for i, xi := range x {
		if xi == 0 {
			continue
		}
		r := a[i*m : i*m+m]
		for j, aij := range r {
			dst[j] += xi * aij
		}
	}
}

// matSquare sets dst = A·A for the m×m row-major matrix A.
func matSquare(dst, a []float64, m int) {
	clear(dst)
	for i := 0; i < m; i++ {
		out := dst[i*m : i*m+m]
		for l := 0; l < m; l++ {
			ail := a[i*m+l]
			if ail == 0 {
				continue
			}
			r := a[l*m : l*m+m]
			for j, alj := range r {
				out[j] += ail * alj
			}
		}
	}
}

// pomeranzBounds returns the index range of the non-zero entries of row i
// of the Pomeranz recursion.
func pomeranzBounds(i, n, ll, ceilf, roundf int) (int, int) {
	var j1, j2 int
	if i == 0 {
		j1, j2 = -ll-ceilf-1, ll+ceilf-1
	} else {
		half, odd := (i+1)/2, (i+1)%2
		switch {
		case odd == 0 && half == n+1:
			j1, j2 = n-ll-ceilf-1, n+ll+ceilf-1
		case odd == 0:
			j1, j2 = half-1-ll-roundf-1, half+ll-1+ceilf-1
		default:
			j1, j2 = half-1-ll-1, half+ll+roundf-1
		}
	}
	return max(j1+2, 0), min(j2, n)
}

// kolmogPomeranz returns P(D_n <= x) by Pomeranz's recursion: rows are
// convolutions of the previous row with Poisson-like weights; only two
// rows, and only their non-zero windows, are kept.
func kolmogPomeranz(n int, x float64) float64 {
	fn := float64(n)
	t := fn * x
	ll := int(math.Floor(t))
	f := t - float64(ll)
	g := math.Min(f, 1-f)
	ceilf, roundf := 0, 0
	if f > 0 {
		ceilf = 1
	}
	if f > 0.5 {
		roundf = 1
	}
	npwrs := 2 * (ll + 1)
	gpower := make([]float64, npwrs)      // (g/n)^m/m!
	twogpower := make([]float64, npwrs)   // (2g/n)^m/m!
	onem2gpower := make([]float64, npwrs) // ((1-2g)/n)^m/m!
	gpower[0], twogpower[0], onem2gpower[0] = 1, 1, 1
	gn, twogn, onem2gn := g/fn, 2*g/fn, (1-2*g)/fn
	for m := 1; m < npwrs; m++ {
		fm := float64(m)
		gpower[m] = gpower[m-1] * gn / fm
		twogpower[m] = twogpower[m-1] * twogn / fm
		onem2gpower[m] = onem2gpower[m-1] * onem2gn / fm
	}

	v0 := make([]float64, npwrs)
	v1 := make([]float64, npwrs)
	v1[0] = 1
	v0s, v1s := 0, 0
	expnt := 0
	j1, _ := pomeranzBounds(0, n, ll, ceilf, roundf)
	var j2 int
	for i := 1; i < 2*n+2; i++ {
		k1 := j1
		v0, v1 = v1, v0
		v0s, v1s = v1s, v0s
		clear(v1)
		j1, j2 = pomeranzBounds(i, n, ll, ceilf, roundf)
		pwrs := onem2gpower
		switch {
		case i == 1 || i == 2*n+1:
			pwrs = gpower
		case i%2 == 1:
			pwrs = twogpower
		}
		ln2 := j2 - k1 + 1
		if ln2 <= 0 {
			continue
		}
		lo := k1 - v0s
		if lo < 0 || lo > npwrs {
			continue // not reached for valid arguments
		}
		a := v0[lo:min(lo+ln2, npwrs)]
		pw := pwrs[:min(ln2, npwrs)]
		start, length := j1-k1, j2-j1+1
		vmax := 0.0
		for c := 0; c < length && c < npwrs; c++ {
			idx := start + c
			s := 0.0
			for ia := max(0, idx-len(pw)+1); ia <= idx && ia < len(a); ia++ {
				s += a[ia] * pw[idx-ia]
			}
			v1[c] = s
			vmax = math.Max(vmax, s)
		}
		if vmax > 0 && vmax < scaleDown {
			for c := range v1 {
				v1[c] *= scaleUp
			}
			expnt -= scaleExp
		}
		v1s = v0s + j1 - k1
	}
	idx := n - v1s
	if idx < 0 || idx >= npwrs {
		return math.NaN() // not reached for valid arguments
	}
	ans := v1[idx]
	for m := 1; m <= n; m++ {
		if math.Abs(ans) > scaleUp {
			ans *= scaleDown
			expnt += scaleExp
		}
		ans *= float64(m)
	}
	if expnt != 0 {
		ans = math.Ldexp(ans, expnt)
	}
	return clip01(ans)
}

// pelzGoodCDF returns the Pelz-Good approximation of P(D_n <= x): the
// Li-Chien/Korolyuk expansion in powers of 1/sqrt(n), each term rewritten
// through Jacobi theta functions so that it converges for small x*sqrt(n).
func pelzGoodCDF(n int, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	const (
		pi2 = math.Pi * math.Pi
		pi4 = pi2 * pi2
		pi6 = pi4 * pi2
	)
	sqrt2pi := math.Sqrt(2 * math.Pi)
	fn := float64(n)
	z := math.Sqrt(fn) * x
	z2, z3, z4, z6 := z*z, z*z*z, z*z*z*z, math.Pow(z, 6)

	qlog := -pi2 / 8 / z2
	if qlog < -708 {
		return 0
	}
	q := math.Exp(qlog)

	k1a := -z2
	k1b := pi2 / 4
	k2a := 6*z6 + 2*z4
	k2b := (2*z4 - 5*z2) * pi2 / 4
	k2c := pi4 * (1 - 2*z2) / 16
	k3d := pi6 * (5 - 30*z2) / 64
	k3c := pi4 * (-60*z2 + 212*z4) / 16
	k3b := pi2 * (135*z4 - 96*z6) / 4
	k3a := -30*z6 - 90*math.Pow(z, 8)

	// Horner scheme for sum c_i q^(i^2) over odd i.
	var K [4]float64
	maxk := int(math.Ceil(16 * z / math.Pi))
	for k := maxk; k > 0; k-- {
		m := float64(2*k - 1)
		m2 := m * m
		m4, m6 := m2*m2, m2*m2*m2
		qp := math.Pow(q, float64(8*k))
		c := [4]float64{
			1,
			k1a + k1b*m2,
			k2a + k2b*m2 + k2c*m4,
			k3a + k3b*m2 + k3c*m4 + k3d*m6,
		}
		for i := range K {
			K[i] = K[i]*qp + c[i]
		}
	}
	div := [4]float64{z, 6 * z4, 72 * math.Pow(z, 7), 6480 * math.Pow(z, 10)}
	for i := range K {
		K[i] *= q
		K[i] *= sqrt2pi
		K[i] /= div[i]
	}

	// The remaining sums over all integers k.
	q = math.Exp(-pi2 / 2 / z2)
	sqrt3z := math.Sqrt(3) * z
	var k2extra, k3extra float64
	for k := maxk; k > 0; k-- {
		fk := float64(k)
		ksq := fk * fk
		qk := math.Pow(q, ksq)
		kspi := math.Pi * fk
		k2extra += ksq * qk
		k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksq * qk
	}
	K[2] += k2extra * (pi2 * sqrt2pi / (-36 * z3))
	K[3] += k3extra * (pi2 * sqrt2pi / (216 * z6))
	K[1] /= math.Sqrt(fn)
	K[2] /= fn
	K[3] /= math.Pow(fn, 1.5)
	return K[0] + K[1] + K[2] + K[3]
}

// smirnovSF returns P(D+_n >= x), the one-sided Smirnov tail, by the
// Smirnov/Birnbaum-Tingey sum x·Σ_v C(n,v)(x+v/n)^(v-1)(1-x-v/n)^(n-v) over
// v <= n(1-x), as cephes smirnov does. Its terms are positive and are
// summed in log space; kolmognSF calls it only where n*x^2 > 2.2 or
// x >= 0.5, where cephes also uses this (lower) sum.
func smirnovSF(n int, x float64) float64 {
	if !(n > 0 && x >= 0 && x <= 1) {
		return math.NaN()
	}
	if n == 1 {
		return 1 - x
	}
	if x == 0 {
		return 1
	}
	if x == 1 {
		return 0
	}
	fn := float64(n)
	// n*x as an unevaluated sum nxHi+nxLo, and its floor and fraction.
	nxHi := fn * x
	nxLo := math.FMA(fn, x, -nxHi)
	var nxfl int
	var alpha float64
	if fl := math.Floor(nxHi); fl == nxHi {
		flo := math.Floor(nxLo)
		nxfl, alpha = int(nxHi)+int(flo), nxLo-flo
	} else {
		nxfl, alpha = int(fl), (nxHi-fl)+nxLo
	}
	if alpha == 1 {
		nxfl, alpha = nxfl+1, 0
	}
	// The sum runs over v <= n(1-x); when n*x is an integer its last term,
	// v = n-nxfl, is zero and is left out.
	last := n - nxfl - 1
	if nxfl == 0 || (nxfl == 1 && alpha == 0) { // x <= 1/n
		return 1 - x*powOnePlus(x, n-1)
	}
	const minLog = -7.451332191019412076235e2
	if -2*fn*x*x < minLog {
		return 0
	}
	if nxfl >= n-1 {
		return powOnePlus(-x, n)
	}
	if n > 1000000 { // cephes: too long to compute; p ~ exp(-(6nx+1)^2/18n)
		logp := -math.Pow(6*fn*x+1, 2) / 18 / fn
		if logp < -math.Ln2 {
			return math.Exp(logp)
		}
		return 1 - -math.Expm1(logp)
	}

	// Term v: C(n,v) (x+v/n)^(v-1) (1-x-v/n)^(n-v), with C(n,v) kept as a
	// mantissa and a binary exponent so that it cannot overflow.
	cMant, cExp := 1.0, 0
	sum := 0.0
	nTerms := last + 1
	for v := 0; v < nTerms; v++ {
		fv := float64(v)
		up := (nxHi + fv + nxLo) / fn          // x + v/n
		down := ((fn - fv) - nxHi - nxLo) / fn // 1 - x - v/n
		var logDown float64
		if up < 0.5 {
			logDown = math.Log1p(-up)
		} else {
			logDown = math.Log(down)
		}
		logA := math.Log(cMant) + float64(cExp)*math.Ln2 + (fv-1)*math.Log(up) + (fn-fv)*logDown
		a := math.Exp(logA)
		sum += a
		if a != 0 {
			if 4*float64(nTerms-v)*a < 0x1p-52*sum && v != nTerms-1 {
				break
			}
		} else if v > n/2 {
			break
		}
		frac, e := math.Frexp(cMant * (fn - fv) / (fv + 1))
		cMant, cExp = frac, cExp+e
	}
	return clip01(x * sum)
}

// powOnePlus returns (1+e)^m as exp(m·log1p(e)), whose relative error is
// about |log((1+e)^m)|·2^-53 however large m is.
func powOnePlus(e float64, m int) float64 {
	return math.Exp(float64(m) * math.Log1p(e))
}

// clip01 clips p to [0, 1], keeping NaN.
func clip01(p float64) float64 {
	switch {
	case p < 0:
		return 0
	case p > 1:
		return 1
	}
	return p
}
