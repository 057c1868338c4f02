package registry

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/poisonguard/poisonguard/ledger"
	"github.com/poisonguard/poisonguard/store"
)

// Stage actions recorded.
const (
	ActionPromote  = "promote"
	ActionRollback = "rollback"
)

// StageEvent is one promotion or rollback.
type StageEvent struct {
	Seq         int64  `json:"seq"`
	Name        string `json:"name"`
	Stage       string `json:"stage"`
	Version     int64  `json:"version"`
	Action      string `json:"action"`
	At          string `json:"at"`
	Who         string `json:"who"`
	LedgerIndex int64  `json:"ledger_index"`
}

// Promote makes a version the current one of a stage.
func (r *Registry) Promote(ctx context.Context, name string, version int64, stage, who string) (*StageEvent, error) {
	if err := checkStage(stage); err != nil {
		return nil, err
	}
	v, err := r.Get(ctx, name, version)
	if err != nil {
		return nil, err
	}
	var ev *StageEvent
	err = r.db.Tx(ctx, func(tx *store.Tx) error {
		ev, err = r.recordStage(ctx, tx, v, stage, ActionPromote, who)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ev, r.checkpoint(ctx)
}

// Rollback returns a stage to the version it ran before the current one:
// the stage's promotions form a stack that each rollback pops.
func (r *Registry) Rollback(ctx context.Context, name, stage, who string) (*StageEvent, error) {
	if err := checkStage(stage); err != nil {
		return nil, err
	}
	var ev *StageEvent
	err := r.db.Tx(ctx, func(tx *store.Tx) error {
		stack, err := stageStack(ctx, tx, name, stage)
		if err != nil {
			return err
		}
		if len(stack) < 2 {
			return fmt.Errorf("%w: %s in %s", ErrNoPrevious, name, stage)
		}
		v, err := r.Get(ctx, name, stack[len(stack)-2])
		if err != nil {
			return err
		}
		ev, err = r.recordStage(ctx, tx, v, stage, ActionRollback, who)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ev, r.checkpoint(ctx)
}

// recordStage appends the stage event and its deploy record to the ledger.
func (r *Registry) recordStage(ctx context.Context, tx *store.Tx, v *Version, stage, action, who string) (*StageEvent, error) {
	ev := &StageEvent{Name: v.Name, Stage: stage, Version: v.Version, Action: action, At: store.Now(r.clock), Who: who}
	body, _ := json.Marshal(map[string]any{
		"model": v.Name, "version": v.Version, "environment": stage, "time": ev.At, "who": who,
		"action": action, "digest": v.RootDigest,
	})
	es, err := r.log.AppendTx(ctx, tx, ledger.Record{Kind: ledger.KindDeploy, Body: body})
	if err != nil {
		return nil, err
	}
	ev.LedgerIndex = es[0].Index
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM registry_stage_events`).Scan(&ev.Seq); err != nil {
		return nil, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO registry_stage_events (seq, name, stage, version, action, at, who, ledger_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.Seq, ev.Name, ev.Stage, ev.Version, ev.Action, ev.At, ev.Who, ev.LedgerIndex)
	return ev, err
}

// stageStack replays a stage's events: promotions push, rollbacks pop.
func stageStack(ctx context.Context, q store.Querier, name, stage string) ([]int64, error) {
	rows, err := q.Query(ctx, `SELECT version, action FROM registry_stage_events WHERE name = ? AND stage = ? ORDER BY seq`, name, stage)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var stack []int64
	for rows.Next() {
		var v int64
		var action string
		if err := rows.Scan(&v, &action); err != nil {
			return nil, err
		}
		if action == ActionRollback && len(stack) > 0 {
			stack = stack[:len(stack)-1]
		} else {
			stack = append(stack, v)
		}
	}
	return stack, rows.Err()
}

// Current is the version a stage runs now.
func (r *Registry) Current(ctx context.Context, name, stage string) (int64, error) {
	stack, err := stageStack(ctx, r.db, name, stage)
	if err != nil {
		return 0, err
	}
	if len(stack) == 0 {
		return 0, fmt.Errorf("%w: no version of %s in %s", ErrNotFound, name, stage)
	}
	return stack[len(stack)-1], nil
}

// History lists a model's stage events, oldest first.
func (r *Registry) History(ctx context.Context, name string) ([]StageEvent, error) {
	rows, err := r.db.Query(ctx, `SELECT seq, name, stage, version, action, at, who, ledger_index FROM registry_stage_events WHERE name = ? ORDER BY seq`, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StageEvent
	for rows.Next() {
		var e StageEvent
		if err := rows.Scan(&e.Seq, &e.Name, &e.Stage, &e.Version, &e.Action, &e.At, &e.Who, &e.LedgerIndex); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
