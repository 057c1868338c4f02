package ledger_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"

	"github.com/poisonguard/poisonguard/ledger"
	"github.com/poisonguard/poisonguard/store"
	"github.com/poisonguard/poisonguard/store/storetest"
)

// The test binary doubles as an appending process: with these variables
// set it appends batches to the ledger at DSN and prints a line after each
// commit.
const (
	envDSN     = "LEDGER_TEST_APPEND_DSN"
	envWorker  = "LEDGER_TEST_APPEND_WORKER"
	envBatches = "LEDGER_TEST_APPEND_BATCHES"
	envBatch   = "LEDGER_TEST_APPEND_BATCH"
)

func TestMain(m *testing.M) {
	if dsn := os.Getenv(envDSN); dsn != "" {
		if err := appendProcess(dsn); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func appendProcess(dsn string) error {
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	l, err := ledger.Open(ctx, db, ledger.Options{})
	if err != nil {
		return err
	}
	worker := os.Getenv(envWorker)
	batches, _ := strconv.Atoi(os.Getenv(envBatches))
	size, _ := strconv.Atoi(os.Getenv(envBatch))
	out := bufio.NewWriter(os.Stdout)
	for b := range batches {
		recs := make([]ledger.Record, size)
		for i := range recs {
			body := fmt.Sprintf(`{"title":"worker %s record %d","severity":"low","time":"2026-11-26T12:00:00Z"}`, worker, b*size+i)
			recs[i] = ledger.Record{Kind: ledger.KindIncident, Body: []byte(body)}
		}
		if _, err := l.Append(ctx, recs...); err != nil {
			return err
		}
		fmt.Fprintln(out, "committed")
		out.Flush()
	}
	return nil
}

func appender(t *testing.T, dsn string, worker, batches, batch int) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envDSN+"="+dsn, envWorker+"="+strconv.Itoa(worker),
		envBatches+"="+strconv.Itoa(batches), envBatch+"="+strconv.Itoa(batch))
	cmd.Stderr = os.Stderr
	return cmd
}

// TestConcurrentProcesses: four processes append at once; no entry is
// lost or duplicated and the log verifies.
func TestConcurrentProcesses(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			l, _, _ := openLog(t, b)
			const workers, batches, batch = 4, 15, 3
			var wg sync.WaitGroup
			for w := range workers {
				cmd := appender(t, b.DSN, w, batches, batch)
				wg.Go(func() {
					if out, err := cmd.Output(); err != nil {
						t.Errorf("worker %d: %v %s", w, err, out)
					}
				})
			}
			wg.Wait()
			seen := map[string]bool{}
			err := l.Entries(ctx, 0, 1<<62, func(e ledger.Entry) error {
				if seen[string(e.Body)] {
					return fmt.Errorf("entry %d duplicates an earlier one", e.Index)
				}
				seen[string(e.Body)] = true
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(seen) != workers*batches*batch {
				t.Fatalf("%d entries, want %d", len(seen), workers*batches*batch)
			}
			if res, err := l.Audit(ctx); err != nil || !res.OK() {
				t.Fatalf("audit: %+v %v", res, err)
			}
		})
	}
}

// TestKilledMidAppend kills a real appending process with SIGKILL after a
// number of commits: the log it leaves verifies, and holds whole batches.
func TestKilledMidAppend(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			l, _, _ := openLog(t, b)
			const batch = 7
			cmd := appender(t, b.DSN, 0, 1_000_000, batch)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(stdout)
			for i := 0; i < 25 && lines.Scan(); i++ {
			}
			cmd.Process.Kill()
			cmd.Wait()
			n, err := l.Size(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n < 25*batch || n%batch != 0 {
				t.Fatalf("%d entries after the kill: want whole batches of %d, at least 25", n, batch)
			}
			if _, err := l.Append(ctx, deploy(0)); err != nil {
				t.Fatalf("append after the kill: %v", err)
			}
			if res, err := l.Audit(ctx); err != nil || !res.OK() {
				t.Fatalf("audit after the kill: %+v %v", res, err)
			}
		})
	}
}
