package dataset

import (
	"io"
	"strconv"

	pq "github.com/parquet-go/parquet-go"
)

// orderedGroup is a Parquet group whose fields keep the order they were
// given in: parquet-go's Group sorts them by name, and a poisoned copy
// must keep its input's column order.
type orderedGroup struct {
	pq.Group
	fields []pq.Field
}

func (g orderedGroup) Fields() []pq.Field { return g.fields }

// writeParquet writes the features as FLOAT columns and the labels as an
// INT64 column when every class name is an integer, else as strings.
func writeParquet(w io.Writer, s *Set, labelColumn string) error {
	intLabels := true
	for c := range s.Classes {
		if _, err := strconv.ParseInt(s.className(c), 10, 64); err != nil {
			intLabels = false
		}
	}
	labelNode := pq.String()
	if intLabels {
		labelNode = pq.Leaf(pq.Int64Type)
	}
	g := orderedGroup{Group: pq.Group{}}
	add := func(name string, n pq.Node) {
		g.Group[name] = n
		g.fields = append(g.fields, pq.Group{name: n}.Fields()[0])
	}
	for j := range s.D {
		add(s.columnName(j), pq.Leaf(pq.FloatType))
	}
	add(labelColumn, labelNode)
	pw := pq.NewWriter(w, pq.NewSchema("poisonguard", g))
	labels := make([]pq.Value, s.Classes)
	for c := range labels {
		if intLabels {
			v, _ := strconv.ParseInt(s.className(c), 10, 64)
			labels[c] = pq.Int64Value(v)
		} else {
			labels[c] = pq.ByteArrayValue([]byte(s.className(c)))
		}
	}
	const chunk = 1024
	rows := make([]pq.Row, 0, chunk)
	for i := range s.N {
		row := make(pq.Row, s.D+1)
		for j, v := range s.Row(i) {
			row[j] = pq.FloatValue(v).Level(0, 0, j)
		}
		row[s.D] = labels[s.Y[i]].Level(0, 0, s.D)
		rows = append(rows, row)
		if len(rows) == chunk || i == s.N-1 {
			if _, err := pw.WriteRows(rows); err != nil {
				return err
			}
			rows = rows[:0]
		}
	}
	return pw.Close()
}
