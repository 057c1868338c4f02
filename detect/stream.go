package detect

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/poisonguard/poisonguard/dataset"
)

// errStopPass ends a streamPass early, without error.
var errStopPass = errors.New("stop the pass")

// streamPass reads a fresh source from its start, handing fn each batch's
// rows (row-major float32 in *buf, reused), the index of the batch's first
// row and the column count, until the source ends or fn returns
// errStopPass. Read to its end, the source must hold exactly n rows.
func streamPass(ctx context.Context, open func() (dataset.Source, error), n int, buf *[]float32, fn func(x []float32, row0, rows, dim int) error) error {
	src, err := open()
	if err != nil {
		return err
	}
	defer src.Close()
	dim := len(src.Schema().Columns)
	row := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if row+b.Rows > n {
			return fmt.Errorf("more feature rows than the %d labels", n)
		}
		*buf = rowMajor(*buf, b, dim)
		if err := fn(*buf, row, b.Rows, dim); errors.Is(err, errStopPass) {
			return nil
		} else if err != nil {
			return err
		}
		row += b.Rows
	}
	if row != n {
		return fmt.Errorf("%d feature rows for %d labels", row, n)
	}
	return nil
}

// rowMajor copies a batch's numeric columns into row-major float32.
func rowMajor(dst []float32, b *dataset.Batch, dim int) []float32 {
	if cap(dst) < b.Rows*dim {
		dst = make([]float32, b.Rows*dim)
	}
	dst = dst[:b.Rows*dim]
	for j, col := range b.Cols {
		for i, v := range col.Num[:b.Rows] {
			dst[i*dim+j] = float32(v)
		}
	}
	return dst
}
