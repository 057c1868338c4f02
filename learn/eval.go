package learn

import (
	"math"

	"github.com/poisonguard/poisonguard/dataset"
)

// Evaluation scores a model's predictions on a labelled set.
type Evaluation struct {
	Accuracy float64 `json:"accuracy"`
	// PerClass is each class's recall (accuracy on the rows of that
	// class), NaN for a class with no rows.
	PerClass []float64 `json:"per_class_accuracy"`
	// Confusion counts rows by true class (first index) and prediction.
	Confusion [][]int `json:"confusion"`
}

// Evaluate predicts every row of the set and scores the predictions.
func (m *Model) Evaluate(s *dataset.Set) Evaluation {
	return Score(m.Predict(s.X, s.N), s.Y, m.Config.Classes)
}

// Score compares predictions with labels over the given number of classes.
func Score(pred, labels []int, classes int) Evaluation {
	e := Evaluation{PerClass: make([]float64, classes), Confusion: make([][]int, classes)}
	for i := range e.Confusion {
		e.Confusion[i] = make([]int, classes)
	}
	correct := 0
	for i, y := range labels {
		e.Confusion[y][pred[i]]++
		if pred[i] == y {
			correct++
		}
	}
	e.Accuracy = float64(correct) / float64(max(len(labels), 1))
	for c, row := range e.Confusion {
		n := 0
		for _, v := range row {
			n += v
		}
		e.PerClass[c] = math.NaN()
		if n > 0 {
			e.PerClass[c] = float64(row[c]) / float64(n)
		}
	}
	return e
}
